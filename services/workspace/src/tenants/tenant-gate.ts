import {
  ApiError,
  type AppEnv,
  cachedPerKey,
  type PlanName,
  planSchema,
  principalOf,
  requiredTenantSchemaVersion,
  type Sql,
} from "@oryn/shared";
import { findTenant, type TenantStatus } from "@oryn/shared/control-plane/tables/tenants";
import type { MiddlewareHandler } from "hono";
import type { TenantPools } from "./tenant-pools.ts";

/** What workspace needs to know of a tenant from the control plane. */
export type TenantState = {
  status: TenantStatus;
  plan: PlanName;
  schemaVersion: number;
  /** An operator is moving the tenant's database to another server. */
  moving: boolean;
  /**
   * The control plane could not be read: this is what it said last, at most
   * TENANT_STATUS_STALE_MS ago. Reads go on; a write could land in a database being moved or
   * a tenant just suspended, so writes wait for the control plane.
   */
  unconfirmed?: true;
};

export type TenantStates = { get(tenantId: string): Promise<TenantState | undefined> };

/**
 * Tenant status and plan from the control plane, cached for `ttlMs` so the hot path does not ask
 * on every request, yet a plan change or a suspension takes effect within that time without a
 * restart. While the control plane cannot be read, the state last read within `staleMs` is used,
 * marked `unconfirmed`, so its tenants can still read their data.
 */
export function createTenantStates(sql: Sql, ttlMs: number, staleMs: number): TenantStates {
  const states = cachedPerKey(
    async (tenantId): Promise<TenantState | undefined> => {
      const tenant = await findTenant(sql, tenantId);
      // An unknown plan name gets the free plan's limits rather than none.
      return (
        tenant && {
          status: tenant.status,
          plan: planSchema.safeParse(tenant.plan).data ?? "free",
          schemaVersion: tenant.schemaVersion,
          moving: tenant.movingSince !== null,
        }
      );
    },
    { ttlMs },
  );
  return {
    get: (tenantId) =>
      states
        .getOrStale(tenantId, staleMs)
        .then(({ value, stale }) => (stale && value ? { ...value, unconfirmed: true } : value)),
  };
}

const readMethods = new Set(["GET", "HEAD", "OPTIONS"]);

/**
 * What each tenant state lets through: see "Lifecycle of a tenant" in docs/design.md. A tenant that is
 * gone (or going) has its connection pool closed here, the first time it is seen so.
 */
export function tenantGate(states: TenantStates, pools: TenantPools): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const tenantId = principalOf(c).tenantId;
    const state = await states.get(tenantId);
    switch (state?.status) {
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
        pools.close(tenantId);
        throw new ApiError("not_found");
    }
    // A database behind what this code needs would fail on a missing column or table: say it is
    // unavailable for now instead. `pnpm oryn migrate` brings it forward, and the cached state
    // (TENANT_STATUS_CACHE_MS) lets requests through again soon after.
    if (state.schemaVersion < requiredTenantSchemaVersion) {
      throw new ApiError("upstream_unavailable", {
        status: 503,
        detail: "The tenant's database is being migrated to a newer version; retry shortly",
        headers: { "retry-after": "10" },
      });
    }
    if (state.unconfirmed && !readMethods.has(c.req.method)) {
      throw new ApiError("upstream_unavailable", {
        status: 503,
        detail: "The control plane cannot be reached: reads go on, writes wait until it is back",
        headers: { "retry-after": "5" },
      });
    }
    // While its database is copied to another server, a write could be lost: reads go on.
    if (state.moving && !readMethods.has(c.req.method)) {
      throw new ApiError("upstream_unavailable", {
        status: 503,
        detail: "The tenant's database is being moved to another server; retry shortly",
        headers: { "retry-after": "5" },
      });
    }
    await next();
  };
}
