import { createRoute } from "@hono/zod-openapi";
import { type App, access, idCursor, pageQuery, principalOf, problemResponses } from "@oryn/shared";
import type { GatewayDeps } from "../deps.ts";
import { scimTokenListSchema } from "./schemas.ts";
import { listScimTokens } from "./scim-tokens.ts";

const route = createRoute({
  method: "get",
  operationId: "listScimTokens",
  path: "/v1/scim/tokens",
  tags: ["Enterprise sign-in"],
  summary: "The tenant's SCIM tokens, without the tokens themselves",
  ...access("owner"),
  request: { query: pageQuery },
  responses: {
    200: {
      description: "A page of tokens",
      content: { "application/json": { schema: scimTokenListSchema } },
    },
    ...problemResponses(401, 403, 422, 429),
  },
});

export function registerListScimTokens(app: App, deps: GatewayDeps): void {
  app.openapi(route, async (c) => {
    const { limit, cursor } = c.req.valid("query");
    const page = await listScimTokens(deps.sql, principalOf(c).tenantId, {
      limit,
      after: idCursor.decode(cursor),
    });
    return c.json(page, 200);
  });
}
