import { createRoute, z } from "@hono/zod-openapi";
import { type App, problemResponses, publicAccess } from "@oryn/shared";
import type { GatewayDeps } from "../deps.ts";
import { auditContextOf } from "../lib/request.ts";
import { tokensSchema } from "../tokens/issue-tokens.ts";
import { exchangeSignInCode } from "./exchange-code.ts";

const body = z
  .object({
    code: z.string().min(1).max(200).openapi({ description: "The `code` the app received" }),
  })
  .openapi("SsoTokenRequest");

const route = createRoute({
  method: "post",
  operationId: "exchangeSsoCode",
  path: "/v1/sso/token",
  tags: ["Enterprise sign-in"],
  summary: "Exchange a single sign-on code for tokens",
  description: "The code works once, within 60 s; otherwise 401 `invalid_token`.",
  ...publicAccess("anyone"),
  request: { body: { content: { "application/json": { schema: body } }, required: true } },
  responses: {
    200: { description: "Tokens", content: { "application/json": { schema: tokensSchema } } },
    ...problemResponses(400, 401, 415, 422, 429),
  },
});

export function registerExchangeToken(app: App, deps: GatewayDeps): void {
  app.openapi(route, async (c) => {
    const tokens = await exchangeSignInCode(
      deps.sql,
      deps.tokens,
      c.req.valid("json").code,
      auditContextOf(c, deps),
    );
    c.header("cache-control", "no-store");
    return c.json(tokens, 200);
  });
}
