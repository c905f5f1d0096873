import { createRoute, z } from "@hono/zod-openapi";
import { ApiError, type App, problemResponses, publicAccess } from "@oryn/shared";
import type Stripe from "stripe";
import type { BillingDeps } from "../deps.ts";
import { recordStripeEvent } from "./record-event.ts";

const route = createRoute({
  method: "post",
  path: "/webhooks/stripe",
  ...publicAccess("stripe"),
  tags: ["Webhooks"],
  summary: "Stripe events; the Stripe-Signature header must verify over the raw body",
  request: { headers: z.object({ "stripe-signature": z.string().optional() }) },
  responses: {
    200: {
      description: "Verified and recorded",
      content: {
        "application/json": {
          schema: z.object({ received: z.literal(true), duplicate: z.boolean() }),
        },
      },
    },
    ...problemResponses(400, 413),
  },
});

export function registerStripeWebhook(app: App, deps: BillingDeps): void {
  app.openapi(route, async (c) => {
    const signature = c.req.valid("header")["stripe-signature"];
    // The signature covers the exact bytes Stripe sent, so the body is read raw, never re-encoded.
    const raw = await c.req.text();
    let event: Stripe.Event;
    try {
      if (!signature) throw new Error("no Stripe-Signature header");
      event = await deps.stripe.webhooks.constructEventAsync(
        raw,
        signature,
        deps.webhookSecret,
        deps.toleranceSeconds,
      );
    } catch (error) {
      c.get("logger").warn({ err: error }, "stripe webhook refused");
      throw new ApiError("invalid_signature");
    }
    const { duplicate } = await recordStripeEvent(deps.sql, event);
    c.get("logger").info(
      { eventId: event.id, type: event.type, duplicate },
      "stripe event recorded",
    );
    return c.json({ received: true as const, duplicate }, 200);
  });
}
