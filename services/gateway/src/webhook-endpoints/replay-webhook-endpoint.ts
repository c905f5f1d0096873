import { createRoute } from "@hono/zod-openapi";
import { type App, access, principalOf, problemResponses } from "@oryn/shared";
import type { GatewayDeps } from "../deps.ts";
import { idParams } from "../lib/schemas.ts";
import { replayBody } from "./schemas.ts";
import { replayWebhookEndpoint } from "./webhook-endpoints.ts";

const route = createRoute({
  method: "post",
  operationId: "replayWebhookEndpoint",
  path: "/v1/webhook-endpoints/{id}/replay",
  tags: ["Webhooks"],
  summary:
    "Deliver again every event since a time, or one event (a failed delivery retried by hand)",
  ...access("admin"),
  request: {
    params: idParams,
    body: { content: { "application/json": { schema: replayBody } }, required: true },
  },
  responses: {
    202: { description: "The events are on their way again, with their ids unchanged" },
    ...problemResponses(400, 401, 403, 404, 415, 422, 429),
  },
});

export function registerReplayWebhookEndpoint(app: App, deps: GatewayDeps): void {
  app.openapi(route, async (c) => {
    const body = c.req.valid("json");
    await deps.sql.begin((tx) =>
      replayWebhookEndpoint(
        tx,
        principalOf(c).tenantId,
        c.req.valid("param").id,
        "since" in body ? { since: new Date(body.since) } : { eventId: body.eventId },
      ),
    );
    return c.body(null, 202);
  });
}
