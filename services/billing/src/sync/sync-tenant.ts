import { enqueue, type Logger, type PlanPrices, type Queues, type Sql } from "@oryn/shared";
import type Stripe from "stripe";
import { findAccount, saveSyncedState } from "../accounts/billing-accounts.ts";
import { lockStripeEvent, markProcessed } from "../events/stripe-events.ts";
import { applyToTenant, type TenantChange } from "./apply-to-tenant.ts";
import { deriveState, type SubscriptionState } from "./derive-state.ts";

export type SyncDeps = {
  sql: Sql;
  /** Undefined when no STRIPE_SECRET_KEY is set: then nothing can be synced. */
  stripe: Stripe | undefined;
  prices: PlanPrices;
  queues: Queues;
  logger: Logger;
  graceSeconds: number;
};

export type SyncOutcome =
  | { result: "already_processed" | "no_customer" }
  | {
      result: "synced";
      state: SubscriptionState;
      access: "active" | "restricted";
      changes: TenantChange[];
      graceEndsAt: Date | null;
      /** The control plane's clock when Stripe had answered. */
      now: Date;
    };

// Two-key advisory locks live apart from the one-key locks of migrations and the template.
const syncLockClass = 0x0b111;

/**
 * Brings one tenant in step with Stripe: lists the customer's subscriptions, derives plan and
 * payment state, and writes them. With `eventId`, also marks that event processed in the same
 * transaction, so an event is processed exactly once even if its job runs twice.
 *
 * Syncs of one tenant take turns on an advisory lock held across the Stripe call: a sync that
 * starts later also reads Stripe later, so an older answer can never be written over a newer one.
 * The price is a control-plane connection held for the length of one Stripe call per running job
 * (bounded by BILLING_CONCURRENCY and STRIPE_TIMEOUT_MS).
 */
export async function syncTenantBilling(
  deps: SyncDeps,
  tenantId: string,
  options: { eventId?: string; cause: string },
): Promise<SyncOutcome> {
  const stripe = deps.stripe;
  if (!stripe) throw new Error("STRIPE_SECRET_KEY is not set: billing cannot read Stripe");
  const outcome = await deps.sql.begin(async (tx): Promise<SyncOutcome> => {
    await tx`select pg_advisory_xact_lock(${syncLockClass}::int, hashtext(${tenantId}))`;
    if (options.eventId) {
      const event = await lockStripeEvent(tx, options.eventId);
      if (!event || event.processedAt) return { result: "already_processed" };
    }
    const account = await findAccount(tx, tenantId);
    if (!account) {
      if (options.eventId) await markProcessed(tx, options.eventId);
      return { result: "no_customer" };
    }
    const subscriptions = await stripe.subscriptions
      .list({ customer: account.stripeCustomerId, status: "all", limit: 100 })
      .autoPagingToArray({ limit: 1000 });
    const state = deriveState(subscriptions, deps.prices);
    const [{ now } = { now: new Date() }] = await tx<
      { now: Date }[]
    >`select clock_timestamp() as now`;
    const paymentFailedAt = state.paymentOverdue ? (account.paymentFailedAt ?? now) : null;
    const graceEndsAt = paymentFailedAt
      ? new Date(paymentFailedAt.getTime() + deps.graceSeconds * 1000)
      : null;
    const access = graceEndsAt && graceEndsAt <= now ? "restricted" : "active";
    await saveSyncedState(tx, tenantId, {
      stripeSubscriptionId: state.subscriptionId,
      subscriptionStatus: state.subscriptionStatus,
      currentPeriodEnd: state.currentPeriodEnd,
      cancelAtPeriodEnd: state.cancelAtPeriodEnd,
      paymentFailedAt,
      syncedAt: now,
    });
    const changes = await applyToTenant(tx, {
      tenantId,
      plan: state.plan,
      access,
      cause: options.cause,
      details: {
        subscriptionId: state.subscriptionId,
        subscriptionStatus: state.subscriptionStatus,
        ...(options.eventId ? { stripeEventId: options.eventId } : {}),
      },
    });
    if (options.eventId) await markProcessed(tx, options.eventId);
    return { result: "synced", state, access, changes, graceEndsAt, now };
  });
  if (outcome.result === "synced") {
    if (outcome.changes.length > 0) {
      deps.logger.info(
        { tenantId, changes: outcome.changes, cause: options.cause },
        "tenant billing changed",
      );
    }
    // Nothing else would happen when the grace ends without another event: a delayed sync does.
    if (outcome.access === "active" && outcome.graceEndsAt) {
      const dueAt = outcome.graceEndsAt.getTime();
      await enqueue(
        deps.queues,
        "syncTenantBilling",
        { tenantId, dueAt },
        // Relative to the database's clock, which decided the grace: this process's may differ.
        { delayMs: dueAt - outcome.now.getTime() + 100 },
      );
    }
  }
  return outcome;
}
