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
import { sessionSchema } from "./schemas.ts";
import { createPortalSession } from "./subscriptions.ts";

const route = createRoute({
  method: "post",
  operationId: "createBillingPortalSession",
  path: "/v1/billing/portal",
  tags: ["Billing"],
  summary: "A Stripe Customer Portal page: payment method, invoices, plan changes, cancelling",
  ...access("admin"),
  request: { headers: idempotencyKeyHeaders },
  responses: {
    200: {
      description: "Where to send the browser",
      content: { "application/json": { schema: sessionSchema } },
    },
    ...problemResponses(401, 403, 404, 422, 429, 502, 503),
  },
});

export function registerCreatePortal(app: App, deps: BillingDeps): void {
  app.openapi(route, async (c) => {
    const key = c.req.valid("header")["idempotency-key"];
    const session = await sessionOnce(c, deps.sql, { key, body: {} }, () =>
      createPortalSession({
        ...deps,
        tenantId: principalOf(c).tenantId,
        returnUrl: deps.urls.portalReturn,
        logger: c.get("logger"),
      }),
    );
    return c.json(session, 200);
  });
}
