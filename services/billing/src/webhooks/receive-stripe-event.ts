import { createRoute } from "@hono/zod-openapi";
import { ApiError, type App, enqueue, problemResponses, publicAccess } from "@oryn/shared";
import type Stripe from "stripe";
import type { BillingDeps } from "../deps.ts";
import { recordStripeEvent } from "../events/stripe-events.ts";
import { stripeEvent, stripeEventAnswer, stripeSignatureHeader } from "./schemas.ts";

const route = createRoute({
  method: "post",
  operationId: "receiveStripeEvent",
  path: "/webhooks/stripe",
  ...publicAccess("stripe"),
  tags: ["Webhooks"],
  summary: "Stripe events; the Stripe-Signature header must verify over the raw body",
  request: {
    headers: stripeSignatureHeader,
    // A reference, not the zod schema: the framework would parse the body to validate it, and the
    // signature must be checked over the bytes exactly as sent. The handler checks the shape.
    body: {
      content: { "application/json": { schema: { $ref: "#/components/schemas/StripeEvent" } } },
      required: true,
    },
  },
  responses: {
    200: {
      description: "Verified and recorded",
      content: { "application/json": { schema: stripeEventAnswer } },
    },
    // 429: the gateway refuses an IP whose deliveries keep being refused (edge/limits.ts).
    ...problemResponses(400, 413, 429),
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
      // Stripe's library bounds only the past: a signature made for a time ahead of ours would
      // stay valid, and replayable, until that time plus the tolerance.
      assertNotFromTheFuture(signature, deps.toleranceSeconds);
    } catch (error) {
      c.get("logger").warn({ err: error }, "stripe webhook refused");
      throw new ApiError("invalid_signature");
    }
    assertEventShape(event, raw);
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

function assertNotFromTheFuture(signature: string, toleranceSeconds: number): void {
  const timestamp = Number(/(?:^|,)t=(\d+)(?:,|$)/.exec(signature)?.[1]);
  if (!Number.isSafeInteger(timestamp) || timestamp - Date.now() / 1000 > toleranceSeconds)
    throw new Error("timestamp outside the tolerance zone (in the future)");
}

/** A signed event that is not an event's shape: 400 naming the fields, nothing recorded. */
function assertEventShape(event: unknown, raw: string): asserts event is Stripe.Event {
  const parsed = stripeEvent.safeParse(event);
  if (!parsed.success) {
    throw new ApiError("bad_request", {
      detail: "The event does not have the shape of a Stripe event",
      errors: parsed.error.issues.map((issue) => ({
        path: issue.path.join(".") || "(event)",
        message: issue.message,
      })),
    });
  }
  // PostgreSQL's jsonb cannot hold U+0000 in a string: refused here, not failed on insert.
  if (raw.includes("\\u0000")) {
    throw new ApiError("bad_request", {
      detail: "The event contains a NUL character, which cannot be stored",
    });
  }
}
