import { createRoute } from "@hono/zod-openapi";
import { type App, problemResponses, publicAccess } from "@oryn/shared";
import type { GatewayDeps } from "../deps.ts";
import { tokensSchema } from "../tokens/issue-tokens.ts";
import { revokeFamilyOf } from "../tokens/refresh-tokens.ts";
import { logIn } from "./log-in.ts";
import { refreshTokens } from "./refresh.ts";
import { loginBody, refreshBody } from "./schemas.ts";

const json = <T>(schema: T) => ({ content: { "application/json": { schema } }, required: true });

const loginRoute = createRoute({
  method: "post",
  path: "/v1/auth/login",
  ...publicAccess("anyone"),
  tags: ["Auth"],
  summary: "Exchange email and password for tokens",
  request: { body: json(loginBody) },
  responses: {
    200: { description: "Tokens", content: { "application/json": { schema: tokensSchema } } },
    ...problemResponses(400, 401, 415, 422, 429),
  },
});

const refreshRoute = createRoute({
  method: "post",
  path: "/v1/auth/refresh",
  ...publicAccess("anyone"),
  tags: ["Auth"],
  summary: "Rotate a refresh token; a reused one revokes its whole family",
  request: { body: json(refreshBody) },
  responses: {
    200: { description: "Tokens", content: { "application/json": { schema: tokensSchema } } },
    ...problemResponses(400, 401, 415, 422, 429),
  },
});

const logoutRoute = createRoute({
  method: "post",
  path: "/v1/auth/logout",
  ...publicAccess("anyone"),
  tags: ["Auth"],
  summary: "Revoke the refresh token's family",
  request: { body: json(refreshBody) },
  responses: { 204: { description: "Logged out" }, ...problemResponses(400, 415, 422, 429) },
});

export function registerAuth(app: App, deps: GatewayDeps): void {
  app.openapi(loginRoute, async (c) => {
    const tokens = await logIn({
      sql: deps.sql,
      tokens: deps.tokens,
      limiter: deps.loginLimiter,
      input: c.req.valid("json"),
      context: { requestId: c.get("requestId"), ip: deps.clientIp(c) },
    });
    return c.json(tokens, 200);
  });
  app.openapi(refreshRoute, async (c) => {
    const { refreshToken } = c.req.valid("json");
    return c.json(await refreshTokens({ sql: deps.sql, tokens: deps.tokens, refreshToken }), 200);
  });
  app.openapi(logoutRoute, async (c) => {
    await revokeFamilyOf(deps.sql, c.req.valid("json").refreshToken);
    return c.body(null, 204);
  });
}
