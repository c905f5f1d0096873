import { cachedPerKey, type PlanName, planSchema, type Sql } from "@oryn/shared";
import { findTenantPlan } from "@oryn/shared/control-plane/tables/tenants";

/**
 * Each tenant's plan for the rate limits, from the control plane, cached for `ttlMs`: a plan
 * change (billing) reaches the limits within that time, without a restart. If the control plane
 * cannot answer, the last known plan (or free) is used rather than failing the request.
 */
export function createTenantPlans(
  sql: Sql,
  ttlMs: number,
): (tenantId: string) => Promise<PlanName> {
  const plans = cachedPerKey(
    async (tenantId) => {
      return planSchema.safeParse(await findTenantPlan(sql, tenantId)).data ?? "free";
    },
    { ttlMs, maxEntries: 100_000 },
  );
  return (tenantId) =>
    plans.getOrStale(tenantId).then(
      ({ value }) => value,
      () => "free" as const,
    );
}
