import { createRoute } from "@hono/zod-openapi";
import {
  ApiError,
  type App,
  beginRetryingDeadlocks,
  problemResponses,
  publicAccess,
} from "@oryn/shared";
import type { GatewayDeps } from "../deps.ts";
import { auditContextOf } from "../lib/request.ts";
import { tokensSchema } from "../tokens/issue-tokens.ts";
import { refreshBody } from "./schemas.ts";
import {
  clearRefreshCookie,
  deliverTokens,
  presentedRefreshToken,
  sessionAnswer,
  sessionRequest,
} from "./session-cookie.ts";
import { refreshSession } from "./sessions.ts";

const route = createRoute({
  method: "post",
  operationId: "refreshSession",
  path: "/v1/auth/refresh",
  ...publicAccess("anyone"),
  tags: ["Auth"],
  summary: "Rotate a refresh token; a reused one revokes its whole family",
  description:
    "In cookie mode (`X-Oryn-Session: cookie`, the console) the refresh token is the cookie's, the body is `{}`, and the new one replaces the cookie.",
  request: sessionRequest(refreshBody),
  responses: {
    200: sessionAnswer("Tokens", tokensSchema),
    ...problemResponses(400, 401, 403, 415, 422, 429),
  },
});

export function registerRefreshSession(app: App, deps: GatewayDeps): void {
  app.openapi(route, async (c) => {
    const refreshToken = presentedRefreshToken(c, c.req.valid("json"));
    const client = auditContextOf(c, deps);
    const tokens = refreshToken
      ? await beginRetryingDeadlocks(deps.sql, (tx) =>
          refreshSession(tx, deps.tokens, refreshToken, client),
        )
      : undefined;
    if (!tokens) {
      // A replay may have ended the session: this process refuses its access tokens now.
      if (refreshToken) await deps.revocations.refresh().catch(() => undefined);
      // A cookie that no longer refreshes is of no use: the browser forgets it (the header set
      // on the context travels with the problem answer).
      clearRefreshCookie(c);
      // Refused after the commit, so a revocation the refusal made is kept.
      throw new ApiError("invalid_token");
    }
    return c.json(deliverTokens(c, tokens, deps.tokens.refreshTtlSeconds), 200);
  });
}
