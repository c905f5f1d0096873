import {
  closeRedis,
  connectRedisForWorker,
  createQueues,
  type Logger,
  type Metrics,
  type Queues,
  type Sql,
} from "@oryn/shared";
import type { BillingDeps } from "../deps.ts";
import { createJobStripeClient } from "../deps.ts";
import type { BillingConfig } from "../env.ts";
import type { SyncDeps } from "../sync/sync-tenant.ts";
import { type SweepReport, sweepBilling } from "./sweep.ts";
import { startBillingWorker } from "./worker.ts";

export type BillingJobs = {
  syncDeps: SyncDeps;
  queues: Queues;
  startWorker(): ReturnType<typeof startBillingWorker>;
  sweep(options?: { olderThanSeconds?: number }): Promise<SweepReport>;
  close(): Promise<void>;
};

/**
 * The worker side of billing, wired as main.ts runs it (tests build the same): its own Redis
 * connection (BullMQ's blocking reads need `maxRetriesPerRequest: null`), its own Stripe client
 * (longer timeout, configured retries), and the sweep.
 */
export function createBillingJobs(
  config: BillingConfig,
  deps: { sql: Sql; logger: Logger; prices: BillingDeps["prices"]; metrics?: Metrics },
): BillingJobs {
  const redis = connectRedisForWorker(config.REDIS_URL);
  redis.on("error", (error) => deps.logger.warn({ err: error }, "redis (worker) error"));
  const queues = createQueues(redis, config.REDIS_PREFIX, deps.logger);
  const syncDeps: SyncDeps = {
    sql: deps.sql,
    stripe: createJobStripeClient(config),
    prices: deps.prices,
    queues,
    logger: deps.logger,
    graceSeconds: config.BILLING_PAYMENT_GRACE_SECONDS,
  };
  return {
    syncDeps,
    queues,
    startWorker: () =>
      startBillingWorker({
        deps: syncDeps,
        connection: redis,
        prefix: config.REDIS_PREFIX,
        concurrency: config.BILLING_CONCURRENCY,
        logger: deps.logger,
        ...(deps.metrics ? { metrics: deps.metrics } : {}),
      }),
    sweep: (options = {}) =>
      sweepBilling({
        sql: deps.sql,
        queues,
        logger: deps.logger,
        olderThanSeconds: options.olderThanSeconds ?? config.BILLING_SWEEP_SECONDS,
        graceSeconds: config.BILLING_PAYMENT_GRACE_SECONDS,
        stripeConfigured: syncDeps.stripe !== undefined,
      }),
    async close() {
      await queues.close();
      await closeRedis(redis);
    },
  };
}
