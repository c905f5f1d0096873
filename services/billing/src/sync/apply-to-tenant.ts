import { type PlanName, recordEvent, type TransactionSql } from "@oryn/shared";
import { insertAuditEvent } from "@oryn/shared/control-plane/tables/audit-events";
import {
  lockTenantPlanAndStatus,
  setTenantPlanAndStatus,
} from "@oryn/shared/control-plane/tables/tenants";
import { isClosing } from "../accounts/billing-accounts.ts";

export type TenantChange = { field: "plan" | "status"; from: string; to: string };

/**
 * Writes the plan and access billing decided to the tenant row that gateway and workspace read,
 * with a control-plane audit entry per change. Billing moves a tenant only between `active` and
 * `restricted`: one still provisioning (or failed at it) keeps its status, one being deleted is
 * not touched at all. The row lock orders this against the gateway's deletion.
 */
export async function applyToTenant(
  tx: TransactionSql,
  change: {
    tenantId: string;
    plan: PlanName;
    access: "active" | "restricted";
    /** Stored as the audit entry's request id: the Stripe event, or the sync job. */
    cause: string;
    details: Record<string, unknown>;
  },
): Promise<TenantChange[]> {
  const tenant = await lockTenantPlanAndStatus(tx, change.tenantId);
  if (!tenant || isClosing(tenant.status)) return [];
  const mayMove = tenant.status === "active" || tenant.status === "restricted";
  const status = mayMove ? change.access : tenant.status;
  const changes: TenantChange[] = [];
  if (tenant.plan !== change.plan)
    changes.push({ field: "plan", from: tenant.plan, to: change.plan });
  if (tenant.status !== status) changes.push({ field: "status", from: tenant.status, to: status });
  if (changes.length === 0) return [];
  await setTenantPlanAndStatus(tx, change.tenantId, { plan: change.plan, status });
  for (const { field, from, to } of changes) {
    await insertAuditEvent(tx, {
      tenantId: change.tenantId,
      actorId: null,
      action: field === "plan" ? "plan_changed" : "status_changed",
      entity: "tenant",
      entityId: change.tenantId,
      requestId: change.cause,
      data: { from, to, ...change.details },
    });
    // The tenant's own event, in this transaction: its webhooks hear of it once, or not at all.
    const type =
      field === "plan"
        ? "tenant.plan_changed"
        : to === "restricted"
          ? "tenant.restricted"
          : "tenant.restored";
    await recordEvent(
      tx,
      change.tenantId,
      type,
      { id: change.tenantId, [field]: to },
      { [field]: from },
    );
  }
  return changes;
}
