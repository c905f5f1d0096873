import { createRoute } from "@hono/zod-openapi";
import { type App, access, idCursor, pageQuery, principalOf, problemResponses } from "@oryn/shared";
import type { GatewayDeps } from "../deps.ts";
import { listApiKeys } from "./api-keys.ts";
import { apiKeyListSchema } from "./schemas.ts";

const route = createRoute({
  method: "get",
  operationId: "listApiKeys",
  path: "/v1/api-keys",
  tags: ["API keys"],
  summary: "The tenant's API keys, without the keys themselves",
  ...access("admin"),
  request: { query: pageQuery },
  responses: {
    200: {
      description: "A page of keys",
      content: { "application/json": { schema: apiKeyListSchema } },
    },
    ...problemResponses(401, 403, 422, 429),
  },
});

export function registerListApiKeys(app: App, deps: GatewayDeps): void {
  app.openapi(route, async (c) => {
    const { limit, cursor } = c.req.valid("query");
    const page = await listApiKeys(deps.sql, principalOf(c).tenantId, {
      limit,
      after: idCursor.decode(cursor),
    });
    return c.json(page, 200);
  });
}
