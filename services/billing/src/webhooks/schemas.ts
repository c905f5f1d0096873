import { z } from "@hono/zod-openapi";

export const stripeSignatureHeader = z.object({ "stripe-signature": z.string().optional() });

export const stripeEventAnswer = z.object({ received: z.literal(true), duplicate: z.boolean() });
