import type { PaidPlanName, PlanName, PlanPrices } from "@oryn/shared";
import type Stripe from "stripe";

/** What billing concludes from a customer's subscriptions as Stripe lists them now. */
export type SubscriptionState = {
  plan: PlanName;
  subscriptionId: string | null;
  /** Stripe's status of the deciding subscription, null when there is none. */
  subscriptionStatus: string | null;
  currentPeriodEnd: Date | null;
  cancelAtPeriodEnd: boolean;
  /** A payment is overdue (past_due or unpaid): the grace period runs. */
  paymentOverdue: boolean;
};

// Which subscription decides when a customer has several (an old canceled one and a new active
// one, say): the one that entitles most, then the newest.
const statusRank: Record<string, number> = {
  active: 0,
  trialing: 0,
  past_due: 1,
  unpaid: 1,
  paused: 2,
  incomplete: 3,
  incomplete_expired: 4,
  canceled: 4,
};
// The status is Stripe's string: an own property only, never one an object inherits.
const rankOf = (status: string) =>
  (Object.hasOwn(statusRank, status) ? statusRank[status] : 5) ?? 5;
const planRank: Record<PaidPlanName, number> = { business: 0, pro: 1 };

/** Statuses in which the subscription's plan applies (overdue ones until the grace ends). */
const entitling = new Set(["active", "trialing", "past_due", "unpaid"]);
const overdue = new Set(["past_due", "unpaid"]);

/**
 * Plan and payment state from the subscriptions themselves, never from an event's payload, so
 * any order of (duplicate, stale) events ends in the state Stripe holds. Subscriptions to prices
 * that are none of our plans are ignored.
 */
export function deriveState(
  subscriptions: readonly Stripe.Subscription[],
  prices: PlanPrices,
): SubscriptionState {
  const ours = subscriptions.flatMap((subscription) => {
    const item = ourItem(subscription, prices);
    return item ? [{ subscription, ...item }] : [];
  });
  ours.sort(
    (a, b) =>
      rankOf(a.subscription.status) - rankOf(b.subscription.status) ||
      planRank[a.plan] - planRank[b.plan] ||
      b.subscription.created - a.subscription.created ||
      a.subscription.id.localeCompare(b.subscription.id),
  );
  const deciding = ours[0];
  if (!deciding) {
    return {
      plan: "free",
      subscriptionId: null,
      subscriptionStatus: null,
      currentPeriodEnd: null,
      cancelAtPeriodEnd: false,
      paymentOverdue: false,
    };
  }
  const { subscription, plan, periodEnd } = deciding;
  return {
    plan: entitling.has(subscription.status) ? plan : "free",
    subscriptionId: subscription.id,
    subscriptionStatus: subscription.status,
    currentPeriodEnd: periodEnd === undefined ? null : new Date(periodEnd * 1000),
    cancelAtPeriodEnd: subscription.cancel_at_period_end,
    paymentOverdue: overdue.has(subscription.status),
  };
}

/** The subscription's item for one of our plans (the highest, should it have two). */
function ourItem(
  subscription: Stripe.Subscription,
  prices: PlanPrices,
): { plan: PaidPlanName; periodEnd: number | undefined } | undefined {
  let best: { plan: PaidPlanName; periodEnd: number | undefined } | undefined;
  for (const item of subscription.items.data) {
    const plan = prices.planOf(item.price.id);
    if (plan && (!best || planRank[plan] < planRank[best.plan])) {
      // Since Stripe's 2025 API versions the billing period lives on the item.
      best = { plan, periodEnd: item.current_period_end };
    }
  }
  return best;
}
