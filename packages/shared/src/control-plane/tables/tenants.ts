import type { Sql, SqlFragment, TransactionSql } from "../../database.ts";
import type { Row } from "../schema.ts";
import { type ServerAddress, unregisteredServer } from "./database-servers.ts";

/**
 * The `tenants` table: its statuses, the row the services read, and every query whose statement
 * writes it (packages/shared/test/table-queries.unit.test.ts holds that), with the reads joining
 * a tenant to its server. Read by every service; written by the gateway (signup, deletion, MFA
 * policy), billing (plan, status) and the provisioner (the rest): see `grants` in schema.ts.
 */
export type TenantStatus = Row<"tenants">["status"];

/** Every status, in lifecycle order (schemas and the console list them so). */
export const tenantStatuses = [
  "provisioning",
  "provisioning_failed",
  "active",
  "restricted",
  "deleting",
  "deleted",
] as const satisfies readonly TenantStatus[];

// A status the migrations add must be listed above: this line stops the typecheck until it is.
const everyStatusListed: Exclude<TenantStatus, (typeof tenantStatuses)[number]> extends never
  ? true
  : never = true;
void everyStatusListed;

/**
 * A tenant as the services read it. `movingSince` is set while an operator moves the tenant to
 * another server (writes wait); `deleteAfter` while `deleting` (the data is dropped then unless
 * an operator restores it); `mfaRequired`: members need a second factor to do anything but
 * manage their own account.
 */
export type TenantRow = Pick<
  Row<"tenants">,
  | "id"
  | "slug"
  | "name"
  | "status"
  | "plan"
  | "provisioningStep"
  | "provisioningAttempts"
  | "provisioningError"
  | "schemaVersion"
  | "movingSince"
  | "deleteAfter"
  | "mfaRequired"
  | "createdAt"
  | "updatedAt"
>;

type Db = Sql | TransactionSql;

/** How an operator names a tenant: by id, or by slug. */
export type TenantRef = { id: string } | { slug: string };

/** The `where` condition on the tenant `t` named (a slug is only ever a bound value, never SQL). */
function isTenant(sql: Db, ref: TenantRef): SqlFragment {
  return "id" in ref ? sql`t.id = ${ref.id}` : sql`t.slug = ${ref.slug}`;
}

export async function findTenant(sql: Db, id: string): Promise<TenantRow | undefined> {
  const [row] = await sql<TenantRow[]>`
    select id, slug, name, status, plan, provisioning_step, provisioning_attempts,
           provisioning_error, schema_version, moving_since, delete_after, mfa_required, created_at,
           updated_at
    from tenants where id = ${id}`;
  return row;
}

/**
 * Locks the tenant's row for the rest of the transaction. Changes to what a tenant holds
 * (members, domains, SSO connections, directory groups) take turns on it, even those that only
 * add rows and so have no row of their own to lock.
 */
export async function lockTenant(tx: TransactionSql, id: string): Promise<void> {
  await tx`select 1 from tenants where id = ${id} for update`;
}

/** The plan's name as stored (billing may write one this release does not know). */
export async function findTenantPlan(sql: Db, id: string): Promise<string | undefined> {
  const [row] = await sql<
    Pick<Row<"tenants">, "plan">[]
  >`select plan from tenants where id = ${id}`;
  return row?.plan;
}

/**
 * Sets whether the tenant's members need a second factor, and returns what it was; undefined for
 * a tenant deleting or gone, which is left alone.
 */
export async function setTenantMfaRequired(
  tx: TransactionSql,
  id: string,
  required: boolean,
): Promise<{ before: boolean } | undefined> {
  const [before] = await tx<Pick<Row<"tenants">, "mfaRequired">[]>`
    select mfa_required from tenants
    where id = ${id} and status not in ('deleting', 'deleted')
    for update`;
  if (!before) return undefined;
  await tx`update tenants set mfa_required = ${required} where id = ${id}`;
  return { before: before.mfaRequired };
}

/** A tenant's name, status and plan: all billing's role may read of it, besides `created_at`. */
export type TenantSummary = Pick<Row<"tenants">, "id" | "name" | "status" | "plan">;

export async function findTenantSummary(sql: Db, id: string): Promise<TenantSummary | undefined> {
  const [row] = await sql<TenantSummary[]>`
    select id, name, status, plan from tenants where id = ${id}`;
  return row;
}

/** The tenant's status and plan, its row locked for the rest of the transaction. */
export async function lockTenantPlanAndStatus(
  tx: TransactionSql,
  id: string,
): Promise<Pick<Row<"tenants">, "status" | "plan"> | undefined> {
  const [row] = await tx<Pick<Row<"tenants">, "status" | "plan">[]>`
    select status, plan from tenants where id = ${id} for update`;
  return row;
}

/** Billing's change of a tenant: the plan paid for, and active or restricted by the payments. */
export async function setTenantPlanAndStatus(
  tx: TransactionSql,
  id: string,
  change: Pick<Row<"tenants">, "status" | "plan">,
): Promise<void> {
  await tx`
    update tenants set plan = ${change.plan}, status = ${change.status}, updated_at = now()
    where id = ${id}`;
}

// Signup and SSO sign-in.

/** A signup's new tenant, `provisioning`; a slug taken fails with the unique violation. */
export async function insertTenant(
  tx: TransactionSql,
  tenant: Pick<Row<"tenants">, "id" | "slug" | "name">,
): Promise<void> {
  await tx`insert into tenants (id, slug, name) values (${tenant.id}, ${tenant.slug}, ${tenant.name})`;
}

/** The id of the tenant with this slug, unless it is deleting or deleted. */
export async function findLiveTenantIdBySlug(sql: Db, slug: string): Promise<string | undefined> {
  const [row] = await sql<Pick<Row<"tenants">, "id">[]>`
    select id from tenants where slug = ${slug} and status not in ('deleting', 'deleted')`;
  return row?.id;
}

// Provisioning, placement, fleet migrations, moves and the reconciler.

/** The tenant's slug and status: what a move checks before it starts. */
export async function findTenantSlugAndStatus(
  sql: Db,
  id: string,
): Promise<Pick<Row<"tenants">, "slug" | "status"> | undefined> {
  const [row] = await sql<Pick<Row<"tenants">, "slug" | "status">[]>`
    select slug, status from tenants where id = ${id}`;
  return row;
}

/** Every tenant's id and status: what the reconciler matches databases against. */
export async function listTenantStatuses(
  sql: Db,
): Promise<Pick<Row<"tenants">, "id" | "status">[]> {
  return sql<Pick<Row<"tenants">, "id" | "status">[]>`select id, status from tenants`;
}

/**
 * Up to `limit` tenants still `provisioning` and untouched for `olderThanSeconds`, after the id
 * `afterId`, by id: the sweep's pages.
 */
export async function listStalledProvisioningTenants(
  sql: Db,
  olderThanSeconds: number,
  afterId: string | undefined,
  limit: number,
): Promise<Pick<Row<"tenants">, "id">[]> {
  return sql<Pick<Row<"tenants">, "id">[]>`
    select id from tenants
    where status = 'provisioning' and updated_at < now() - make_interval(secs => ${olderThanSeconds})
    ${afterId ? sql`and id > ${afterId}` : sql``}
    order by id limit ${limit}`;
}

/** The step an attempt is at, recorded before the step runs (the console shows it). */
export async function setTenantProvisioningStep(
  sql: Db,
  id: string,
  step: string,
  attempt: number,
): Promise<void> {
  await sql`
    update tenants set provisioning_step = ${step}, provisioning_attempts = ${attempt}, updated_at = now()
    where id = ${id}`;
}

/**
 * Records why a provisioning attempt failed: the tenant reads `provisioning_error`, which names
 * the step only; `detail` (the error, which can carry server names and addresses) goes to
 * `provisioning_error_detail`. After the last attempt (`final`) the tenant is
 * `provisioning_failed`.
 */
export async function setTenantProvisioningError(
  sql: Db,
  id: string,
  detail: string,
  final: boolean,
): Promise<void> {
  await sql`
    update tenants
    set provisioning_error = case
          when ${final} then 'Provisioning stopped at step ' || coalesce(provisioning_step, 'unknown') || ' after the last attempt'
          else 'Step ' || coalesce(provisioning_step, 'unknown') || ' failed; it will be retried'
        end,
        provisioning_error_detail = ${detail.slice(0, 2000)},
        status = case when ${final} and status = 'provisioning' then 'provisioning_failed' else status end,
        updated_at = now()
    where id = ${id}`;
}

/** A `provisioning` tenant made active, its provisioning done; any other is left alone. */
export async function activateTenant(sql: Db, id: string): Promise<void> {
  await sql`
    update tenants
    set status = 'active', provisioning_step = 'done', provisioning_error = null, provisioning_error_detail = null,
        activated_at = now(), updated_at = now()
    where id = ${id} and status = 'provisioning'`;
}

/** How long the tenant took from signup to active, once active: the provisioning metric. */
export async function findTenantProvisioningSeconds(
  sql: Db,
  id: string,
): Promise<number | undefined> {
  const [row] = await sql<{ seconds: number }[]>`
    select extract(epoch from activated_at - created_at)::float8 as seconds
    from tenants where id = ${id} and activated_at is not null`;
  return row?.seconds;
}

/**
 * Gives a `provisioning_failed` tenant another full set of attempts: back to `provisioning`, its
 * error cleared. False for a tenant in any other status (the race guard: one retry per failure).
 */
export async function retryTenantProvisioning(tx: TransactionSql, id: string): Promise<boolean> {
  const updated = await tx`
    update tenants
    set status = 'provisioning', provisioning_attempts = 0, provisioning_error = null,
        provisioning_error_detail = null, updated_at = now()
    where id = ${id} and status = 'provisioning_failed'`;
  return updated.count === 1;
}

/** The tenant's recorded schema version: the migration its database is known to be at. */
export async function findTenantSchemaVersion(sql: Db, id: string): Promise<number | undefined> {
  const [row] = await sql<Pick<Row<"tenants">, "schemaVersion">[]>`
    select schema_version from tenants where id = ${id}`;
  return row?.schemaVersion;
}

/**
 * Records the tenant database's schema version as it is: the version a migration reached or a
 * claimed spare was at, or 0 for a database only as new as the template.
 */
export async function setTenantSchemaVersion(sql: Db, id: string, version: number): Promise<void> {
  await sql`update tenants set schema_version = ${version} where id = ${id}`;
}

/**
 * Records the version a fleet migration reached, never lowering it: a newer release's migrator
 * may have recorded a later version meanwhile.
 */
export async function raiseTenantSchemaVersion(
  sql: Db,
  id: string,
  version: number,
): Promise<void> {
  await sql`
    update tenants set schema_version = greatest(schema_version, ${version}) where id = ${id}`;
}

/** How many tenants in `statuses` are at `version` or later: a fleet migration's up-to-date. */
export async function countTenantsAtVersion(
  sql: Db,
  statuses: readonly TenantStatus[],
  version: number,
): Promise<number> {
  const [counted] = await sql<{ upToDate: number }[]>`
    select count(*)::int as up_to_date from tenants
    where status in ${sql(statuses)} and schema_version >= ${version}`;
  return counted?.upToDate ?? 0;
}

/**
 * The tenant's server id (null while unplaced), its row locked for the rest of the transaction:
 * placements and spare claims of one tenant take turns on it. Undefined for no such tenant.
 */
export async function lockTenantServer(
  tx: TransactionSql,
  id: string,
): Promise<Pick<Row<"tenants">, "serverId"> | undefined> {
  const [row] = await tx<Pick<Row<"tenants">, "serverId">[]>`
    select server_id from tenants where id = ${id} for update`;
  return row;
}

/** Tenants (any status but deleted) on each of the servers, for those that have any. */
export async function countTenantsOnServers(
  sql: Db,
  serverIds: readonly string[],
): Promise<{ serverId: string; tenants: number }[]> {
  return sql<{ serverId: string; tenants: number }[]>`
    select server_id, count(*)::int as tenants from tenants
    where server_id in ${sql(serverIds)} and status <> 'deleted'
    group by server_id`;
}

/** Places the tenant on the server: its placement, or a move's switch. */
export async function setTenantServer(sql: Db, id: string, serverId: string): Promise<void> {
  await sql`update tenants set server_id = ${serverId}, updated_at = now() where id = ${id}`;
}

/** Places every tenant without a server on it: the ones made before servers were registered. */
export async function placeUnplacedTenants(tx: TransactionSql, serverId: string): Promise<void> {
  await tx`update tenants set server_id = ${serverId} where server_id is null`;
}

/** Pauses the tenant's writes for a move (kept if already paused); workspaces read it. */
export async function setTenantMoving(sql: Db, id: string): Promise<void> {
  await sql`update tenants set moving_since = coalesce(moving_since, now()) where id = ${id}`;
}

/** Resumes the tenant's writes after a move, done or failed. */
export async function clearTenantMoving(sql: Db, id: string): Promise<void> {
  await sql`update tenants set moving_since = null where id = ${id}`;
}

// Deletion and restore.

/** A tenant's id and slug, by either: how an operator names a tenant on the command line. */
export async function findTenantIdAndSlug(
  sql: Db,
  ref: TenantRef,
): Promise<Pick<Row<"tenants">, "id" | "slug"> | undefined> {
  const [row] = await sql<Pick<Row<"tenants">, "id" | "slug">[]>`
    select t.id, t.slug from tenants t where ${isTenant(sql, ref)}`;
  return row;
}

/**
 * Marks the tenant `deleting` until `graceSeconds` from now, keeping the status it had for a
 * restore; answers the deadline (undefined if the row is gone).
 */
export async function markTenantDeleting(
  tx: TransactionSql,
  id: string,
  graceSeconds: number,
): Promise<Date | undefined> {
  const [marked] = await tx<Pick<Row<"tenants">, "deleteAfter">[]>`
    update tenants
    set status_before_deletion = status, status = 'deleting', updated_at = now(),
        delete_after = now() + make_interval(secs => ${graceSeconds})
    where id = ${id}
    returning delete_after`;
  return marked?.deleteAfter ?? undefined;
}

/** Ends a deleting tenant's grace period now (`oryn tenants delete --now`); others are left. */
export async function endTenantGracePeriod(sql: Db, id: string): Promise<void> {
  await sql`
    update tenants set delete_after = least(delete_after, now()), updated_at = now()
    where id = ${id} and status = 'deleting'`;
}

/** The tenant's status and whether its deletion deadline has passed, by the database's clock. */
export async function findTenantDeletionDue(
  sql: Db,
  id: string,
): Promise<{ status: TenantStatus; due: boolean | null } | undefined> {
  const [row] = await sql<{ status: TenantStatus; due: boolean | null }[]>`
    select status, delete_after <= now() as due from tenants where id = ${id}`;
  return row;
}

/** Records that the deletion has begun removing data: from here on a restore is refused. */
export async function markTenantDeletionStarted(sql: Db, id: string): Promise<void> {
  await sql`
    update tenants set deletion_started_at = coalesce(deletion_started_at, now()), updated_at = now()
    where id = ${id}`;
}

/** Marks a deleting tenant `deleted`; false if it was not deleting (a run that finished before). */
export async function markTenantDeleted(tx: TransactionSql, id: string): Promise<boolean> {
  const marked = await tx`
    update tenants set status = 'deleted', deleted_at = now(), updated_at = now()
    where id = ${id} and status = 'deleting'`;
  return marked.count === 1;
}

/** Up to 100 deleting tenants past their deadline, the longest overdue first: the sweep's list. */
export async function listTenantsDueForDeletion(sql: Db): Promise<Pick<Row<"tenants">, "id">[]> {
  return sql<Pick<Row<"tenants">, "id">[]>`
    select id from tenants where status = 'deleting' and delete_after <= now()
    order by delete_after limit 100`;
}

/**
 * What a deletion request or a restore decides on, the row locked for the rest of the
 * transaction: the status, the one to go back to, the deadline, whether data removal began.
 */
export async function lockTenantLifecycle(
  tx: TransactionSql,
  id: string,
): Promise<
  | Pick<Row<"tenants">, "status" | "statusBeforeDeletion" | "deleteAfter" | "deletionStartedAt">
  | undefined
> {
  const [row] = await tx<
    Pick<Row<"tenants">, "status" | "statusBeforeDeletion" | "deleteAfter" | "deletionStartedAt">[]
  >`
    select status, status_before_deletion, delete_after, deletion_started_at
    from tenants where id = ${id} for update`;
  return row;
}

/** Takes a deleting tenant back to `status`, with no deadline and no status to return to. */
export async function restoreTenantStatus(
  tx: TransactionSql,
  id: string,
  status: TenantStatus,
): Promise<void> {
  await tx`
    update tenants
    set status = ${status}, delete_after = null, status_before_deletion = null, updated_at = now()
    where id = ${id}`;
}

// A tenant with its server (`tenants.server_id`): placement, connections, fleet migrations,
// the operators' views.

/**
 * The server the tenant is on; undefined for a tenant placed before servers were registered (on
 * TENANT_DATABASE_URL's) or no such tenant. Workspace resolves each tenant connection's server
 * with it (cached), the provisioner a tenant's admin pool.
 */
export async function findTenantServer(
  sql: Db,
  tenantId: string,
): Promise<ServerAddress | undefined> {
  const [row] = await sql<ServerAddress[]>`
    select s.id, s.host, s.port from tenants t join database_servers s on s.id = t.server_id
    where t.id = ${tenantId}`;
  return row;
}

/** A tenant's id and its server's address (null while unplaced), found by id or by slug. */
export async function findTenantAndServer(
  sql: Db,
  ref: TenantRef,
): Promise<{ id: string; host: string | null; port: number | null } | undefined> {
  const [row] = await sql<{ id: string; host: string | null; port: number | null }[]>`
    select t.id, s.host, s.port from tenants t left join database_servers s on s.id = t.server_id
    where ${isTenant(sql, ref)}`;
  return row;
}

/** What a fleet migration reads of a tenant before migrating its database. */
export type TenantMigrationState = Pick<Row<"tenants">, "status" | "schemaVersion"> & {
  serverId: string | null;
  host: string | null;
  port: number | null;
};

export async function findTenantMigrationState(
  sql: Db,
  tenantId: string,
): Promise<TenantMigrationState | undefined> {
  const [row] = await sql<TenantMigrationState[]>`
    select t.status, t.schema_version, s.id as server_id, s.host, s.port
    from tenants t left join database_servers s on s.id = t.server_id
    where t.id = ${tenantId}`;
  return row;
}

/** A tenant a fleet migration has to bring forward, with its server's name for the report. */
export type TenantBehind = Pick<Row<"tenants">, "id" | "slug"> & { server: string };

/** The tenants in `statuses` below `version`, by id. */
export async function listTenantsBelowVersion(
  sql: Db,
  statuses: readonly Row<"tenants">["status"][],
  version: number,
): Promise<TenantBehind[]> {
  return sql<TenantBehind[]>`
    select t.id, t.slug, coalesce(s.name, ${unregisteredServer}) as server
    from tenants t left join database_servers s on s.id = t.server_id
    where t.status in ${sql(statuses)} and t.schema_version < ${version}
    order by t.id`;
}

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

function selectOperatorTenants(sql: Sql) {
  return sql`
    select t.id, t.slug, t.name, t.status, t.plan, coalesce(s.name, ${unregisteredServer}) as server,
           t.schema_version, t.provisioning_step, t.provisioning_attempts, t.provisioning_error,
           t.provisioning_error_detail, t.created_at, t.updated_at, t.activated_at
    from tenants t left join database_servers s on s.id = t.server_id`;
}

/** Oldest first, filtered by status and by server name (TENANT_DATABASE_URL for unplaced). */
export async function listOperatorTenants(
  sql: Sql,
  filter: { status?: Row<"tenants">["status"]; server?: string } = {},
): Promise<OperatorTenant[]> {
  return sql<OperatorTenant[]>`
    ${selectOperatorTenants(sql)}
    where true
      ${filter.status ? sql`and t.status = ${filter.status}` : sql``}
      ${filter.server ? sql`and coalesce(s.name, ${unregisteredServer}) = ${filter.server}` : sql``}
    order by t.created_at, t.id`;
}

/**
 * Up to `limit` tenants after the `after` cursor, oldest first, filtered as above, each with its
 * `created_at` as a cursor (microseconds since the epoch, as text).
 */
export async function listOperatorTenantsAfter(
  sql: Sql,
  filter: { status?: Row<"tenants">["status"] | undefined; server?: string | undefined },
  after: [atMicros: string, id: string] | undefined,
  limit: number,
): Promise<(OperatorTenant & { cursorAt: string })[]> {
  return sql<(OperatorTenant & { cursorAt: string })[]>`
    select q.*, (extract(epoch from q.created_at) * 1000000)::bigint::text as cursor_at
    from (${selectOperatorTenants(sql)}) q
    where true
      ${filter.status ? sql`and q.status = ${filter.status}` : sql``}
      ${filter.server ? sql`and q.server = ${filter.server}` : sql``}
      ${after ? sql`and (q.created_at, q.id) > (timestamptz 'epoch' + ${after[0]}::bigint * interval '1 microsecond', ${after[1]}::uuid)` : sql``}
    order by q.created_at, q.id limit ${limit}`;
}

/** A tenant by id or by slug. */
export async function findOperatorTenant(
  sql: Sql,
  ref: TenantRef,
): Promise<OperatorTenant | undefined> {
  const [row] = await sql<OperatorTenant[]>`
    ${selectOperatorTenants(sql)}
    where ${isTenant(sql, ref)}`;
  return row;
}
