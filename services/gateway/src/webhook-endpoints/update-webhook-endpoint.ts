import { createRoute } from "@hono/zod-openapi";
import { type App, access, principalOf, problemResponses } from "@oryn/shared";
import type { GatewayDeps } from "../deps.ts";
import { idParams } from "../lib/schemas.ts";
import { updateWebhookEndpointBody, webhookEndpointSchema } from "./schemas.ts";
import { updateWebhookEndpoint } from "./webhook-endpoints.ts";

const route = createRoute({
  method: "patch",
  operationId: "updateWebhookEndpoint",
  path: "/v1/webhook-endpoints/{id}",
  tags: ["Webhooks"],
  summary: "Change an endpoint's URL, events or description; pause or enable it",
  ...access("admin"),
  request: {
    params: idParams,
    body: {
      content: { "application/json": { schema: updateWebhookEndpointBody } },
      required: true,
    },
  },
  responses: {
    200: {
      description: "The changed endpoint",
      content: { "application/json": { schema: webhookEndpointSchema } },
    },
    ...problemResponses(400, 401, 403, 404, 415, 422, 429),
  },
});

export function registerUpdateWebhookEndpoint(app: App, deps: GatewayDeps): void {
  app.openapi(route, async (c) => {
    const endpoint = await deps.sql.begin((tx) =>
      updateWebhookEndpoint(
        tx,
        principalOf(c).tenantId,
        c.req.valid("param").id,
        c.req.valid("json"),
        deps.webhooks.policy,
      ),
    );
    return c.json(endpoint, 200);
  });
}
