import { ApiError, requestTenantDeletion, type Sql, type TransactionSql } from "@oryn/shared";
import {
  findTenant,
  setTenantMfaRequired,
  type TenantRow,
} from "@oryn/shared/control-plane/tables/tenants";
import { recordCallerEvent } from "../audit/audit-events.ts";
import type { Caller } from "../lib/request.ts";
import { hasActiveTotp } from "../mfa/factors.ts";
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
    mfaRequired: tenant.mfaRequired,
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

/**
 * Sets whether the tenant requires a second factor of its members. Turning it on needs the caller
 * to have one: an owner cannot lock the tenant out of everything but enrolment by accident.
 */
export async function setMfaRequired(
  tx: TransactionSql,
  caller: Caller,
  mfaRequired: boolean,
): Promise<Tenant> {
  const { principal } = caller;
  if (mfaRequired && !(await hasActiveTotp(tx, principal.userId))) {
    throw new ApiError("mfa_required", {
      detail: "Turn on two-factor authentication yourself before requiring it of the tenant",
    });
  }
  const changed = await setTenantMfaRequired(tx, principal.tenantId, mfaRequired);
  if (!changed) throw new ApiError("not_found");
  await recordCallerEvent(tx, caller, {
    action: "tenant_updated",
    entity: "tenant",
    entityId: principal.tenantId,
    data: { before: { mfaRequired: changed.before }, after: { mfaRequired } },
  });
  const tenant = await findTenant(tx, principal.tenantId);
  if (!tenant) throw new ApiError("not_found");
  return toTenant(tenant);
}
