import { jobCatalogue, type Logger, type Queues, type Sql } from "@oryn/shared";
import { insertAuditEvent } from "@oryn/shared/control-plane/tables/audit-events";
import { renewMembershipVersionsOfTenant } from "@oryn/shared/control-plane/tables/memberships";
import {
  lockTenantLifecycle,
  restoreTenantStatus,
} from "@oryn/shared/control-plane/tables/tenants";
import { withTenantLifecycleLock } from "./tenant-lock.ts";

export type RestoreOutcome =
  | { outcome: "restored"; status: string }
  | {
      outcome: "no_tenant" | "not_deleting" | "deleted" | "deletion_started" | "busy";
      status?: string;
    };

/**
 * Takes a `deleting` tenant back to the status it had, within the grace period. Refused once the
 * deletion job has started (it may have removed part of the data; running it again finishes it)
 * and after it finished (the data is gone). Members get fresh membership versions: their access
 * tokens were revoked up to a version number, and logging in again must give tokens above it.
 */
export async function restoreTenant(
  deps: { controlPlane: Sql; queues?: Queues; logger: Logger },
  tenantId: string,
  operator: { requestId: string | null },
): Promise<RestoreOutcome> {
  const restored = await withTenantLifecycleLock(deps.controlPlane, tenantId, () =>
    deps.controlPlane.begin(async (tx): Promise<RestoreOutcome & { deleteAfter?: Date }> => {
      const tenant = await lockTenantLifecycle(tx, tenantId);
      if (!tenant) return { outcome: "no_tenant" };
      if (tenant.status === "deleted") return { outcome: "deleted", status: tenant.status };
      if (tenant.status !== "deleting") return { outcome: "not_deleting", status: tenant.status };
      if (tenant.deletionStartedAt) return { outcome: "deletion_started", status: tenant.status };
      const status = tenant.statusBeforeDeletion ?? "active";
      await restoreTenantStatus(tx, tenantId, status);
      await renewMembershipVersionsOfTenant(tx, tenantId);
      await insertAuditEvent(tx, {
        tenantId,
        actorId: null,
        action: "tenant_restored",
        entity: "tenant",
        entityId: tenantId,
        requestId: operator.requestId,
        data: {
          via: "operator",
          to: status,
          deleteAfter: tenant.deleteAfter?.toISOString() ?? null,
        },
      });
      return {
        outcome: "restored",
        status,
        ...(tenant.deleteAfter ? { deleteAfter: tenant.deleteAfter } : {}),
      };
    }),
  );
  if (restored === "busy") return { outcome: "busy" };
  const { deleteAfter, ...answer } = restored;
  if (answer.outcome === "restored" && deleteAfter && deps.queues) {
    // Tidiness only: the job would find the tenant no longer deleting and do nothing.
    const jobId = jobCatalogue.deleteTenant.jobId({ tenantId, deleteAfter: deleteAfter.getTime() });
    await deps.queues
      .get(jobCatalogue.deleteTenant.queue)
      .remove(jobId)
      .catch((error: unknown) =>
        deps.logger.warn({ err: error, tenantId }, "could not remove the restored tenant's job"),
      );
  }
  return answer;
}
