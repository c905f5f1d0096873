import { rm } from "node:fs/promises";
import { join } from "node:path";
import {
  type Logger,
  revokeMembersAccessTokens,
  type Sql,
  sealEventLog,
  tenantDatabaseName,
  tenantRoleName,
} from "@oryn/shared";
import { insertAuditEvent } from "@oryn/shared/control-plane/tables/audit-events";
import { expireTenantExports } from "@oryn/shared/control-plane/tables/tenant-exports";
import {
  findTenantDeletionDue,
  listTenantsDueForDeletion,
  markTenantDeleted,
  markTenantDeletionStarted,
} from "@oryn/shared/control-plane/tables/tenants";
import type { ServerAdmins } from "../servers/admins.ts";
import { tenantPlacement } from "../servers/placement.ts";
import { withTenantLifecycleLock } from "./tenant-lock.ts";

/** The deletion's steps in order; each is safe to run again after a crash in or after it. */
export const deletionSteps = [
  "end_access",
  "remove_exports",
  "drop_database",
  "remove_event_log",
  "drop_role",
  "mark_deleted",
] as const;
export type DeletionStep = (typeof deletionSteps)[number];

export type DeletionDeps = {
  controlPlane: Sql;
  /** Admin pool on the TENANT_DATABASE_URL server (tenants from before the registry). */
  admin: Sql;
  /** Admin pools per registered server. */
  servers?: ServerAdmins;
  logger: Logger;
  /** Where exports are written; the tenant's folder goes with the tenant. */
  exportDir?: string;
  /** Tests use this to crash the deletion at a given step. */
  beforeDeletionStep?: (step: DeletionStep) => Promise<void> | void;
};

export type DeletionOutcome =
  | "deleted"
  | "already_deleted"
  /** Restored (or never deleted): nothing to do, the job is harmless. */
  | "not_deleting"
  /** Still within its grace period (a job that ran early): the sweep deletes it when due. */
  | "not_due"
  | "no_tenant"
  /** Another deleter holds the tenant right now. */
  | "busy";

/**
 * Deletes a tenant whose grace period has passed: its credentials, sessions, invitations and
 * memberships (users stay, they may belong to other tenants), its directory, domains, SSO
 * connections and webhook endpoints, its exports, its database and role on its server, and its
 * event log; then marks it `deleted`. The tenants row and its audit_events stay. Re-checked under
 * the tenant's lock, so a restored tenant is never touched. Every step is idempotent and the
 * status changes last, so a run that crashed anywhere is finished by the next one (the job's
 * retry, or the sweep).
 */
export async function deleteTenant(deps: DeletionDeps, tenantId: string): Promise<DeletionOutcome> {
  const outcome = await withTenantLifecycleLock(deps.controlPlane, tenantId, async () => {
    const tenant = await findTenantDeletionDue(deps.controlPlane, tenantId);
    if (!tenant) return "no_tenant" as const;
    if (tenant.status === "deleted") return "already_deleted" as const;
    if (tenant.status !== "deleting") return "not_deleting" as const;
    if (!tenant.due) return "not_due" as const;
    // From here on a restore is refused: what follows removes data.
    await markTenantDeletionStarted(deps.controlPlane, tenantId);
    // The server it was placed on (placement never changes once made).
    const placement = deps.servers ? await tenantPlacement(deps.controlPlane, tenantId) : null;
    const admin = deps.servers?.forPlacement(placement).admin ?? deps.admin;
    for (const step of deletionSteps) {
      await deps.beforeDeletionStep?.(step);
      await runStep(step, deps, tenantId, admin);
    }
    return "deleted" as const;
  });
  deps.logger.info({ tenantId, outcome }, "tenant deletion");
  return outcome;
}

async function runStep(
  step: DeletionStep,
  deps: DeletionDeps,
  tenantId: string,
  admin: Sql,
): Promise<void> {
  switch (step) {
    case "end_access":
      await deps.controlPlane.begin(async (tx) => {
        // First: appends to the tenant's event log in flight finish, and none records after.
        await sealEventLog(tx, tenantId);
        // Access tokens were revoked when the deletion was asked for; this repeats it for any
        // membership made since (an operator's doing), before the memberships go.
        await revokeMembersAccessTokens(tx, tenantId);
        await tx`delete from api_keys where tenant_id = ${tenantId}`;
        await tx`delete from invitations where tenant_id = ${tenantId}`;
        await tx`delete from refresh_tokens where tenant_id = ${tenantId}`;
        // Sessions (their IP and user agent) and second factors under way go with the access.
        await tx`delete from sessions where tenant_id = ${tenantId}`;
        await tx`delete from mfa_challenges where tenant_id = ${tenantId}`;
        await tx`delete from memberships where tenant_id = ${tenantId}`;
        // The directory's tokens and what it said about people (SCIM) go with the access.
        await tx`delete from scim_tokens where tenant_id = ${tenantId}`;
        await tx`delete from scim_users where tenant_id = ${tenantId}`;
        await tx`delete from scim_groups where tenant_id = ${tenantId}`;
        await tx`delete from sso_group_roles where tenant_id = ${tenantId}`;
        // Its domains and SSO connections (their flows and codes cascade): a deleted tenant's
        // `enforce` must not refuse password sign-in at its domains, nor its claim keep another
        // tenant from verifying them.
        await tx`delete from sso_connections where tenant_id = ${tenantId}`;
        await tx`delete from tenant_domains where tenant_id = ${tenantId}`;
        // Its webhook endpoints (their URLs and signing secrets; deliveries and attempts
        // cascade): nothing more is sent to them. An attempt under way ends without a record.
        await tx`delete from webhook_endpoints where tenant_id = ${tenantId}`;
        await expireTenantExports(tx, tenantId);
      });
      return;
    case "remove_exports":
      // The folder is named by the tenant's id, never by anything a client chose.
      if (deps.exportDir)
        await rm(join(deps.exportDir, tenantId), { recursive: true, force: true });
      return;
    case "drop_database":
      // FORCE ends sessions still connected (a workspace pool not yet closed).
      await admin`drop database if exists ${admin(tenantDatabaseName(tenantId))} with (force)`;
      return;
    case "remove_event_log":
      // The tenant's event log (payloads name members) and its outbox mark. Its counter, sealed
      // when access ended, stays: nothing can be appended behind this delete.
      await deps.controlPlane.begin(async (tx) => {
        await tx`delete from events where tenant_id = ${tenantId}`;
        await tx`delete from event_outbox_marks where tenant_id = ${tenantId}`;
      });
      return;
    case "drop_role":
      await admin`drop role if exists ${admin(tenantRoleName(tenantId))}`;
      return;
    case "mark_deleted":
      await deps.controlPlane.begin(async (tx) => {
        if (await markTenantDeleted(tx, tenantId)) {
          await insertAuditEvent(tx, {
            tenantId,
            actorId: null,
            action: "tenant_deleted",
            entity: "tenant",
            entityId: tenantId,
            data: { database: tenantDatabaseName(tenantId) },
          });
        }
      });
      return;
  }
}

/**
 * Deletes every tenant past its deadline that is still `deleting`: the safety net under the
 * delayed jobs (one lost to a Redis outage, or spent its attempts while a server was down).
 */
export async function deleteDueTenants(deps: DeletionDeps): Promise<number> {
  const due = await listTenantsDueForDeletion(deps.controlPlane);
  let deleted = 0;
  for (const { id } of due) {
    // One tenant's trouble (its server down) must not keep the others' data.
    try {
      if ((await deleteTenant(deps, id)) === "deleted") deleted++;
    } catch (error) {
      deps.logger.warn({ err: error, tenantId: id }, "sweep could not delete a tenant; will retry");
    }
  }
  return deleted;
}
