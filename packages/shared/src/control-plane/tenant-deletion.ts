import type { TransactionSql } from "../database.ts";
import { enqueue, type Queues } from "../jobs.ts";
import { insertAuditEvent } from "./tables/audit-events.ts";
import { lockTenantLifecycle, markTenantDeleting } from "./tables/tenants.ts";

/** Who asked for a deletion, for the control-plane audit row. */
export type DeletionRequester = {
  actorId: string | null;
  requestId: string | null;
  ip: string | null;
  /**
   * `owner` (DELETE /v1/tenant), `operator` (`pnpm oryn tenants delete`), or `unverified_owner`
   * (the provisioner's sweep: no owner verified their address in time).
   */
  via: "owner" | "operator" | "unverified_owner";
};

export type DeletionRequest =
  | { outcome: "requested" | "already_deleting"; status: "deleting"; deleteAfter: Date }
  | { outcome: "not_found" | "deleted" };

/**
 * Marks a tenant `deleting` until `now + graceSeconds` and shuts its people out, in one
 * transaction: every member's refresh tokens are revoked and every member's access tokens are
 * revoked (an access_revocations row each, which every gateway polls within about a second).
 * API keys of a deleting tenant are refused by the gateway's lookup, and login, refresh and
 * invitation acceptance skip deleting tenants, so nothing gets back in. The status it had is kept
 * for a restore. A tenant already deleting keeps its deadline (a second request must not
 * postpone the deletion). Runs in the caller's transaction, which holds the tenant's row lock
 * from here to its commit.
 */
export async function requestTenantDeletion(
  tx: TransactionSql,
  tenantId: string,
  options: { graceSeconds: number; requester: DeletionRequester },
): Promise<DeletionRequest> {
  const tenant = await lockTenantLifecycle(tx, tenantId);
  if (!tenant) return { outcome: "not_found" };
  if (tenant.status === "deleted") return { outcome: "deleted" };
  if (tenant.status === "deleting" && tenant.deleteAfter) {
    return { outcome: "already_deleting", status: "deleting", deleteAfter: tenant.deleteAfter };
  }
  const deleteAfter = await markTenantDeleting(tx, tenantId, options.graceSeconds);
  if (!deleteAfter) throw new Error(`tenant ${tenantId} vanished under its lock`);
  await tx`
    update refresh_tokens set revoked_at = now()
    where tenant_id = ${tenantId} and revoked_at is null`;
  await revokeMembersAccessTokens(tx, tenantId);
  const { requester } = options;
  await insertAuditEvent(tx, {
    tenantId,
    actorId: requester.actorId,
    action: "tenant_deletion_requested",
    entity: "tenant",
    entityId: tenantId,
    ip: requester.ip,
    requestId: requester.requestId,
    data: { via: requester.via, from: tenant.status, deleteAfter: deleteAfter.toISOString() },
  });
  return { outcome: "requested", status: "deleting", deleteAfter };
}

/**
 * Refuses every member's access tokens from now on: one fresh number per member (an
 * access_revocations row each, which every gateway polls within about a second), so tokens
 * issued under any earlier membership version are refused. The deletion request does it, and the
 * deletion again before the memberships go, for any membership made since (an operator's doing).
 */
export async function revokeMembersAccessTokens(
  tx: TransactionSql,
  tenantId: string,
): Promise<void> {
  await tx`
    insert into access_revocations (tenant_id, user_id, min_version)
    select tenant_id, user_id, nextval('membership_versions') from memberships
    where tenant_id = ${tenantId}`;
}

/**
 * Schedules the provisioner's `deleteTenant` job for the deadline. Losing it (Redis away) is
 * survivable: the provisioner's sweep deletes tenants past their deadline that no job took.
 */
export async function scheduleTenantDeletion(
  queues: Queues,
  tenantId: string,
  deleteAfter: Date,
  options: { timeoutMs?: number } = {},
): Promise<void> {
  const deadline = deleteAfter.getTime();
  await enqueue(
    queues,
    "deleteTenant",
    { tenantId, deleteAfter: deadline },
    {
      // A second late rather than early: the job re-checks the deadline against the database's
      // clock and leaves a tenant that is not yet due to the sweep.
      delayMs: Math.max(0, deadline - Date.now()) + 1000,
      ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
    },
  );
}
