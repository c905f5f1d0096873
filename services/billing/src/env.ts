import {
  baseEnv,
  ConfigError,
  controlPlaneEnv,
  httpUrl,
  planPriceEnv,
  port,
  positiveInt,
  redisEnv,
} from "@oryn/shared";
import { z } from "zod";

const nonNegativeInt = z.coerce.number().int().min(0);

export const billingEnv = z.object({
  ...baseEnv,
  ...controlPlaneEnv,
  ...redisEnv,
  ...planPriceEnv,
  PORT: port.default(8082),
  /** The gateway's public keys; billing verifies every token itself, as workspace does. */
  JWKS_URL: httpUrl.default("http://127.0.0.1:8080/.well-known/jwks.json"),
  JWT_ISSUER: z.string().min(1).default("oryn"),
  JWT_AUDIENCE: z.string().min(1).default("oryn-api"),
  /** Signing secret of the Stripe webhook endpoint (`whsec_...`); secret. */
  STRIPE_WEBHOOK_SECRET: z.string().startsWith("whsec_", "must start with whsec_").optional(),
  /**
   * Stripe API key (`sk_test_...`/`sk_live_...`); secret. Required in production; without it
   * (development) webhooks are still recorded but nothing that calls Stripe runs.
   */
  STRIPE_SECRET_KEY: z
    .string()
    .regex(/^(sk|rk)_(test|live)_/, "must be a Stripe secret key")
    .optional(),
  /** Another Stripe API server (a local fake in tests); unset means Stripe itself. */
  STRIPE_API_BASE: z.url({ protocol: /^https?$/ }).optional(),
  /** Oldest webhook timestamp accepted, in seconds (replay protection). */
  STRIPE_WEBHOOK_TOLERANCE_SECONDS: positiveInt.default(300),
  /** Retries of one Stripe call inside a job attempt; BullMQ retries the attempt after these. */
  STRIPE_MAX_NETWORK_RETRIES: nonNegativeInt.max(10).default(2),
  /** How long one Stripe call may take. */
  STRIPE_TIMEOUT_MS: positiveInt.default(10_000),
  /** How long a subscription may stay past_due or unpaid before the tenant is restricted. */
  BILLING_PAYMENT_GRACE_SECONDS: nonNegativeInt.default(3 * 24 * 3600),
  /**
   * Pages of the product's web app, where Stripe sends the browser back (required in production;
   * see `billingUrls` for the development placeholders). Checkout's success URL may hold
   * `{CHECKOUT_SESSION_ID}`, which Stripe fills in.
   */
  BILLING_CHECKOUT_SUCCESS_URL: httpUrl.optional(),
  BILLING_CHECKOUT_CANCEL_URL: httpUrl.optional(),
  BILLING_PORTAL_RETURN_URL: httpUrl.optional(),
  /** Billing jobs (Stripe events, customers, syncs) run at once in this process. */
  BILLING_CONCURRENCY: positiveInt.default(4),
  /**
   * Interval of billing's sweep, and the age after which an unprocessed event or a tenant without
   * a Stripe customer is enqueued again.
   */
  BILLING_SWEEP_SECONDS: positiveInt.default(30),
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
