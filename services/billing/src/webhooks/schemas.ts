import { z } from "@hono/zod-openapi";
import { text } from "@oryn/shared";

export const stripeSignatureHeader = z.object({
  "stripe-signature": z
    .string()
    .optional()
    .openapi({ description: "`t=<unix seconds>,v1=<HMAC-SHA256 of t.body>`, as Stripe sends it" }),
});

/**
 * What billing needs of a Stripe event (it keeps the whole payload): checked after the signature,
 * so a signed event of another shape is answered 400 rather than failing where it is stored.
 * Also the request body of the OpenAPI entry, which the route does not let the framework
 * validate: the signature covers the raw bytes, which must be read before any parsing.
 */
export const stripeEvent = z
  .looseObject({
    id: text({ min: 1, max: 255, trim: false }),
    object: z.literal("event").optional(),
    type: text({ min: 1, max: 255, trim: false }),
    created: z.number().int().optional().openapi({ description: "Unix seconds" }),
    data: z.looseObject({ object: z.record(z.string(), z.unknown()) }),
  })
  .openapi("StripeEvent", {
    description:
      "A Stripe event (https://docs.stripe.com/api/events/object); other fields are kept",
  });

export const stripeEventAnswer = z.object({ received: z.literal(true), duplicate: z.boolean() });
