import {
  connect,
  connectRequestQueues,
  createMetrics,
  createTokenVerifier,
  type Logger,
  type Metrics,
  type PlanPrices,
  planPrices,
  type Queues,
  type ReadinessChecks,
  type Sql,
  type TokenVerifier,
} from "@oryn/shared";
import { createRemoteJWKSet, type JWTVerifyGetKey } from "jose";
import type Stripe from "stripe";
import { type BillingConfig, billingUrls } from "./env.ts";
import { createStripeClient } from "./stripe-client.ts";

export type BillingDeps = {
  logger: Logger;
  metrics: Metrics;
  sql: Sql;
  /** For requests: short timeout, one retry. Undefined without STRIPE_SECRET_KEY. */
  stripe: Stripe | undefined;
  /** For webhook verification only, which needs no key. */
  webhookVerifier: Stripe;
  webhookSecret: string;
  toleranceSeconds: number;
  prices: PlanPrices;
  graceSeconds: number;
  urls: { checkoutSuccess: string; checkoutCancel: string; portalReturn: string };
  /** Where the webhook enqueues events; bounded, so a slow Redis cannot hold the answer. */
  queues: Queues;
  verify: TokenVerifier;
  readiness: ReadinessChecks;
  close(): Promise<void>;
};

/** `keys` defaults to the gateway's JWKS; tests may hand in a local key set. */
export function createBillingDeps(
  config: BillingConfig,
  logger: Logger,
  options: { webhookSecret: string; keys?: JWTVerifyGetKey },
): BillingDeps {
  const sql = connect(config.DATABASE_URL, {
    max: config.DATABASE_POOL_MAX,
    applicationName: "oryn-billing",
  });
  const { redis: queueRedis, queues, close: closeQueues } = connectRequestQueues(config, logger);
  const keys =
    options.keys ??
    createRemoteJWKSet(new URL(config.JWKS_URL), {
      timeoutDuration: 2000,
      cooldownDuration: 30_000,
    });
  const stripeFor = (maxNetworkRetries: number, timeoutMs: number) =>
    createStripeClient({
      secretKey: config.STRIPE_SECRET_KEY,
      apiBase: config.STRIPE_API_BASE,
      maxNetworkRetries,
      timeoutMs,
    });
  return {
    logger,
    metrics: createMetrics("billing"),
    sql,
    // Within the gateway's upstream timeout: at most two tries of 4 s.
    stripe: config.STRIPE_SECRET_KEY
      ? stripeFor(1, Math.min(config.STRIPE_TIMEOUT_MS, 4000))
      : undefined,
    webhookVerifier: stripeFor(0, config.STRIPE_TIMEOUT_MS),
    webhookSecret: options.webhookSecret,
    toleranceSeconds: config.STRIPE_WEBHOOK_TOLERANCE_SECONDS,
    prices: planPrices(config),
    graceSeconds: config.BILLING_PAYMENT_GRACE_SECONDS,
    urls: billingUrls(config),
    queues,
    verify: createTokenVerifier({ keys, issuer: config.JWT_ISSUER, audience: config.JWT_AUDIENCE }),
    readiness: {
      controlPlane: () => sql`select 1`,
      redis: () => queueRedis.ping(),
    },
    async close() {
      await closeQueues();
      await sql.end({ timeout: 5 });
    },
  };
}

/** The Stripe client jobs use: the configured timeout and retries; BullMQ retries after them. */
export function createJobStripeClient(config: BillingConfig): Stripe | undefined {
  return config.STRIPE_SECRET_KEY
    ? createStripeClient({
        secretKey: config.STRIPE_SECRET_KEY,
        apiBase: config.STRIPE_API_BASE,
        maxNetworkRetries: config.STRIPE_MAX_NETWORK_RETRIES,
        timeoutMs: config.STRIPE_TIMEOUT_MS,
      })
    : undefined;
}
