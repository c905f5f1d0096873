import { createRoute } from "@hono/zod-openapi";
import { type App, access, createdAtCursor, principalOf, problemResponses } from "@oryn/shared";
import type { GatewayDeps } from "../deps.ts";
import { idParams } from "../lib/schemas.ts";
import { deliveryAttemptListSchema, listDeliveriesQuery } from "./schemas.ts";
import { listDeliveryAttempts } from "./webhook-endpoints.ts";

const route = createRoute({
  method: "get",
  operationId: "listWebhookDeliveries",
  path: "/v1/webhook-endpoints/{id}/deliveries",
  tags: ["Webhooks"],
  summary: "The endpoint's delivery attempts, newest first",
  ...access("admin"),
  request: { params: idParams, query: listDeliveriesQuery },
  responses: {
    200: {
      description: "A page of attempts",
      content: { "application/json": { schema: deliveryAttemptListSchema } },
    },
    ...problemResponses(401, 403, 404, 422, 429),
  },
});

export function registerListDeliveries(app: App, deps: GatewayDeps): void {
  app.openapi(route, async (c) => {
    const { limit, cursor, status } = c.req.valid("query");
    const page = await listDeliveryAttempts(
      deps.sql,
      principalOf(c).tenantId,
      c.req.valid("param").id,
      { limit, after: createdAtCursor.decode(cursor), status },
    );
    return c.json(page, 200);
  });
}
