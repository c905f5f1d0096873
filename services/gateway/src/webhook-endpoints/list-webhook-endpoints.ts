import { type App, createdAtCursor, registerListRoute } from "@oryn/shared";
import type { GatewayDeps } from "../deps.ts";
import { webhookEndpointListSchema } from "./schemas.ts";
import { listWebhookEndpoints } from "./webhook-endpoints.ts";

export function registerListWebhookEndpoints(app: App, deps: GatewayDeps): void {
  registerListRoute(
    app,
    {
      operationId: "listWebhookEndpoints",
      path: "/v1/webhook-endpoints",
      tags: ["Webhooks"],
      summary: "The tenant's webhook endpoints, without their secrets",
      minimum: "admin",
      page: { description: "A page of endpoints", schema: webhookEndpointListSchema },
      problems: [401, 403, 422, 429],
    },
    createdAtCursor,
    (tenantId, page) => listWebhookEndpoints(deps.sql, tenantId, page),
  );
}
