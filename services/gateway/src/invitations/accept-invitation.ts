import { createRoute, z } from "@hono/zod-openapi";
import { type App, problemResponses, publicAccess } from "@oryn/shared";
import { sendAfterCommit } from "../accounts/account-mail.ts";
import { deliverTokens, sessionAnswer, sessionRequest } from "../auth/session-cookie.ts";
import type { GatewayDeps } from "../deps.ts";
import { auditContextOf } from "../lib/request.ts";
import { mfaChallengeSchema } from "../mfa/schemas.ts";
import { tokensSchema } from "../tokens/issue-tokens.ts";
import { acceptInvitation, identifyInvitee } from "./invitations.ts";
import { acceptInvitationBody } from "./schemas.ts";

const route = createRoute({
  method: "post",
  operationId: "acceptInvitation",
  path: "/v1/invitations/accept",
  tags: ["Invitations"],
  summary: "Accept an invitation: creates the account, or joins an existing one with its password",
  ...publicAccess("anyone"),
  request: sessionRequest(acceptInvitationBody),
  responses: {
    200: sessionAnswer(
      "Tokens for the new membership; or, for an existing account with two-factor authentication on, `{mfaRequired, mfaToken}` for POST /v1/auth/mfa",
      z.union([tokensSchema, mfaChallengeSchema]),
    ),
    ...problemResponses(400, 401, 402, 403, 409, 415, 422, 429),
  },
});

export function registerAcceptInvitation(app: App, deps: GatewayDeps): void {
  app.openapi(route, async (c) => {
    const context = auditContextOf(c, deps);
    const input = c.req.valid("json");
    // The password is checked (or hashed) before the transaction: argon2 takes tens of
    // milliseconds, and a transaction holding the tenant's lock must not wait for it.
    const invitee = await identifyInvitee(deps.sql, deps.loginLimiter, context, input);
    const { tokens, mail } = await deps.sql.begin((tx) =>
      acceptInvitation(tx, deps.tokens, deps.accountTokens, context, invitee),
    );
    await sendAfterCommit({ queues: deps.queues, logger: c.get("logger") }, mail);
    const answer =
      "mfaRequired" in tokens ? tokens : deliverTokens(c, tokens, deps.tokens.refreshTtlSeconds);
    return c.json(answer, 200);
  });
}
