import type { Logger, Queues, Sql } from "@oryn/shared";
import { overdueAccounts, tenantsWithoutAccount } from "../accounts/billing-accounts.ts";
import { unprocessedEventIds } from "../events/stripe-events.ts";
import { requeue } from "./requeue.ts";

export type SweepDeps = {
  sql: Sql;
  queues: Queues;
  logger: Logger;
  /** Events and tenants younger than this are left to the normal path. */
  olderThanSeconds: number;
  graceSeconds: number;
  /** Without a Stripe key no customer can be made, so none is asked for. */
  stripeConfigured: boolean;
};

export type SweepReport = { events: number; customers: number; graceSyncs: number };

// Items of each kind taken per sweep; the rest wait for the next one.
const batch = 1000;

/**
 * What keeps billing from losing work to an outage, run every BILLING_SWEEP_SECONDS:
 * - events recorded but not processed (the webhook could not enqueue, or the job spent its
 *   attempts while Stripe was down) are enqueued or retried;
 * - tenants without a Stripe customer get one (this is also how customers are made after
 *   signup: billing owns Stripe, and the gateway need not know);
 * - tenants whose payment grace has ended but are still active (their delayed sync was lost)
 *   are synced.
 * Each item is handled on its own, so one failure does not starve the rest.
 */
export async function sweepBilling(deps: SweepDeps): Promise<SweepReport> {
  const report: SweepReport = { events: 0, customers: 0, graceSyncs: 0 };
  for (const id of await unprocessedEventIds(deps.sql, deps.olderThanSeconds, batch)) {
    if (
      await attempt(deps, { eventId: id }, () =>
        requeue(deps.queues, "processStripeEvent", { eventId: id }),
      )
    )
      report.events++;
  }
  if (deps.stripeConfigured) {
    for (const id of await tenantsWithoutAccount(deps.sql, batch)) {
      if (
        await attempt(deps, { tenantId: id }, () =>
          requeue(deps.queues, "createStripeCustomer", { tenantId: id }),
        )
      )
        report.customers++;
    }
  }
  const overdue = await overdueAccounts(deps.sql, {
    graceSeconds: deps.graceSeconds,
    olderThanSeconds: deps.olderThanSeconds,
    limit: batch,
  });
  for (const { tenantId, dueAt } of overdue) {
    const payload = { tenantId, dueAt: dueAt.getTime() };
    if (await attempt(deps, { tenantId }, () => requeue(deps.queues, "syncTenantBilling", payload)))
      report.graceSyncs++;
  }
  if (report.events + report.customers + report.graceSyncs > 0) {
    deps.logger.info(report, "billing sweep set work going again");
  }
  return report;
}

async function attempt(
  deps: SweepDeps,
  subject: Record<string, string>,
  run: () => Promise<"retried" | "added" | "left">,
): Promise<boolean> {
  try {
    return (await run()) !== "left";
  } catch (error) {
    deps.logger.warn({ err: error, ...subject }, "billing sweep could not requeue");
    return false;
  }
}
