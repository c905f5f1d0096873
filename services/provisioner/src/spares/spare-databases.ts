import type { Sql, TransactionSql } from "@oryn/shared";
import type { Row } from "@oryn/shared/control-plane/schema";

/**
 * The `spare_databases` table is the provisioner's alone (the warm pool: refilled, claimed by
 * signups, migrated by fleet migrations, cleaned by the reconciler), so its queries are here, in
 * the one service. Every spare database on a server has its row, written before the database.
 */
type Db = Sql | TransactionSql;

/** A spare a tenant claimed: the database to rename, and the version it was migrated to. */
export type SpareClaim = Pick<Row<"spare_databases">, "id" | "name" | "schemaVersion">;

/** The spare the tenant claimed and has not finished claiming (its row is gone then). */
export async function findClaimOf(
  tx: TransactionSql,
  tenantId: string,
): Promise<SpareClaim | undefined> {
  const [row] = await tx<SpareClaim[]>`
    select id, name, schema_version from spare_databases where tenant_id = ${tenantId}`;
  return row;
}

/**
 * Claims the oldest ready spare on the server for the tenant. SKIP LOCKED: concurrent signups
 * each take a different spare without waiting on one another, and pass over one a fleet
 * migration is working on. Undefined when none is free.
 */
export async function claimReadySpare(
  tx: TransactionSql,
  tenantId: string,
  serverId: string,
): Promise<SpareClaim | undefined> {
  const [claimed] = await tx<SpareClaim[]>`
    update spare_databases set tenant_id = ${tenantId}
    where id = (
      select id from spare_databases
      where server_id = ${serverId} and state = 'ready' and tenant_id is null
      order by created_at limit 1
      for update skip locked)
    returning id, name, schema_version`;
  return claimed;
}

/** Gives a claimed spare back to the pool. */
export async function releaseSpareClaim(tx: TransactionSql, id: string): Promise<void> {
  await tx`update spare_databases set tenant_id = null where id = ${id}`;
}

export async function deleteSpare(sql: Db, id: string): Promise<void> {
  await sql`delete from spare_databases where id = ${id}`;
}

export async function deleteSpareNamed(sql: Db, name: string): Promise<void> {
  await sql`delete from spare_databases where name = ${name}`;
}

/** The row of a spare about to be made, `creating`; answers its id. */
export async function insertSpare(sql: Db, serverId: string, name: string): Promise<string> {
  const [row] = await sql<Pick<Row<"spare_databases">, "id">[]>`
    insert into spare_databases (server_id, name) values (${serverId}, ${name}) returning id`;
  if (!row) throw new Error("insert returned nothing");
  return row.id;
}

/** The spare's database is made and migrated to `version`: it may be claimed. */
export async function markSpareReady(sql: Db, id: string, version: number): Promise<void> {
  await sql`
    update spare_databases set state = 'ready', schema_version = ${version} where id = ${id}`;
}

export async function setSpareVersion(sql: Db, id: string, version: number): Promise<void> {
  await sql`update spare_databases set schema_version = ${version} where id = ${id}`;
}

export async function countReadySpares(sql: Db, serverId: string): Promise<number> {
  const [counted] = await sql<{ ready: number }[]>`
    select count(*)::int as ready from spare_databases
    where server_id = ${serverId} and state = 'ready' and tenant_id is null`;
  return counted?.ready ?? 0;
}

/** Unclaimed ready spares per server (a server with none is absent). */
export async function countReadySparesByServer(
  sql: Db,
): Promise<{ serverId: Row<"spare_databases">["serverId"]; ready: number }[]> {
  return sql<{ serverId: Row<"spare_databases">["serverId"]; ready: number }[]>`
    select server_id, count(*)::int as ready from spare_databases
    where state = 'ready' and tenant_id is null group by server_id`;
}

/**
 * Deletes the newest unclaimed spare in `state` on the server and answers its name (to drop its
 * database in the same transaction); undefined when none is left. Skips a row another
 * transaction holds.
 */
export async function deleteNewestUnclaimedSpare(
  tx: TransactionSql,
  serverId: string,
  state: Row<"spare_databases">["state"],
): Promise<string | undefined> {
  const [spare] = await tx<Pick<Row<"spare_databases">, "name">[]>`
    delete from spare_databases
    where id = (
      select id from spare_databases
      where server_id = ${serverId} and state = ${state} and tenant_id is null
      order by created_at desc limit 1
      for update skip locked)
    returning name`;
  return spare?.name;
}

/** Unclaimed ready spares older than `targetVersion`, by id. */
export async function listSparesBehind(sql: Db, targetVersion: number): Promise<string[]> {
  const rows = await sql<Pick<Row<"spare_databases">, "id">[]>`
    select id from spare_databases
    where state = 'ready' and tenant_id is null and schema_version < ${targetVersion}
    order by id`;
  return rows.map((row) => row.id);
}

/** A spare to migrate and where its server is. */
export type SpareToMigrate = Pick<Row<"spare_databases">, "name" | "serverId"> &
  Pick<Row<"database_servers">, "host" | "port">;

/**
 * The spare, its row locked for the rest of the transaction, if it is still unclaimed, ready and
 * older than `targetVersion`; skipped (undefined) while a claim or another migration holds it.
 */
export async function lockSpareToMigrate(
  tx: TransactionSql,
  id: string,
  targetVersion: number,
): Promise<SpareToMigrate | undefined> {
  const [spare] = await tx<SpareToMigrate[]>`
    select d.name, s.host, s.port, s.id as server_id
    from spare_databases d join database_servers s on s.id = d.server_id
    where d.id = ${id} and d.state = 'ready' and d.tenant_id is null
      and d.schema_version < ${targetVersion}
    for update of d skip locked`;
  return spare;
}

/** Every spare's name, claimed or not. */
export async function listSpareNames(sql: Db): Promise<string[]> {
  const rows = await sql<Pick<Row<"spare_databases">, "name">[]>`select name from spare_databases`;
  return rows.map((row) => row.name);
}

/**
 * Spares claimed by a tenant whose provisioning was given up or that was deleted, with their
 * server's name, by name.
 */
export async function listAbandonedClaims(
  sql: Db,
): Promise<{ server: string; name: string; tenantId: string }[]> {
  return sql<{ server: string; name: string; tenantId: string }[]>`
    select d.name as server, s.name, s.tenant_id
    from spare_databases s
    join database_servers d on d.id = s.server_id
    join tenants t on t.id = s.tenant_id
    where t.status in ('provisioning_failed', 'deleted')
    order by s.name`;
}
