import type { Sql, TransactionSql } from "../../database.ts";
import type { Row } from "../schema.ts";

/**
 * The `database_servers` table: the registry of the PostgreSQL servers tenant databases live on.
 * The provisioner registers, drains and places tenants on them (operators through `pnpm oryn
 * servers`); workspace reads a tenant's server's host and port, and nothing else of it (its
 * column grant, see `grants` in schema.ts).
 */
export type ServerState = Row<"database_servers">["state"];

/** Where a server is reached: what the admin pools and a tenant's placement are keyed on. */
export type ServerAddress = Pick<Row<"database_servers">, "id" | "host" | "port">;

export type DatabaseServer = Pick<
  Row<"database_servers">,
  "id" | "name" | "host" | "port" | "capacity" | "state"
> & {
  /** Tenants placed on it (any status but deleted). */
  tenants: number;
};

type Db = Sql | TransactionSql;

/** Every server with what placement weighs against its capacity, by name. */
export async function listServers(sql: Db): Promise<DatabaseServer[]> {
  return sql<DatabaseServer[]>`
    select s.id, s.name, s.host, s.port, s.capacity, s.state,
           (select count(*)::int from tenants t where t.server_id = s.id and t.status <> 'deleted') as tenants
    from database_servers s order by s.name`;
}

/** Every server's name and address, by name: what a fleet migration and the reconciler visit. */
export async function listServerAddresses(
  sql: Db,
): Promise<Pick<Row<"database_servers">, "id" | "name" | "host" | "port">[]> {
  return sql<Pick<Row<"database_servers">, "id" | "name" | "host" | "port">[]>`
    select id, name, host, port from database_servers order by name`;
}

/** Every server's name, address and state, by name: what the warm pool's refill visits. */
export async function listServerStates(
  sql: Db,
): Promise<Pick<Row<"database_servers">, "id" | "name" | "host" | "port" | "state">[]> {
  return sql<Pick<Row<"database_servers">, "id" | "name" | "host" | "port" | "state">[]>`
    select id, name, host, port, state from database_servers order by name`;
}

/** Whether any server is registered (none: every tenant is on TENANT_DATABASE_URL's). */
export async function anyServerRegistered(sql: Db): Promise<boolean> {
  const [any] = await sql`select 1 from database_servers limit 1`;
  return any !== undefined;
}

export async function findServerAddress(sql: Db, id: string): Promise<ServerAddress | undefined> {
  const [row] = await sql<ServerAddress[]>`
    select id, host, port from database_servers where id = ${id}`;
  return row;
}

/**
 * The accepting servers, their rows locked for the rest of the transaction: placements take
 * turns on them, so each sees the tenants the others placed.
 */
export async function lockAcceptingServers(
  tx: TransactionSql,
): Promise<Pick<Row<"database_servers">, "id" | "capacity">[]> {
  return tx<Pick<Row<"database_servers">, "id" | "capacity">[]>`
    select id, capacity from database_servers where state = 'accepting' order by id for update`;
}

/**
 * Locks the whole registry for the rest of the transaction against inserts (and other such
 * locks), so two provisioners starting together register the default server once.
 */
export async function lockServerRegistry(tx: TransactionSql): Promise<void> {
  await tx`lock table database_servers in share row exclusive mode`;
}

export async function insertServer(
  sql: Db,
  server: Pick<Row<"database_servers">, "name" | "host" | "port" | "capacity">,
): Promise<void> {
  await sql`
    insert into database_servers (name, host, port, capacity)
    values (${server.name}, ${server.host}, ${server.port}, ${server.capacity})`;
}

/** Registers the TENANT_DATABASE_URL server as `default`; answers its id. */
export async function insertDefaultServer(
  tx: TransactionSql,
  server: Pick<Row<"database_servers">, "host" | "port" | "capacity">,
): Promise<string> {
  const [row] = await tx<Pick<Row<"database_servers">, "id">[]>`
    insert into database_servers (name, host, port, capacity)
    values ('default', ${server.host}, ${server.port}, ${server.capacity})
    returning id`;
  if (!row) throw new Error("insert returned nothing");
  return row.id;
}

/**
 * Draining keeps a server's tenants where they are and sends no new ones to it. False when no
 * server has that name.
 */
export async function setServerState(sql: Db, name: string, state: ServerState): Promise<boolean> {
  const rows = await sql`update database_servers set state = ${state} where name = ${name}`;
  return rows.count === 1;
}

// A tenant's server, looked up from the tenant's row (`tenants.server_id`). These read `tenants`
// too, but live here rather than in tenants.ts: billing and the gateway import tenants.ts and
// their roles may not read database_servers (see table-access.unit.test.ts).

/** The name reports give the TENANT_DATABASE_URL server when it is not registered. */
export const unregisteredServer = "TENANT_DATABASE_URL";

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
  ref: { id: string } | { slug: string },
): Promise<{ id: string; host: string | null; port: number | null } | undefined> {
  type Found = { id: string; host: string | null; port: number | null };
  const [row] =
    "id" in ref
      ? await sql<Found[]>`
        select t.id, s.host, s.port from tenants t left join database_servers s on s.id = t.server_id
        where t.id = ${ref.id}`
      : await sql<Found[]>`
        select t.id, s.host, s.port from tenants t left join database_servers s on s.id = t.server_id
        where t.slug = ${ref.slug}`;
  return row;
}

/** What a fleet migration reads of a tenant before migrating its database: status, version, server. */
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

/** A tenant by id or by slug (a slug is only ever a bound value, never SQL text). */
export async function findOperatorTenant(
  sql: Sql,
  ref: { id: string } | { slug: string },
): Promise<OperatorTenant | undefined> {
  const [row] = await sql<OperatorTenant[]>`
    ${selectOperatorTenants(sql)}
    where ${"id" in ref ? sql`t.id = ${ref.id}` : sql`t.slug = ${ref.slug}`}`;
  return row;
}
