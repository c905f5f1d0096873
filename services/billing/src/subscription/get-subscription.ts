import { createRoute } from "@hono/zod-openapi";
import { type App, access, principalOf, problemResponses } from "@oryn/shared";
import type { BillingDeps } from "../deps.ts";
import { subscriptionSchema } from "./schemas.ts";
import { getSubscription } from "./subscriptions.ts";

const route = createRoute({
  method: "get",
  operationId: "getSubscription",
  path: "/v1/billing/subscription",
  tags: ["Billing"],
  summary: "The tenant's plan, its limits and the state of its subscription",
  ...access("member"),
  responses: {
    200: {
      description: "The subscription",
      content: { "application/json": { schema: subscriptionSchema } },
    },
    ...problemResponses(401, 403, 404, 429, 503),
  },
});

export function registerGetSubscription(app: App, deps: BillingDeps): void {
  app.openapi(route, async (c) => {
    const view = await getSubscription({ ...deps, tenantId: principalOf(c).tenantId });
    return c.json(view, 200);
  });
}
