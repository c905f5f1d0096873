import { createRoute } from "@hono/zod-openapi";
import { type App, access, principalOf, problemResponses } from "@oryn/shared";
import type { GatewayDeps } from "../deps.ts";
import { idParams } from "../lib/schemas.ts";
import { deleteWebhookEndpoint } from "./webhook-endpoints.ts";

const route = createRoute({
  method: "delete",
  operationId: "deleteWebhookEndpoint",
  path: "/v1/webhook-endpoints/{id}",
  tags: ["Webhooks"],
  summary: "Delete an endpoint and its delivery log; nothing more is sent to it",
  ...access("admin"),
  request: { params: idParams },
  responses: { 204: { description: "Deleted" }, ...problemResponses(401, 403, 404, 422, 429) },
});

export function registerDeleteWebhookEndpoint(app: App, deps: GatewayDeps): void {
  app.openapi(route, async (c) => {
    await deleteWebhookEndpoint(deps.sql, principalOf(c).tenantId, c.req.valid("param").id);
    return c.body(null, 204);
  });
}
