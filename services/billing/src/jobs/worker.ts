import { createJobWorker, type Logger, type Metrics, type RedisClient } from "@oryn/shared";
import { ensureStripeCustomer } from "../customers/ensure-customer.ts";
import { processStripeEvent } from "../events/process-event.ts";
import { type SyncDeps, syncTenantBilling } from "../sync/sync-tenant.ts";

/**
 * The billing queue's worker. A Stripe error (timeout, 5xx, 429) fails the attempt, and BullMQ
 * retries it with the catalogue's backoff; past the last attempt the sweep picks it up again.
 */
export function startBillingWorker(options: {
  deps: SyncDeps;
  connection: RedisClient;
  prefix: string;
  concurrency: number;
  logger: Logger;
  metrics?: Metrics;
}): ReturnType<typeof createJobWorker> {
  const { deps } = options;
  return createJobWorker({
    queue: "billing",
    connection: options.connection,
    prefix: options.prefix,
    concurrency: options.concurrency,
    logger: options.logger,
    ...(options.metrics ? { metrics: options.metrics } : {}),
    handlers: {
      createStripeCustomer: async ({ tenantId }) => {
        if (!deps.stripe) throw new Error("STRIPE_SECRET_KEY is not set: no customer can be made");
        return {
          customerId: await ensureStripeCustomer({ ...deps, stripe: deps.stripe, tenantId }),
        };
      },
      processStripeEvent: async ({ eventId }) => {
        const outcome = await processStripeEvent(deps, eventId);
        deps.logger.debug({ eventId, result: outcome.result }, "stripe event processed");
        return outcome.result;
      },
      syncTenantBilling: async ({ tenantId }, job) =>
        (await syncTenantBilling(deps, tenantId, { cause: `job:${job.id}` })).result,
    },
  });
}
