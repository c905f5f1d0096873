import { createRoute } from "@hono/zod-openapi";
import { type App, access, principalOf, problemResponses } from "@oryn/shared";
import type { GatewayDeps } from "../deps.ts";
import { listEvents } from "./events.ts";
import { eventListSchema, listEventsQuery } from "./schemas.ts";

const route = createRoute({
  method: "get",
  operationId: "listEvents",
  path: "/v1/events",
  tags: ["Events"],
  summary:
    "The tenant's events after a sequence number, in order: the pull alternative to webhooks",
  ...access("admin"),
  request: { query: listEventsQuery },
  responses: {
    200: {
      description: "A page of events",
      content: { "application/json": { schema: eventListSchema } },
    },
    ...problemResponses(401, 403, 422, 429),
  },
});

export function registerListEvents(app: App, deps: GatewayDeps): void {
  app.openapi(route, async (c) => {
    const { after, limit } = c.req.valid("query");
    const page = await listEvents(deps.sql, principalOf(c).tenantId, {
      after: after ?? "0",
      limit,
    });
    return c.json(page, 200);
  });
}
