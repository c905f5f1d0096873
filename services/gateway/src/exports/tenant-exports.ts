import { randomUUID } from "node:crypto";
import type { Sql, TransactionSql } from "@oryn/shared";

export type TenantExport = {
  id: string;
  status: "pending" | "running" | "ready" | "failed" | "expired";
  sizeBytes: string | null;
  sha256: string | null;
  createdAt: Date;
  completedAt: Date | null;
  expiresAt: Date;
};

const columns = (sql: Sql | TransactionSql) =>
  sql`id, status, size_bytes, sha256, created_at, completed_at, expires_at`;

/**
 * A new export, or the one already under way: an owner clicking twice (or a script looping)
 * gets the same export rather than filling the disk with copies. The row lock on the tenant
 * makes two concurrent requests take turns.
 */
export async function requestExport(
  sql: Sql,
  input: { tenantId: string; requestedBy: string; ttlSeconds: number },
): Promise<{ export: TenantExport; created: boolean }> {
  return sql.begin(async (tx) => {
    await tx`select 1 from tenants where id = ${input.tenantId} for update`;
    const [running] = await tx<TenantExport[]>`
      select ${columns(tx)} from tenant_exports
      where tenant_id = ${input.tenantId} and status in ('pending', 'running')
      order by created_at desc limit 1`;
    if (running) return { export: running, created: false };
    const [created] = await tx<TenantExport[]>`
      insert into tenant_exports (id, tenant_id, requested_by, expires_at)
      values (${randomUUID()}, ${input.tenantId}, ${input.requestedBy},
              now() + make_interval(secs => ${input.ttlSeconds}))
      returning ${columns(tx)}`;
    if (!created) throw new Error("insert returned nothing");
    return { export: created, created: true };
  });
}

/** The tenant's export by id; another tenant's is as absent as a made-up id. */
export async function findExport(
  sql: Sql,
  tenantId: string,
  id: string,
): Promise<TenantExport | undefined> {
  const [row] = await sql<TenantExport[]>`
    select ${columns(sql)} from tenant_exports where tenant_id = ${tenantId} and id = ${id}`;
  return row;
}
