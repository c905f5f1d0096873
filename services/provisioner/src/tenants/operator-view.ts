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
import type { Row } from "@oryn/shared/control-plane/schema";
import { type TenantStatus, tenantStatuses } from "@oryn/shared/control-plane/tables/tenants";
import { unregisteredServer } from "../fleet/servers.ts";

/** A tenant as an operator sees it: everything the control plane knows, error detail included. */
export type OperatorTenant = Pick<
  Row<"tenants">,
  | "id"
  | "slug"
  | "name"
  | "status"
  | "plan"
  | "schemaVersion"
  | "provisioningStep"
  | "provisioningAttempts"
  | "provisioningError"
  | "provisioningErrorDetail"
  | "createdAt"
  | "updatedAt"
  | "activatedAt"
> & {
  /** The name of its server: a registered one's, or `TENANT_DATABASE_URL` while unplaced. */
  server: string;
};

export function isTenantStatus(value: string): value is TenantStatus {
  return (tenantStatuses as readonly string[]).includes(value);
}

function selectTenants(sql: Sql) {
  return sql`
    select t.id, t.slug, t.name, t.status, t.plan, coalesce(s.name, ${unregisteredServer}) as server,
           t.schema_version, t.provisioning_step, t.provisioning_attempts, t.provisioning_error,
           t.provisioning_error_detail, t.created_at, t.updated_at, t.activated_at
    from tenants t left join database_servers s on s.id = t.server_id`;
}

/** Oldest first. `server` is a registered server's name (or TENANT_DATABASE_URL for unplaced). */
export async function listTenants(
  sql: Sql,
  filter: { status?: TenantStatus; server?: string } = {},
): Promise<OperatorTenant[]> {
  return sql<OperatorTenant[]>`
    ${selectTenants(sql)}
    where true
      ${filter.status ? sql`and t.status = ${filter.status}` : sql``}
      ${filter.server ? sql`and coalesce(s.name, ${unregisteredServer}) = ${filter.server}` : sql``}
    order by t.created_at, t.id`;
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
  const rows = await sql<(OperatorTenant & { cursorAt: string })[]>`
    select q.*, (extract(epoch from q.created_at) * 1000000)::bigint::text as cursor_at
    from (${selectTenants(sql)}) q
    where true
      ${options.status ? sql`and q.status = ${options.status}` : sql``}
      ${options.server ? sql`and q.server = ${options.server}` : sql``}
      ${options.after ? sql`and (q.created_at, q.id) > (timestamptz 'epoch' + ${options.after[0]}::bigint * interval '1 microsecond', ${options.after[1]}::uuid)` : sql``}
    order by q.created_at, q.id limit ${options.limit + 1}`;
  return pageOf(
    rows,
    options.limit,
    (last) => createdAtCursor.encode([last.cursorAt, last.id]),
    ({ cursorAt: _, ...tenant }) => tenant,
  );
}

/** By id or slug; a slug is only ever a bound value here, never SQL text. */
export async function findTenantByRef(sql: Sql, ref: string): Promise<OperatorTenant | undefined> {
  const [row] = await sql<OperatorTenant[]>`
    ${selectTenants(sql)}
    where ${isUuid(ref) ? sql`t.id = ${ref}` : sql`t.slug = ${ref}`}`;
  return row;
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
    const updated = await tx`
      update tenants
      set status = 'provisioning', provisioning_attempts = 0, provisioning_error = null,
          provisioning_error_detail = null, updated_at = now()
      where id = ${tenantId} and status = 'provisioning_failed'`;
    if (updated.count !== 1) return false;
    await tx`
      insert into audit_events (tenant_id, actor_id, action, entity, entity_id, ip, request_id, data)
      values (${tenantId}, null, 'provisioning_retried', 'tenant', ${tenantId}, ${by.ip ?? null},
              ${by.requestId ?? null}, ${tx.json({ via: by.via })})`;
    return true;
  });
  if (!retried) return "not_failed";
  const queue = queues.get(jobCatalogue.provisionTenant.queue);
  await (await queue.getJob(jobCatalogue.provisionTenant.jobId({ tenantId })))?.remove();
  await enqueue(queues, "provisionTenant", { tenantId });
  return "requeued";
}
