import { createRoute } from "@hono/zod-openapi";
import { ApiError, type App, problemResponses, publicAccess } from "@oryn/shared";
import type { GatewayDeps } from "../deps.ts";
import { auditContextOf } from "../lib/request.ts";
import { tokensSchema } from "../tokens/issue-tokens.ts";
import { refreshBody } from "./schemas.ts";
import { refreshSession } from "./sessions.ts";

const route = createRoute({
  method: "post",
  operationId: "refreshSession",
  path: "/v1/auth/refresh",
  ...publicAccess("anyone"),
  tags: ["Auth"],
  summary: "Rotate a refresh token; a reused one revokes its whole family",
  request: { body: { content: { "application/json": { schema: refreshBody } }, required: true } },
  responses: {
    200: { description: "Tokens", content: { "application/json": { schema: tokensSchema } } },
    ...problemResponses(400, 401, 415, 422, 429),
  },
});

export function registerRefreshSession(app: App, deps: GatewayDeps): void {
  app.openapi(route, async (c) => {
    const { refreshToken } = c.req.valid("json");
    const client = auditContextOf(c, deps);
    const tokens = await deps.sql.begin((tx) =>
      refreshSession(tx, deps.tokens, refreshToken, client),
    );
    if (!tokens) {
      // A replay may have ended the session: this process refuses its access tokens now.
      await deps.revocations.refresh().catch(() => undefined);
      // Refused after the commit, so a revocation the refusal made is kept.
      throw new ApiError("invalid_token");
    }
    return c.json(tokens, 200);
  });
}
