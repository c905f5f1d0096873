import { createRoute, z } from "@hono/zod-openapi";
import { type App, problemResponses, publicAccess } from "@oryn/shared";
import type { GatewayDeps } from "../deps.ts";
import { auditContextOf } from "../lib/request.ts";
import { mfaChallengeSchema } from "../mfa/schemas.ts";
import { tokensSchema } from "../tokens/issue-tokens.ts";
import { loginBody } from "./schemas.ts";
import { deliverTokens, sessionAnswer, sessionRequest } from "./session-cookie.ts";
import { logIn } from "./sessions.ts";

const route = createRoute({
  method: "post",
  operationId: "logIn",
  path: "/v1/auth/login",
  ...publicAccess("anyone"),
  tags: ["Auth"],
  summary: "Exchange email and password for tokens",
  description:
    "403 `sso_required` for a person whose organisation requires single sign-on (an enforcing SSO connection on their verified domain); its owners keep their password.",
  request: sessionRequest(loginBody),
  responses: {
    200: sessionAnswer(
      "Tokens; or, for a person with two-factor authentication on, `{mfaRequired, mfaToken}` for POST /v1/auth/mfa",
      z.union([tokensSchema, mfaChallengeSchema]),
    ),
    ...problemResponses(400, 401, 403, 415, 422, 429),
  },
});

export function registerLogIn(app: App, deps: GatewayDeps): void {
  app.openapi(route, async (c) => {
    const tokens = await logIn({
      sql: deps.sql,
      tokens: deps.tokens,
      limiter: deps.loginLimiter,
      input: c.req.valid("json"),
      context: auditContextOf(c, deps),
    });
    const answer =
      "mfaRequired" in tokens ? tokens : deliverTokens(c, tokens, deps.tokens.refreshTtlSeconds);
    return c.json(answer, 200);
  });
}
