import { createRoute } from "@hono/zod-openapi";
import { type App, problemResponses, publicAccess } from "@oryn/shared";
import type { GatewayDeps } from "../deps.ts";
import { auditContextOf } from "../lib/request.ts";
import { completeMfaLogin } from "../mfa/challenges.ts";
import { personOf } from "../mfa/factors.ts";
import { noticeMfaChange } from "../mfa/notices.ts";
import { secondFactorBody } from "../mfa/schemas.ts";
import { tokensSchema } from "../tokens/issue-tokens.ts";
import { deliverTokens, sessionAnswer, sessionRequest } from "./session-cookie.ts";

const route = createRoute({
  method: "post",
  path: "/v1/auth/mfa",
  operationId: "completeMfaLogin",
  ...publicAccess("anyone"),
  tags: ["Auth"],
  summary: "Finish a login with the second factor: a code from the app, or an unused recovery code",
  request: sessionRequest(secondFactorBody),
  responses: {
    200: sessionAnswer("Tokens", tokensSchema),
    ...problemResponses(400, 401, 403, 415, 422, 429),
  },
});

export function registerCompleteMfaLogin(app: App, deps: GatewayDeps): void {
  app.openapi(route, async (c) => {
    const { mfaToken, code, recoveryCode } = c.req.valid("json");
    const proof = code !== undefined ? { code } : { recoveryCode: recoveryCode ?? "" };
    const done = await completeMfaLogin({
      sql: deps.sql,
      tokens: deps.tokens,
      settings: deps.mfa,
      limiter: deps.loginLimiter,
      input: { mfaToken, ...proof },
      context: auditContextOf(c, deps),
    });
    // A recovery code used is worth a word to the owner of the account: it may not have been them.
    if (done.used === "recovery_code") {
      await noticeMfaChange(deps, await personOf(deps.sql, done.userId), "recovery_code_used");
    }
    return c.json(deliverTokens(c, done.tokens, deps.tokens.refreshTtlSeconds), 200);
  });
}
