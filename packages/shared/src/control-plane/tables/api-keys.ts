import type { Sql, TransactionSql } from "../../database.ts";
import type { Row } from "../schema.ts";

/**
 * The `api_keys` table: a tenant's keys, stored as hashes. The gateway makes, lists, deletes and
 * authenticates them; the provisioner deletes a deleted tenant's.
 */
export type ApiKeyRow = Pick<
  Row<"api_keys">,
  "id" | "name" | "role" | "keyPrefix" | "createdBy" | "createdAt" | "lastUsedAt"
>;

/**
 * The key with this hash, if it stands: its tenant is not deleting or deleted, and its creator is
 * still a member with a role at least the key's. Run on every request made with a key.
 */
export async function findStandingApiKey(
  sql: Sql,
  keyHash: Buffer,
): Promise<Pick<Row<"api_keys">, "id" | "tenantId" | "role"> | undefined> {
  const [row] = await sql<Pick<Row<"api_keys">, "id" | "tenantId" | "role">[]>`
    select k.id, k.tenant_id, k.role
    from api_keys k
    join tenants t on t.id = k.tenant_id
    join memberships m on m.tenant_id = k.tenant_id and m.user_id = k.created_by
    where k.key_hash = ${keyHash} and t.status not in ('deleting', 'deleted')
      and oryn_role_rank(m.role) >= oryn_role_rank(k.role)`;
  return row;
}

/** Records that the key was used now (the gateway does it at most once a minute per key). */
export function touchApiKey(sql: Sql, id: string): Promise<unknown> {
  return sql`update api_keys set last_used_at = now() where id = ${id}`;
}

export async function findApiKeyHash(sql: Sql, id: string): Promise<Buffer | undefined> {
  const [row] = await sql<Pick<Row<"api_keys">, "keyHash">[]>`
    select key_hash from api_keys where id = ${id}`;
  return row?.keyHash;
}

export async function insertApiKey(
  tx: TransactionSql,
  key: Pick<
    Row<"api_keys">,
    "id" | "tenantId" | "name" | "role" | "keyHash" | "keyPrefix" | "createdBy"
  >,
): Promise<ApiKeyRow> {
  const [row] = await tx<ApiKeyRow[]>`
    insert into api_keys (id, tenant_id, name, role, key_hash, key_prefix, created_by)
    values (${key.id}, ${key.tenantId}, ${key.name}, ${key.role}, ${key.keyHash},
            ${key.keyPrefix}, ${key.createdBy})
    returning id, name, role, key_prefix, created_by, created_at, last_used_at`;
  if (!row) throw new Error("insert returned nothing");
  return row;
}

/** Up to `limit` of the tenant's keys with ids after `after`, by id. */
export async function listApiKeysAfter(
  sql: Sql,
  tenantId: string,
  after: string | undefined,
  limit: number,
): Promise<ApiKeyRow[]> {
  return sql<ApiKeyRow[]>`
    select id, name, role, key_prefix, created_by, created_at, last_used_at from api_keys
    where tenant_id = ${tenantId} ${after ? sql`and id > ${after}` : sql``}
    order by id limit ${limit}`;
}

/** Deletes one of the tenant's keys and answers what it was; undefined for no such key. */
export async function deleteApiKeyOfTenant(
  tx: TransactionSql,
  tenantId: string,
  id: string,
): Promise<Pick<Row<"api_keys">, "name" | "role"> | undefined> {
  const [deleted] = await tx<Pick<Row<"api_keys">, "name" | "role">[]>`
    delete from api_keys where tenant_id = ${tenantId} and id = ${id}
    returning name, role`;
  return deleted;
}
