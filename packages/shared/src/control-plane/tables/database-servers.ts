import type { Sql, TransactionSql } from "../../database.ts";
import type { Row } from "../schema.ts";

/**
 * The `database_servers` table: the registry of the PostgreSQL servers tenant databases live on.
 * The provisioner registers, drains and places tenants on them (operators through `pnpm oryn
 * servers`); workspace reads a tenant's server's host and port, and nothing else of it (its
 * column grant, see `grants` in schema.ts). A tenant's server, read from the tenant's row
 * (`tenants.server_id`), is looked up in tenants.ts.
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

/** The name reports give the TENANT_DATABASE_URL server when it is not registered. */
export const unregisteredServer = "TENANT_DATABASE_URL";
