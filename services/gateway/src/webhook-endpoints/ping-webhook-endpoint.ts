import { createRoute } from "@hono/zod-openapi";
import { type App, access, principalOf, problemResponses } from "@oryn/shared";
import type { GatewayDeps } from "../deps.ts";
import { idParams } from "../lib/schemas.ts";
import { pingWebhookEndpoint } from "./webhook-endpoints.ts";

const route = createRoute({
  method: "post",
  operationId: "pingWebhookEndpoint",
  path: "/v1/webhook-endpoints/{id}/ping",
  tags: ["Webhooks"],
  summary: "Send a `ping` event to this endpoint only",
  ...access("admin"),
  request: { params: idParams },
  responses: {
    202: { description: "The ping is on its way; its attempts appear in the delivery log" },
    ...problemResponses(401, 403, 404, 422, 429),
  },
});

export function registerPingWebhookEndpoint(app: App, deps: GatewayDeps): void {
  app.openapi(route, async (c) => {
    await deps.sql.begin((tx) =>
      pingWebhookEndpoint(tx, principalOf(c).tenantId, c.req.valid("param").id),
    );
    return c.body(null, 202);
  });
}
