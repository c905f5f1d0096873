import { type PlanName, planSchema, type Sql } from "@oryn/shared";

/**
 * Each tenant's plan for the rate limits, from the control plane, cached for `ttlMs` so the hot
 * path asks about once per tenant per few seconds; a plan change (billing) reaches the limits
 * within that time, without a restart. Concurrent misses for one tenant share one query. If the
 * control plane cannot answer, the last known plan (or free) is used rather than failing.
 */
export function createTenantPlans(
  sql: Sql,
  ttlMs: number,
): (tenantId: string) => Promise<PlanName> {
  const cache = new Map<string, { plan: PlanName; at: number }>();
  const inFlight = new Map<string, Promise<PlanName>>();
  return async (tenantId) => {
    const hit = cache.get(tenantId);
    if (hit && performance.now() - hit.at < ttlMs) return hit.plan;
    let pending = inFlight.get(tenantId);
    if (!pending) {
      pending = sql<{ plan: string }[]>`select plan from tenants where id = ${tenantId}`
        .then(([row]) => {
          const plan = planSchema.safeParse(row?.plan).data ?? "free";
          if (cache.size > 100_000) cache.clear();
          cache.set(tenantId, { plan, at: performance.now() });
          return plan;
        })
        .catch(() => hit?.plan ?? "free")
        .finally(() => inFlight.delete(tenantId));
      inFlight.set(tenantId, pending);
    }
    return pending;
  };
}
