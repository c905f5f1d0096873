import { createRoute } from "@hono/zod-openapi";
import {
  type App,
  idempotencyKeyHeaders,
  type MailRequest,
  onceForKey,
  problemResponses,
  publicAccess,
} from "@oryn/shared";
import { sendAfterCommit } from "../accounts/account-mail.ts";
import { verificationMail } from "../accounts/verification.ts";
import { deliverTokens, sessionCookieHeaders, sessionModeHeaders } from "../auth/session-cookie.ts";
import type { GatewayDeps } from "../deps.ts";
import { idempotencyOf, setAnswerHeaders } from "../lib/idempotency.ts";
import { auditContextOf } from "../lib/request.ts";
import { hashPassword } from "../passwords/passwords.ts";
import { type Tokens, tokensFor } from "../tokens/issue-tokens.ts";
import { signupAnswer, signupBody } from "./schemas.ts";
import { enqueueProvisioning, type SignupResult, signUp } from "./signups.ts";

const route = createRoute({
  method: "post",
  operationId: "signUp",
  path: "/v1/signup",
  ...publicAccess("anyone"),
  tags: ["Signup"],
  summary: "Sign a company up; its workspace is provisioned in the background",
  description:
    "With an `Idempotency-Key`, the same body again within 24 h answers the same tenant and user, with fresh tokens (tokens are never stored).",
  request: {
    headers: idempotencyKeyHeaders.extend(sessionModeHeaders.shape),
    body: { content: { "application/json": { schema: signupBody } }, required: true },
  },
  responses: {
    202: {
      description:
        "Accepted; poll GET /v1/tenant until status is active. A link to verify the owner's address is mailed to it.",
      headers: sessionCookieHeaders,
      content: { "application/json": { schema: signupAnswer } },
    },
    ...problemResponses(400, 403, 409, 413, 415, 422, 429),
  },
});

type StoredSignup = Omit<SignupResult, "tokens">;

export function registerSignUp(app: App, deps: GatewayDeps): void {
  app.openapi(route, async (c) => {
    const context = auditContextOf(c, deps);
    const input = c.req.valid("json");
    const idempotency = idempotencyOf(c, deps, c.req.valid("header")["idempotency-key"], input);
    // Hashed before the transaction: argon2 takes tens of milliseconds.
    const passwordHash = await hashPassword(input.owner.password);
    let fresh: { tokens: Tokens; mail: MailRequest[] } | undefined;
    const answer = await deps.sql.begin((tx) =>
      onceForKey<StoredSignup>(tx, idempotency, async () => {
        const { tokens, ...created } = await signUp(tx, deps.tokens, context, {
          ...input,
          passwordHash,
        });
        fresh = { tokens, mail: [await verificationMail(tx, deps.accountTokens, created.user)] };
        return { status: 202, body: created, headers: {} };
      }),
    );
    const signup = answer.body;
    if (fresh) {
      // Only after the commit, so a job never looks for a tenant that a rollback took away.
      // Side by side: with Redis away, each waits its bound, and the answer waits one of them.
      const logger = c.get("logger");
      await Promise.all([
        enqueueProvisioning(deps.queues, logger, signup.tenant.id, context.requestId),
        sendAfterCommit({ queues: deps.queues, logger }, fresh.mail),
      ]);
    }
    // A replay proved the password (the fingerprint covers the body): it gets new tokens, as a
    // login would, rather than tokens kept from the first answer.
    const tokens =
      fresh?.tokens ??
      (await tokensFor(
        deps.sql,
        deps.tokens,
        { userId: signup.user.id, tenantId: signup.tenant.id },
        context,
      ));
    setAnswerHeaders(c, answer);
    return c.json(
      { ...signup, tokens: deliverTokens(c, tokens, deps.tokens.refreshTtlSeconds) },
      202,
    );
  });
}
