import { z } from "zod";

/**
 * The plans, in one place. Workspace reads the caps (projects, members), the gateway the
 * request rate, billing the Stripe price behind each paid plan. A tenant's plan is the `plan`
 * column of `tenants` in the control plane; billing keeps it in step with Stripe.
 */
export const planNames = ["free", "pro", "business"] as const;
export type PlanName = (typeof planNames)[number];

export type PlanLimits = {
  /** Projects a tenant may hold at once. */
  projects: number;
  /** Members (owners, admins and members) a tenant may have at once. */
  members: number;
  /** Requests per minute through the gateway, sustained. */
  requestsPerMinute: number;
  /** Requests per second through the gateway, the burst allowance. */
  requestsPerSecond: number;
};

export const planLimits: Record<PlanName, PlanLimits> = {
  free: { projects: 3, members: 3, requestsPerMinute: 300, requestsPerSecond: 20 },
  pro: { projects: 50, members: 25, requestsPerMinute: 3_000, requestsPerSecond: 100 },
  business: { projects: 1_000, members: 500, requestsPerMinute: 30_000, requestsPerSecond: 500 },
};

export const planSchema = z.enum(planNames);

/** The limits of a plan name read from the database; an unknown name gets the free plan's. */
export function limitsOf(plan: string): PlanLimits {
  return planLimits[planSchema.safeParse(plan).data ?? "free"];
}

/** The plans sold through Stripe Checkout; `free` is what a tenant has without a subscription. */
export const paidPlanNames = ["pro", "business"] as const satisfies readonly PlanName[];
export type PaidPlanName = (typeof paidPlanNames)[number];

const priceId = z.string().regex(/^price_[A-Za-z0-9_]+$/, "must be a Stripe price id (price_...)");

/**
 * The Stripe price behind each paid plan: ids differ per Stripe account and mode (test/live), so
 * they come from the environment. Billing's `env.ts` spreads this group.
 */
export const planPriceEnv = {
  STRIPE_PRICE_PRO: priceId.optional().meta({
    description: "Stripe price id (`price_…`) of the `pro` plan; required in production.",
    unset: "the plan cannot be bought",
  }),
  STRIPE_PRICE_BUSINESS: priceId.optional().meta({
    description: "Stripe price id (`price_…`) of the `business` plan; required in production.",
    unset: "the plan cannot be bought",
  }),
};

export type PlanPrices = {
  /** The price to sell a plan at; undefined when that plan's price is not configured. */
  priceOf(plan: PaidPlanName): string | undefined;
  /** The plan a Stripe price stands for; undefined for a price that is none of ours. */
  planOf(priceId: string): PaidPlanName | undefined;
};

export function planPrices(config: {
  STRIPE_PRICE_PRO?: string | undefined;
  STRIPE_PRICE_BUSINESS?: string | undefined;
}): PlanPrices {
  const byPlan: Record<PaidPlanName, string | undefined> = {
    pro: config.STRIPE_PRICE_PRO,
    business: config.STRIPE_PRICE_BUSINESS,
  };
  return {
    priceOf: (plan) => byPlan[plan],
    planOf: (price) => paidPlanNames.find((plan) => byPlan[plan] === price),
  };
}
