import { createRoute } from "@hono/zod-openapi";
import { type App, problemResponses, publicAccess } from "@oryn/shared";
import { sendAfterCommit } from "../accounts/account-mail.ts";
import { verificationMail } from "../accounts/verification.ts";
import type { GatewayDeps } from "../deps.ts";
import { auditContextOf } from "../lib/request.ts";
import { hashPassword } from "../passwords/passwords.ts";
import { signupAnswer, signupBody } from "./schemas.ts";
import { enqueueProvisioning, signUp } from "./signups.ts";

const route = createRoute({
  method: "post",
  path: "/v1/signup",
  ...publicAccess("anyone"),
  tags: ["Signup"],
  summary: "Sign a company up; its workspace is provisioned in the background",
  request: { body: { content: { "application/json": { schema: signupBody } }, required: true } },
  responses: {
    202: {
      description:
        "Accepted; poll GET /v1/tenant until status is active. A link to verify the owner's address is mailed to it.",
      content: { "application/json": { schema: signupAnswer } },
    },
    ...problemResponses(400, 409, 413, 415, 422, 429),
  },
});

export function registerSignUp(app: App, deps: GatewayDeps): void {
  app.openapi(route, async (c) => {
    const context = auditContextOf(c, deps);
    const input = c.req.valid("json");
    // Hashed before the transaction: argon2 takes tens of milliseconds.
    const passwordHash = await hashPassword(input.owner.password);
    const { mail, ...signup } = await deps.sql.begin(async (tx) => {
      const created = await signUp(tx, deps.tokens, context, { ...input, passwordHash });
      return { ...created, mail: [await verificationMail(tx, deps.accountTokens, created.user)] };
    });
    // Only after the commit, so a job never looks for a tenant that a rollback took away.
    // Side by side: with Redis away, each waits its bound, and the answer waits one of them.
    await Promise.all([
      enqueueProvisioning(deps.queues, c.get("logger"), signup.tenant.id, context.requestId),
      sendAfterCommit({ queues: deps.queues, logger: c.get("logger") }, mail),
    ]);
    return c.json(signup, 202);
  });
}
