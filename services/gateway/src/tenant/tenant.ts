import {
  ApiError,
  findTenant,
  requestTenantDeletion,
  type Sql,
  type TenantRow,
  type TransactionSql,
} from "@oryn/shared";
import type { Caller } from "../lib/request.ts";
import type { Tenant } from "./schemas.ts";

function toTenant(tenant: TenantRow): Tenant {
  return {
    id: tenant.id,
    slug: tenant.slug,
    name: tenant.name,
    status: tenant.status,
    plan: tenant.plan,
    provisioning: {
      step: tenant.provisioningStep,
      attempts: tenant.provisioningAttempts,
      error: tenant.provisioningError,
    },
    deleteAfter: tenant.deleteAfter?.toISOString() ?? null,
    createdAt: tenant.createdAt.toISOString(),
  };
}

/** The tenant as its members see it; a deleted one is gone. */
export async function getTenant(sql: Sql, tenantId: string): Promise<Tenant> {
  const tenant = await findTenant(sql, tenantId);
  if (!tenant || tenant.status === "deleted") throw new ApiError("not_found");
  return toTenant(tenant);
}

/**
 * Marks the caller's tenant `deleting` (see requestTenantDeletion) once its slug is typed again
 * in `confirm`. Answers the tenant as it now is, and when its data goes.
 */
export async function requestDeletion(
  tx: TransactionSql,
  caller: Caller,
  options: { confirm: string; graceSeconds: number },
): Promise<{ tenant: Tenant; deleteAfter: Date }> {
  const { principal } = caller;
  const tenant = await findTenant(tx, principal.tenantId);
  if (!tenant || tenant.status === "deleted") throw new ApiError("not_found");
  // Slugs never change, so reading it before the deletion's row lock is as good as under it.
  if (options.confirm !== tenant.slug) {
    throw new ApiError("validation_failed", {
      detail: "Type the tenant's slug in `confirm` to delete it",
      errors: [{ path: "confirm", message: "must equal the tenant's slug" }],
    });
  }
  const request = await requestTenantDeletion(tx, tenant.id, {
    graceSeconds: options.graceSeconds,
    requester: {
      actorId: principal.userId,
      requestId: caller.requestId,
      ip: caller.ip,
      via: "owner",
    },
  });
  if (!("deleteAfter" in request)) throw new ApiError("not_found");
  const deleting = await findTenant(tx, tenant.id);
  if (!deleting) throw new ApiError("not_found");
  return { tenant: toTenant(deleting), deleteAfter: request.deleteAfter };
}
