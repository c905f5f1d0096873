import { createRoute } from "@hono/zod-openapi";
import { type App, access, principalOf, problemResponses } from "@oryn/shared";
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
  responses: {
    200: {
      description: "The tokens (at most 100)",
      content: { "application/json": { schema: scimTokenListSchema } },
    },
    ...problemResponses(401, 403, 429),
  },
});

export function registerListScimTokens(app: App, deps: GatewayDeps): void {
  app.openapi(route, async (c) => {
    const items = await listScimTokens(deps.sql, principalOf(c).tenantId);
    return c.json({ items }, 200);
  });
}
