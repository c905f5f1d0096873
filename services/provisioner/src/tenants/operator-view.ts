import {
  createdAtCursor,
  enqueue,
  isUuid,
  jobCatalogue,
  type Page,
  pageOf,
  type Queues,
  type Sql,
} from "@oryn/shared";
import { insertAuditEvent } from "@oryn/shared/control-plane/tables/audit-events";
import {
  findOperatorTenant,
  listOperatorTenants,
  listOperatorTenantsAfter,
  type OperatorTenant,
  retryTenantProvisioning,
  type TenantStatus,
  tenantStatuses,
} from "@oryn/shared/control-plane/tables/tenants";

export type { OperatorTenant };

export function isTenantStatus(value: string): value is TenantStatus {
  return (tenantStatuses as readonly string[]).includes(value);
}

/** Oldest first. `server` is a registered server's name (or TENANT_DATABASE_URL for unplaced). */
export async function listTenants(
  sql: Sql,
  filter: { status?: TenantStatus; server?: string } = {},
): Promise<OperatorTenant[]> {
  return listOperatorTenants(sql, filter);
}

/**
 * A page of tenants, oldest first, for the operator API: keyset-paged on (created_at, id) like
 * every list (docs/api.md#lists), filtered by status and server.
 */
export async function pageTenants(
  sql: Sql,
  options: {
    status?: TenantStatus | undefined;
    server?: string | undefined;
    limit: number;
    after: [atMicros: string, id: string] | undefined;
  },
): Promise<Page<OperatorTenant>> {
  const rows = await listOperatorTenantsAfter(sql, options, options.after, options.limit + 1);
  return pageOf(
    rows,
    options.limit,
    (last) => createdAtCursor.encode([last.cursorAt, last.id]),
    ({ cursorAt: _, ...tenant }) => tenant,
  );
}

/** By id or slug; a slug is only ever a bound value here, never SQL text. */
export async function findTenantByRef(sql: Sql, ref: string): Promise<OperatorTenant | undefined> {
  return findOperatorTenant(sql, isUuid(ref) ? { id: ref } : { slug: ref });
}

export type RetryOutcome = "requeued" | "not_failed";

/**
 * Gives a `provisioning_failed` tenant another full set of attempts: back to `provisioning` with
 * its error cleared, and a fresh job. The status condition is the race guard: two operators (or
 * an operator and a deletion) cannot both act on one failure. The old failed job still holds the
 * tenant's job id, so it is removed first; were the enqueue to fail after the update, the
 * provisioner's sweep enqueues a `provisioning` tenant that has no job.
 */
export async function retryProvisioning(
  sql: Sql,
  queues: Queues,
  tenantId: string,
  by: { via: "cli" | "operator_api"; requestId?: string; ip?: string } = { via: "cli" },
): Promise<RetryOutcome> {
  const retried = await sql.begin(async (tx) => {
    if (!(await retryTenantProvisioning(tx, tenantId))) return false;
    await insertAuditEvent(tx, {
      tenantId,
      actorId: null,
      action: "provisioning_retried",
      entity: "tenant",
      entityId: tenantId,
      ip: by.ip ?? null,
      requestId: by.requestId ?? null,
      data: { via: by.via },
    });
    return true;
  });
  if (!retried) return "not_failed";
  const queue = queues.get(jobCatalogue.provisionTenant.queue);
  await (await queue.getJob(jobCatalogue.provisionTenant.jobId({ tenantId })))?.remove();
  await enqueue(queues, "provisionTenant", { tenantId });
  return "requeued";
}
