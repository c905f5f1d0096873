import {
  baseEnv,
  ConfigError,
  controlPlaneEnv,
  httpUrl,
  nonNegativeInt,
  planPriceEnv,
  port,
  positiveInt,
  redisEnv,
  tokenVerifierEnv,
} from "@oryn/shared";
import { z } from "zod";

export const billingEnv = z.object({
  ...baseEnv,
  ...controlPlaneEnv,
  ...redisEnv,
  ...planPriceEnv,
  ...tokenVerifierEnv,
  PORT: port.default(8082).describe("HTTP port, reached through the gateway."),
  STRIPE_WEBHOOK_SECRET: z.string().startsWith("whsec_", "must start with whsec_").optional().meta({
    description: "Signing secret (`whsec_…`) of the Stripe webhook endpoint.",
    secret: true,
    unset: "generated into SECRETS_DIR outside production",
  }),
  STRIPE_SECRET_KEY: z
    .string()
    .regex(/^(sk|rk)_(test|live)_/, "must be a Stripe secret key")
    .optional()
    .meta({
      description: "Stripe API key (`sk_…` or `rk_…`); required in production.",
      secret: true,
      unset: "webhooks are still recorded, but nothing calls Stripe (development only)",
    }),
  STRIPE_API_BASE: z
    .url({ protocol: /^https?$/ })
    .optional()
    .meta({
      description: "Another Stripe API server, e.g. a local fake in tests.",
      unset: "Stripe itself",
    }),
  STRIPE_WEBHOOK_TOLERANCE_SECONDS: positiveInt
    .default(300)
    .describe(
      "How far a webhook timestamp may be from now, in the past or the future, to be accepted (replay protection).",
    ),
  STRIPE_MAX_NETWORK_RETRIES: nonNegativeInt
    .max(10)
    .default(2)
    .describe(
      "Retries of one Stripe call inside a job attempt (requests use 1); BullMQ retries the attempt after these; at most 10.",
    ),
  STRIPE_TIMEOUT_MS: positiveInt
    .default(10_000)
    .describe("Timeout of one Stripe call from a job (requests use at most 4000)."),
  BILLING_PAYMENT_GRACE_SECONDS: nonNegativeInt
    .default(3 * 24 * 3600)
    .describe(
      "How long a subscription may stay `past_due` or `unpaid` before the tenant is `restricted`.",
    ),
  // The product's web app is not part of Oryn: outside production `billingUrls` puts placeholders
  // on localhost in place of these, so checkout can be tried at once.
  BILLING_CHECKOUT_SUCCESS_URL: httpUrl.optional().meta({
    description:
      "Page of the product's web app Stripe Checkout sends the browser to after paying; may hold `{CHECKOUT_SESSION_ID}`, which Stripe fills in. Required in production.",
    unset:
      "`http://localhost:3000/billing/success?session_id={CHECKOUT_SESSION_ID}` outside production",
  }),
  BILLING_CHECKOUT_CANCEL_URL: httpUrl.optional().meta({
    description: "Page Checkout sends the browser to when it gives up. Required in production.",
    unset: "`http://localhost:3000/billing` outside production",
  }),
  BILLING_PORTAL_RETURN_URL: httpUrl.optional().meta({
    description: "The Customer Portal's link back to the product. Required in production.",
    unset: "`http://localhost:3000/billing` outside production",
  }),
  BILLING_CONCURRENCY: positiveInt
    .default(4)
    .describe(
      "Billing jobs (Stripe events, customers, syncs) run at once; each may hold a control-plane connection during one Stripe call, so keep it below DATABASE_POOL_MAX.",
    ),
  BILLING_SWEEP_SECONDS: positiveInt
    .default(30)
    .describe(
      "Interval of billing's sweep, and the age after which an unprocessed event or a tenant without a Stripe customer is enqueued again.",
    ),
});

export type BillingConfig = z.output<typeof billingEnv>;

/**
 * What production needs beyond the schema: the API key, a price for each paid plan and the pages
 * Stripe sends the browser back to, or customers could not be made nor plans sold. Checked here rather than by a refinement so the
 * schema stays a plain object (other code picks fields from it).
 */
export function checkProductionSettings(config: BillingConfig): void {
  if (config.NODE_ENV !== "production") return;
  const required = [
    "STRIPE_WEBHOOK_SECRET",
    "STRIPE_SECRET_KEY",
    "STRIPE_PRICE_PRO",
    "STRIPE_PRICE_BUSINESS",
    "BILLING_CHECKOUT_SUCCESS_URL",
    "BILLING_CHECKOUT_CANCEL_URL",
    "BILLING_PORTAL_RETURN_URL",
  ] as const;
  const missing = required
    .filter((name) => !config[name])
    .map((name) => `  ${name}: required in production`);
  if (missing.length > 0) throw new ConfigError(`Invalid configuration:\n${missing.join("\n")}`);
}

/**
 * Where Stripe sends the browser back. Outside production an unset page is a placeholder on
 * localhost (the product's web app is not part of Oryn), so checkout can be tried at once.
 */
export function billingUrls(config: BillingConfig) {
  const app = "http://localhost:3000/billing";
  return {
    checkoutSuccess:
      config.BILLING_CHECKOUT_SUCCESS_URL ?? `${app}/success?session_id={CHECKOUT_SESSION_ID}`,
    checkoutCancel: config.BILLING_CHECKOUT_CANCEL_URL ?? app,
    portalReturn: config.BILLING_PORTAL_RETURN_URL ?? app,
  };
}
