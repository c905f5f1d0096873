import { createRoute } from "@hono/zod-openapi";
import {
  type App,
  access,
  idempotencyKeyHeaders,
  principalOf,
  problemResponses,
} from "@oryn/shared";
import type { BillingDeps } from "../deps.ts";
import { sessionOnce } from "./idempotency.ts";
import { checkoutBody, sessionSchema } from "./schemas.ts";
import { createCheckoutSession } from "./subscriptions.ts";

const route = createRoute({
  method: "post",
  operationId: "createCheckoutSession",
  path: "/v1/billing/checkout",
  tags: ["Billing"],
  summary: "A Stripe Checkout page that subscribes the tenant to a paid plan",
  ...access("admin"),
  request: {
    headers: idempotencyKeyHeaders,
    body: { content: { "application/json": { schema: checkoutBody } }, required: true },
  },
  responses: {
    200: {
      description: "Where to send the browser",
      content: { "application/json": { schema: sessionSchema } },
    },
    ...problemResponses(400, 401, 403, 404, 409, 415, 422, 429, 502, 503),
  },
});

export function registerCreateCheckout(app: App, deps: BillingDeps): void {
  app.openapi(route, async (c) => {
    const input = c.req.valid("json");
    const key = c.req.valid("header")["idempotency-key"];
    const session = await sessionOnce(c, deps.sql, { key, body: input }, () =>
      createCheckoutSession({
        ...deps,
        tenantId: principalOf(c).tenantId,
        plan: input.plan,
        logger: c.get("logger"),
      }),
    );
    return c.json(session, 200);
  });
}
