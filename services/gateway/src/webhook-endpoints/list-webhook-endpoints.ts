import { createRoute } from "@hono/zod-openapi";
import {
  type App,
  access,
  createdAtCursor,
  pageQuery,
  principalOf,
  problemResponses,
} from "@oryn/shared";
import type { GatewayDeps } from "../deps.ts";
import { webhookEndpointListSchema } from "./schemas.ts";
import { listWebhookEndpoints } from "./webhook-endpoints.ts";

const route = createRoute({
  method: "get",
  operationId: "listWebhookEndpoints",
  path: "/v1/webhook-endpoints",
  tags: ["Webhooks"],
  summary: "The tenant's webhook endpoints, without their secrets",
  ...access("admin"),
  request: { query: pageQuery },
  responses: {
    200: {
      description: "A page of endpoints",
      content: { "application/json": { schema: webhookEndpointListSchema } },
    },
    ...problemResponses(401, 403, 422, 429),
  },
});

export function registerListWebhookEndpoints(app: App, deps: GatewayDeps): void {
  app.openapi(route, async (c) => {
    const { limit, cursor } = c.req.valid("query");
    const page = await listWebhookEndpoints(deps.sql, principalOf(c).tenantId, {
      limit,
      after: createdAtCursor.decode(cursor),
    });
    return c.json(page, 200);
  });
}
