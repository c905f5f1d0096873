import type { Sql, TransactionSql } from "../../database.ts";
import type { Row } from "../schema.ts";

/**
 * The `tenant_exports` table: each export of a tenant's data an owner asked for. The gateway
 * records requests and reads them back (status, download); the provisioner writes the archive
 * and moves the row through running, ready or failed, and expired; the provisioner's tenant
 * deletion expires all of a deleted tenant's (`expireTenantExports`) and removes their files.
 */
export type TenantExportRow = Pick<
  Row<"tenant_exports">,
  "id" | "status" | "sizeBytes" | "sha256" | "createdAt" | "completedAt" | "expiresAt"
>;

type Db = Sql | TransactionSql;

/** The tenant's newest export still pending or running, if any. */
export async function findExportUnderWay(
  tx: TransactionSql,
  tenantId: string,
): Promise<TenantExportRow | undefined> {
  const [row] = await tx<TenantExportRow[]>`
    select id, status, size_bytes, sha256, created_at, completed_at, expires_at from tenant_exports
    where tenant_id = ${tenantId} and status in ('pending', 'running')
    order by created_at desc limit 1`;
  return row;
}

/** A pending export, its archive (once made) kept for `ttlSeconds` from the request. */
export async function insertExport(
  tx: TransactionSql,
  input: Pick<Row<"tenant_exports">, "id" | "tenantId" | "requestedBy"> & { ttlSeconds: number },
): Promise<TenantExportRow> {
  const [row] = await tx<TenantExportRow[]>`
    insert into tenant_exports (id, tenant_id, requested_by, expires_at)
    values (${input.id}, ${input.tenantId}, ${input.requestedBy},
            now() + make_interval(secs => ${input.ttlSeconds}))
    returning id, status, size_bytes, sha256, created_at, completed_at, expires_at`;
  if (!row) throw new Error("insert returned nothing");
  return row;
}

/** The tenant's export by id; undefined for another tenant's. */
export async function findExport(
  sql: Db,
  tenantId: string,
  id: string,
): Promise<TenantExportRow | undefined> {
  const [row] = await sql<TenantExportRow[]>`
    select id, status, size_bytes, sha256, created_at, completed_at, expires_at from tenant_exports
    where tenant_id = ${tenantId} and id = ${id}`;
  return row;
}

/**
 * Marks a pending export (or one a killed job left running) `running`, if its tenant is still
 * active or restricted. False when it was not: finished, expired, or the tenant is not active.
 */
export async function startExport(sql: Db, id: string, tenantId: string): Promise<boolean> {
  const [started] = await sql<Pick<Row<"tenant_exports">, "status">[]>`
    update tenant_exports e set status = 'running'
    from tenants t
    where e.id = ${id} and e.tenant_id = ${tenantId} and t.id = e.tenant_id
      and e.status in ('pending', 'running') and t.status in ('active', 'restricted')
    returning e.status`;
  return started !== undefined;
}

/** Fails an export not finished because its tenant is no longer active. */
export async function failExportOfInactiveTenant(sql: Db, id: string): Promise<void> {
  await sql`
    update tenant_exports set status = 'failed', error = 'tenant not active', completed_at = now()
    where id = ${id} and status in ('pending', 'running')`;
}

/** The archive is written: downloadable for `ttlSeconds` from now. */
export async function markExportReady(
  sql: Db,
  id: string,
  archive: { sizeBytes: number; sha256: string; ttlSeconds: number },
): Promise<void> {
  await sql`
    update tenant_exports
    set status = 'ready', size_bytes = ${archive.sizeBytes}, sha256 = ${archive.sha256},
        completed_at = now(), expires_at = now() + make_interval(secs => ${archive.ttlSeconds})
    where id = ${id}`;
}

/** Why the last attempt failed (its first 500 characters); the export stays running for a retry. */
export async function recordExportError(sql: Db, id: string, error: string): Promise<void> {
  await sql`
    update tenant_exports set error = ${error.slice(0, 500)}
    where id = ${id}`;
}

/** Marks an export failed for good (its job spent its attempts). */
export async function markExportFailed(sql: Db, id: string): Promise<void> {
  await sql`
    update tenant_exports set status = 'failed', completed_at = now()
    where id = ${id} and status in ('pending', 'running')`;
}

/** Marks every ready export past its expiry `expired`; answers which, to remove their archives. */
export async function expireDueExports(
  sql: Db,
): Promise<Pick<Row<"tenant_exports">, "id" | "tenantId">[]> {
  return sql<Pick<Row<"tenant_exports">, "id" | "tenantId">[]>`
    update tenant_exports set status = 'expired'
    where status = 'ready' and expires_at <= now()
    returning id, tenant_id`;
}

/** Marks every export of the tenant not yet expired `expired`: its deletion's record of them. */
export async function expireTenantExports(tx: TransactionSql, tenantId: string): Promise<void> {
  await tx`
    update tenant_exports set status = 'expired'
    where tenant_id = ${tenantId} and status <> 'expired'`;
}
