import { createRoute } from "@hono/zod-openapi";
import { ApiError, type App, enqueue, problemResponses, publicAccess } from "@oryn/shared";
import type Stripe from "stripe";
import type { BillingDeps } from "../deps.ts";
import { stripeEventAnswer, stripeSignatureHeader } from "./schemas.ts";
import { recordStripeEvent } from "./stripe-events.ts";

const route = createRoute({
  method: "post",
  path: "/webhooks/stripe",
  ...publicAccess("stripe"),
  tags: ["Webhooks"],
  summary: "Stripe events; the Stripe-Signature header must verify over the raw body",
  request: { headers: stripeSignatureHeader },
  responses: {
    200: {
      description: "Verified and recorded",
      content: { "application/json": { schema: stripeEventAnswer } },
    },
    ...problemResponses(400, 413),
  },
});

export function registerReceiveStripeEvent(app: App, deps: BillingDeps): void {
  app.openapi(route, async (c) => {
    const signature = c.req.valid("header")["stripe-signature"];
    // The signature covers the exact bytes Stripe sent, so the body is read raw, never re-encoded.
    const raw = await c.req.text();
    let event: Stripe.Event;
    try {
      if (!signature) throw new Error("no Stripe-Signature header");
      event = await deps.webhookVerifier.webhooks.constructEventAsync(
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
    try {
      // A duplicate is enqueued too: its first enqueue may be the one that was lost. The event id
      // is the job id, so this adds nothing when the job exists.
      await enqueue(deps.queues, "processStripeEvent", { eventId: event.id }, { timeoutMs: 2000 });
    } catch (error) {
      // Recorded is what Stripe needs to hear: answering 5xx would only make it send again. The
      // sweep enqueues recorded events that are still unprocessed.
      c.get("logger").error(
        { err: error, eventId: event.id },
        "could not enqueue a recorded stripe event; the sweep will",
      );
    }
    return c.json({ received: true as const, duplicate }, 200);
  });
}
