import { createRoute } from "@hono/zod-openapi";
import { type App, problemResponses, publicAccess } from "@oryn/shared";
import type { GatewayDeps } from "../deps.ts";
import { auditContextOf } from "../lib/request.ts";
import { hashPassword } from "../passwords/passwords.ts";
import { sendAfterCommit } from "./account-mail.ts";
import { resetPassword } from "./password-reset.ts";
import { resetPasswordBody } from "./schemas.ts";

const route = createRoute({
  method: "post",
  path: "/v1/auth/password/reset",
  operationId: "resetPassword",
  ...publicAccess("anyone"),
  tags: ["Auth"],
  summary: "Set a new password with a reset token; every session of the account ends",
  request: {
    body: { content: { "application/json": { schema: resetPasswordBody } }, required: true },
  },
  responses: {
    204: { description: "The password is set; sign in with it" },
    ...problemResponses(400, 401, 403, 415, 422, 429),
  },
});

export function registerResetPassword(app: App, deps: GatewayDeps): void {
  app.openapi(route, async (c) => {
    const input = c.req.valid("json");
    // Hashed before the transaction: argon2 takes tens of milliseconds.
    const passwordHash = await hashPassword(input.password);
    const context = auditContextOf(c, deps);
    const { email, mail } = await deps.sql.begin((tx) =>
      resetPassword(tx, context, { token: input.token, passwordHash }),
    );
    // Whoever reset the password holds the inbox: the failed-login lock on the account lifts.
    await deps.loginLimiter.clearAccount(email).catch(() => undefined);
    await sendAfterCommit({ queues: deps.queues, logger: c.get("logger") }, mail);
    return c.body(null, 204);
  });
}
