import { createRoute } from "@hono/zod-openapi";
import { type App, access, principalOf, problemResponses } from "@oryn/shared";
import type { GatewayDeps } from "../deps.ts";
import { idParams } from "../lib/schemas.ts";
import { webhookEndpointSchema } from "./schemas.ts";
import { getWebhookEndpoint } from "./webhook-endpoints.ts";

const route = createRoute({
  method: "get",
  operationId: "getWebhookEndpoint",
  path: "/v1/webhook-endpoints/{id}",
  tags: ["Webhooks"],
  summary: "One webhook endpoint, without its secret",
  ...access("admin"),
  request: { params: idParams },
  responses: {
    200: {
      description: "The endpoint",
      content: { "application/json": { schema: webhookEndpointSchema } },
    },
    ...problemResponses(401, 403, 404, 422, 429),
  },
});

export function registerGetWebhookEndpoint(app: App, deps: GatewayDeps): void {
  app.openapi(route, async (c) => {
    const endpoint = await getWebhookEndpoint(
      deps.sql,
      principalOf(c).tenantId,
      c.req.valid("param").id,
    );
    return c.json(endpoint, 200);
  });
}
