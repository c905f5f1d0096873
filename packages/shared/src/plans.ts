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
