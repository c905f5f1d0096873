import { baseEnv, controlPlaneEnv, port, positiveInt } from "@oryn/shared";
import { z } from "zod";

export const billingEnv = z.object({
  ...baseEnv,
  ...controlPlaneEnv,
  PORT: port.default(8082),
  /** Signing secret of the Stripe webhook endpoint (`whsec_...`); secret. */
  STRIPE_WEBHOOK_SECRET: z.string().startsWith("whsec_", "must start with whsec_").optional(),
  /** Stripe API key (`sk_test_...`/`sk_live_...`); secret. Not needed to receive webhooks. */
  STRIPE_SECRET_KEY: z
    .string()
    .regex(/^(sk|rk)_(test|live)_/, "must be a Stripe secret key")
    .optional(),
  /** Another Stripe API server (a local fake in tests); unset means Stripe itself. */
  STRIPE_API_BASE: z.url({ protocol: /^https?$/ }).optional(),
  /** Oldest webhook timestamp accepted, in seconds (replay protection). */
  STRIPE_WEBHOOK_TOLERANCE_SECONDS: positiveInt.default(300),
});

export type BillingConfig = z.output<typeof billingEnv>;
