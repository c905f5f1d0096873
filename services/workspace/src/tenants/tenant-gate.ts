import {
  ApiError,
  type AppEnv,
  findTenant,
  principalOf,
  type Sql,
  type TenantStatus,
} from "@oryn/shared";
import type { MiddlewareHandler } from "hono";

export type TenantStatuses = { get(tenantId: string): Promise<TenantStatus | undefined> };

/**
 * Tenant status from the control plane, cached briefly so the hot path does not ask on every
 * request; concurrent misses for one tenant share one query.
 */
export function createTenantStatuses(sql: Sql, ttlMs: number): TenantStatuses {
  const cache = new Map<string, { status: TenantStatus | undefined; at: number }>();
  const inFlight = new Map<string, Promise<TenantStatus | undefined>>();
  return {
    async get(tenantId) {
      const hit = cache.get(tenantId);
      if (hit && performance.now() - hit.at < ttlMs) return hit.status;
      let pending = inFlight.get(tenantId);
      if (!pending) {
        pending = findTenant(sql, tenantId)
          .then((tenant) => {
            if (cache.size > 50_000) cache.clear();
            cache.set(tenantId, { status: tenant?.status, at: performance.now() });
            return tenant?.status;
          })
          .finally(() => inFlight.delete(tenantId));
        inFlight.set(tenantId, pending);
      }
      return pending;
    },
  };
}

const readMethods = new Set(["GET", "HEAD", "OPTIONS"]);

/** What each tenant state lets through: see the tenant lifecycle in DESIGN.md. */
export function tenantGate(statuses: TenantStatuses): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const status = await statuses.get(principalOf(c).tenantId);
    switch (status) {
      case "active":
        break;
      case "restricted":
        if (!readMethods.has(c.req.method)) throw new ApiError("tenant_restricted");
        break;
      case "provisioning":
        throw new ApiError("tenant_not_ready", { headers: { "retry-after": "2" } });
      case "provisioning_failed":
        throw new ApiError("tenant_not_ready", {
          detail: "Provisioning failed; GET /v1/tenant shows where",
        });
      default:
        // deleting, deleted, or no such tenant: as if it did not exist.
        throw new ApiError("not_found");
    }
    await next();
  };
}
