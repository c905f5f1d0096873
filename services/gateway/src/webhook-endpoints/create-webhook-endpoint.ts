import { createRoute } from "@hono/zod-openapi";
import { type App, access, principalOf, problemResponses } from "@oryn/shared";
import type { GatewayDeps } from "../deps.ts";
import { createdWebhookEndpointSchema, createWebhookEndpointBody } from "./schemas.ts";
import { createWebhookEndpoint } from "./webhook-endpoints.ts";

const route = createRoute({
  method: "post",
  operationId: "createWebhookEndpoint",
  path: "/v1/webhook-endpoints",
  tags: ["Webhooks"],
  summary: "Register a URL for the tenant's events; its signing secret is shown once",
  ...access("admin"),
  request: {
    body: {
      content: { "application/json": { schema: createWebhookEndpointBody } },
      required: true,
    },
  },
  responses: {
    201: {
      description: "The endpoint, with its secret",
      content: { "application/json": { schema: createdWebhookEndpointSchema } },
    },
    ...problemResponses(400, 401, 403, 415, 422, 429),
  },
});

export function registerCreateWebhookEndpoint(app: App, deps: GatewayDeps): void {
  app.openapi(route, async (c) => {
    const created = await deps.sql.begin((tx) =>
      createWebhookEndpoint(tx, principalOf(c).tenantId, c.req.valid("json"), deps.webhooks),
    );
    c.header("location", `/v1/webhook-endpoints/${created.id}`);
    return c.json(created, 201);
  });
}
