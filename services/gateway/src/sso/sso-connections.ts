import type { Sql, TransactionSql } from "@oryn/shared";
import type { Row } from "@oryn/shared/control-plane/schema";
import { andAfterCreatedAt, createdAtCursorColumn } from "@oryn/shared/pages";

/**
 * The `sso_connections` table: a tenant's identity providers (OIDC or SAML) its members sign in
 * through. The gateway manages them and reads them at each sign-in (and, in
 * domains/tenant-domains.ts, to know whether a domain's tenant enforces SSO); the provisioner
 * deletes a deleted tenant's with the rest of it.
 */

/** A connection as stored: both types' columns, the unused ones null. */
export type ConnectionRow = Row<"sso_connections">;

type Db = Sql | TransactionSql;

const columns = (sql: Db) => sql`
  id, tenant_id, type, status, default_role, enforce, oidc_issuer, oidc_client_id,
  oidc_client_secret_ciphertext, saml_idp_entity_id, saml_sso_url, saml_idp_certs,
  saml_metadata_xml, version, created_at, updated_at`;

export async function countSsoConnections(tx: TransactionSql, tenantId: string): Promise<number> {
  const [count] = await tx<{ n: number }[]>`
    select count(*)::int as n from sso_connections where tenant_id = ${tenantId}`;
  return count?.n ?? 0;
}

export async function insertOidcConnection(
  tx: TransactionSql,
  connection: Pick<
    ConnectionRow,
    "id" | "tenantId" | "defaultRole" | "oidcIssuer" | "oidcClientId" | "oidcClientSecretCiphertext"
  >,
): Promise<ConnectionRow> {
  const [row] = await tx<ConnectionRow[]>`
          insert into sso_connections (id, tenant_id, type, default_role, oidc_issuer, oidc_client_id,
                                       oidc_client_secret_ciphertext)
          values (${connection.id}, ${connection.tenantId}, 'oidc', ${connection.defaultRole}, ${connection.oidcIssuer},
                  ${connection.oidcClientId}, ${connection.oidcClientSecretCiphertext})
          returning ${columns(tx)}`;
  if (!row) throw new Error("insert returned nothing");
  return row;
}

export async function insertSamlConnection(
  tx: TransactionSql,
  connection: Pick<
    ConnectionRow,
    | "id"
    | "tenantId"
    | "defaultRole"
    | "samlIdpEntityId"
    | "samlSsoUrl"
    | "samlIdpCerts"
    | "samlMetadataXml"
  >,
): Promise<ConnectionRow> {
  const [row] = await tx<ConnectionRow[]>`
          insert into sso_connections (id, tenant_id, type, default_role, saml_idp_entity_id,
                                       saml_sso_url, saml_idp_certs, saml_metadata_xml)
          values (${connection.id}, ${connection.tenantId}, 'saml', ${connection.defaultRole}, ${connection.samlIdpEntityId},
                  ${connection.samlSsoUrl}, ${connection.samlIdpCerts}, ${connection.samlMetadataXml})
          returning ${columns(tx)}`;
  if (!row) throw new Error("insert returned nothing");
  return row;
}

/**
 * Up to `limit` of the tenant's connections after the `after` cursor, oldest first, each with
 * its `created_at` as a cursor (microseconds since the epoch, as text).
 */
export async function listSsoConnectionsAfter(
  sql: Sql,
  tenantId: string,
  after: [atMicros: string, id: string] | undefined,
  limit: number,
): Promise<(ConnectionRow & { cursorAt: string })[]> {
  return sql<(ConnectionRow & { cursorAt: string })[]>`
    select ${columns(sql)}, ${createdAtCursorColumn(sql)}
    from sso_connections where tenant_id = ${tenantId}
    ${andAfterCreatedAt(sql, after)}
    order by created_at, id limit ${limit}`;
}

/** One of the tenant's connections; undefined for another tenant's, as for none. */
export async function findSsoConnection(
  sql: Db,
  tenantId: string,
  id: string,
): Promise<ConnectionRow | undefined> {
  const [row] = await sql<ConnectionRow[]>`
    select ${columns(sql)} from sso_connections where id = ${id} and tenant_id = ${tenantId}`;
  return row;
}

/**
 * The connection a sign-in of the tenant goes through: its enabled one (the oldest, when it has
 * several), or undefined. The tenant is the one the flow was started for, never one an IdP named.
 */
export async function signInConnectionOf(
  sql: Db,
  tenantId: string,
): Promise<ConnectionRow | undefined> {
  const [row] = await sql<ConnectionRow[]>`
    select ${columns(sql)} from sso_connections
    where tenant_id = ${tenantId} and status = 'enabled'
    order by created_at, id limit 1`;
  return row;
}

/** Any tenant's SAML connection, every column (its service provider metadata is public). */
export async function findSamlConnection(sql: Sql, id: string): Promise<ConnectionRow | undefined> {
  const [row] = await sql<ConnectionRow[]>`
          select * from sso_connections where id = ${id} and type = 'saml'`;
  return row;
}

/** What an update sets; null leaves the column as it is. */
export type SsoConnectionChanges = {
  [K in
    | "status"
    | "defaultRole"
    | "enforce"
    | "oidcClientSecretCiphertext"
    | "samlIdpEntityId"
    | "samlSsoUrl"
    | "samlIdpCerts"
    | "samlMetadataXml"]: NonNullable<ConnectionRow[K]> | null;
};

/**
 * Sets the changes and bumps the version, provided the connection is still at `version` (a
 * concurrent change between the caller's read and this write is not overwritten). Undefined
 * when it is not, or there is no such connection of the tenant's.
 */
export async function updateSsoConnectionAtVersion(
  tx: TransactionSql,
  tenantId: string,
  id: string,
  version: string,
  changes: SsoConnectionChanges,
): Promise<ConnectionRow | undefined> {
  const [row] = await tx<ConnectionRow[]>`
    update sso_connections set
      status = coalesce(${changes.status}, status),
      default_role = coalesce(${changes.defaultRole}, default_role),
      enforce = coalesce(${changes.enforce}::boolean, enforce),
      oidc_client_secret_ciphertext = coalesce(${changes.oidcClientSecretCiphertext}::bytea, oidc_client_secret_ciphertext),
      saml_idp_entity_id = coalesce(${changes.samlIdpEntityId}, saml_idp_entity_id),
      saml_sso_url = coalesce(${changes.samlSsoUrl}, saml_sso_url),
      saml_idp_certs = coalesce(${changes.samlIdpCerts}::text[], saml_idp_certs),
      saml_metadata_xml = coalesce(${changes.samlMetadataXml}, saml_metadata_xml),
      version = version + 1,
      updated_at = clock_timestamp()
    where id = ${id} and tenant_id = ${tenantId} and version = ${version}
    returning ${columns(tx)}`;
  return row;
}

/** Deletes one of the tenant's connections and answers it; undefined for no such connection. */
export async function deleteSsoConnection(
  tx: TransactionSql,
  tenantId: string,
  id: string,
): Promise<ConnectionRow | undefined> {
  const [row] = await tx<ConnectionRow[]>`
    delete from sso_connections where id = ${id} and tenant_id = ${tenantId}
    returning ${columns(tx)}`;
  return row;
}
