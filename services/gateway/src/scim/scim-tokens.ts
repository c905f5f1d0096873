import type { Sql, TransactionSql } from "@oryn/shared";
import type { Row } from "@oryn/shared/control-plane/schema";
import { andAfterId } from "@oryn/shared/pages";

/**
 * The `scim_tokens` table: the bearer tokens a tenant's directory (its IdP's SCIM client) uses,
 * stored as hashes. The gateway makes, lists and deletes them and authenticates each SCIM
 * request with one; the provisioner deletes a deleted tenant's with the rest of it.
 */
export type ScimTokenRow = Pick<
  Row<"scim_tokens">,
  "id" | "description" | "tokenPrefix" | "createdBy" | "createdAt" | "lastUsedAt"
>;

export async function findScimTokenHash(sql: Sql, id: string): Promise<Buffer | undefined> {
  const [row] = await sql<
    Pick<Row<"scim_tokens">, "tokenHash">[]
  >`select token_hash from scim_tokens where id = ${id}`;
  return row?.tokenHash;
}

export async function insertScimToken(
  tx: TransactionSql,
  token: Pick<
    Row<"scim_tokens">,
    "id" | "tenantId" | "tokenHash" | "tokenPrefix" | "description" | "createdBy"
  >,
): Promise<ScimTokenRow> {
  const [row] = await tx<ScimTokenRow[]>`
    insert into scim_tokens (id, tenant_id, token_hash, token_prefix, description, created_by)
    values (${token.id}, ${token.tenantId}, ${token.tokenHash},
            ${token.tokenPrefix}, ${token.description},
            ${token.createdBy})
    returning id, description, token_prefix, created_by, created_at, last_used_at`;
  if (!row) throw new Error("insert returned nothing");
  return row;
}

/** Up to `limit` of the tenant's tokens with ids after `after`, by id. */
export async function listScimTokensAfter(
  sql: Sql,
  tenantId: string,
  after: string | undefined,
  limit: number,
): Promise<ScimTokenRow[]> {
  return sql<ScimTokenRow[]>`
    select id, description, token_prefix, created_by, created_at, last_used_at
    from scim_tokens
    where tenant_id = ${tenantId} ${andAfterId(sql, after)}
    order by id limit ${limit}`;
}

/** Deletes one of the tenant's tokens and answers its description; undefined for none. */
export async function deleteScimTokenOfTenant(
  tx: TransactionSql,
  tenantId: string,
  id: string,
): Promise<Pick<Row<"scim_tokens">, "description"> | undefined> {
  const [deleted] = await tx<Pick<Row<"scim_tokens">, "description">[]>`
    delete from scim_tokens where tenant_id = ${tenantId} and id = ${id}
    returning description`;
  return deleted;
}

/**
 * The token with this hash, if its tenant is not deleting or deleted. `stale`: its use was last
 * recorded over a minute ago, or never.
 */
export async function findStandingScimToken(
  sql: Sql,
  tokenHash: Buffer,
): Promise<{ tokenId: string; tenantId: string; stale: boolean } | undefined> {
  const [row] = await sql<{ tokenId: string; tenantId: string; stale: boolean }[]>`
    select s.id as token_id, s.tenant_id,
           (s.last_used_at is null or s.last_used_at < now() - interval '1 minute') as stale
    from scim_tokens s join tenants t on t.id = s.tenant_id
    where s.token_hash = ${tokenHash} and t.status not in ('deleting', 'deleted')`;
  return row;
}

/** Records that the token was used now (done at most once a minute per token). */
export async function touchScimToken(sql: Sql, id: string): Promise<void> {
  await sql`update scim_tokens set last_used_at = now() where id = ${id}`;
}
