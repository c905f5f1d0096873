import { randomUUID } from "node:crypto";
import { ApiError, type Page, type Sql, type TransactionSql } from "@oryn/shared";
import type { Row } from "@oryn/shared/control-plane/schema";
import { lockTenant } from "@oryn/shared/control-plane/tables/tenants";
import { andAfterCreatedAt, createdAtCursorColumn, createdAtPage } from "@oryn/shared/pages";
import { recordCallerEvent } from "../audit/audit-events.ts";
import type { Caller } from "../lib/request.ts";
import { parseSamlMetadata } from "./saml-metadata.ts";
import type { Connection, CreateConnectionInput, UpdateConnectionInput } from "./schemas.ts";
import { oidcCallbackPath, type SsoSettings, samlAcsPath } from "./settings.ts";

/** A connection as stored: both types' columns, the unused ones null. */
export type ConnectionRow = Row<"sso_connections">;

const columns = (sql: Sql | TransactionSql) => sql`
  id, tenant_id, type, status, default_role, enforce, oidc_issuer, oidc_client_id,
  oidc_client_secret_ciphertext, saml_idp_entity_id, saml_sso_url, saml_idp_certs,
  saml_metadata_xml, version, created_at, updated_at`;

/** Our SAML entity id (the audience assertions must name) for one connection. */
export function samlEntityIdOf(settings: Pick<SsoSettings, "publicUrl">, id: string): string {
  return `${settings.publicUrl}/v1/sso/saml/metadata/${id}`;
}

export function toConnection(
  row: ConnectionRow,
  settings: Pick<SsoSettings, "publicUrl">,
): Connection {
  const common = {
    id: row.id,
    type: row.type,
    status: row.status,
    defaultRole: row.defaultRole,
    enforce: row.enforce,
    version: Number(row.version),
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
  if (row.type === "oidc") {
    return {
      ...common,
      issuer: row.oidcIssuer ?? "",
      clientId: row.oidcClientId ?? "",
      redirectUri: `${settings.publicUrl}${oidcCallbackPath}`,
    };
  }
  return {
    ...common,
    idpEntityId: row.samlIdpEntityId ?? "",
    acsUrl: `${settings.publicUrl}${samlAcsPath}`,
    entityId: samlEntityIdOf(settings, row.id),
  };
}

/** What an audit row says of a connection: never its secret nor the whole metadata. */
function audited(row: ConnectionRow): Record<string, unknown> {
  return {
    type: row.type,
    status: row.status,
    defaultRole: row.defaultRole,
    enforce: row.enforce,
    ...(row.type === "oidc"
      ? { issuer: row.oidcIssuer, clientId: row.oidcClientId }
      : { idpEntityId: row.samlIdpEntityId }),
  };
}

export async function createConnection(
  tx: TransactionSql,
  caller: Caller,
  input: CreateConnectionInput,
  settings: SsoSettings,
): Promise<Connection> {
  const tenantId = caller.principal.tenantId;
  // Read before the lock: a SAML metadata that does not parse is refused without waiting.
  const saml =
    input.type === "saml"
      ? parseSamlMetadata(input.metadataXml ?? "", { allowHttp: settings.allowPrivateIssuers })
      : undefined;
  // The tenant row's lock counts two concurrent creates one after the other.
  await lockTenant(tx, tenantId);
  const [count] = await tx<{ n: number }[]>`
    select count(*)::int as n from sso_connections where tenant_id = ${tenantId}`;
  if ((count?.n ?? 0) >= settings.maxConnectionsPerTenant) {
    throw new ApiError("conflict", {
      detail: `A tenant may have at most ${settings.maxConnectionsPerTenant} SSO connections`,
    });
  }
  const id = randomUUID();
  const defaultRole = input.defaultRole ?? "member";
  // The issuer is kept exactly as given: discovery must name exactly it (a trailing slash counts).
  const [row] =
    input.type === "oidc"
      ? await tx<ConnectionRow[]>`
          insert into sso_connections (id, tenant_id, type, default_role, oidc_issuer, oidc_client_id,
                                       oidc_client_secret_ciphertext)
          values (${id}, ${tenantId}, 'oidc', ${defaultRole}, ${input.issuer},
                  ${input.clientId}, ${settings.secrets.seal(id, input.clientSecret)})
          returning ${columns(tx)}`
      : await tx<ConnectionRow[]>`
          insert into sso_connections (id, tenant_id, type, default_role, saml_idp_entity_id,
                                       saml_sso_url, saml_idp_certs, saml_metadata_xml)
          values (${id}, ${tenantId}, 'saml', ${defaultRole}, ${saml?.entityId ?? null},
                  ${saml?.ssoUrl ?? null}, ${saml?.signingCerts ?? null}, ${input.metadataXml ?? null})
          returning ${columns(tx)}`;
  if (!row) throw new Error("insert returned nothing");
  await recordCallerEvent(tx, caller, {
    action: "created",
    entity: "sso_connection",
    entityId: id,
    data: audited(row),
  });
  return toConnection(row, settings);
}

export async function listConnections(
  sql: Sql,
  tenantId: string,
  page: { limit: number; after: [atMicros: string, id: string] | undefined },
  settings: Pick<SsoSettings, "publicUrl">,
): Promise<Page<Connection>> {
  const rows = await sql<(ConnectionRow & { cursorAt: string })[]>`
    select ${columns(sql)}, ${createdAtCursorColumn(sql)}
    from sso_connections where tenant_id = ${tenantId}
    ${andAfterCreatedAt(sql, page.after)}
    order by created_at, id limit ${page.limit + 1}`;
  return createdAtPage(rows, page.limit, (row) => toConnection(row, settings));
}

/** One of the tenant's connections; another tenant's is simply not found. */
export async function loadConnection(
  sql: Sql | TransactionSql,
  tenantId: string,
  id: string,
): Promise<ConnectionRow> {
  const [row] = await sql<ConnectionRow[]>`
    select ${columns(sql)} from sso_connections where id = ${id} and tenant_id = ${tenantId}`;
  if (!row) throw new ApiError("not_found");
  return row;
}

/**
 * The connection a sign-in of the tenant goes through: its enabled one (the oldest, when it has
 * several), or undefined. The tenant is the one the flow was started for, never one an IdP named.
 */
export async function signInConnectionOf(
  sql: Sql | TransactionSql,
  tenantId: string,
): Promise<ConnectionRow | undefined> {
  const [row] = await sql<ConnectionRow[]>`
    select ${columns(sql)} from sso_connections
    where tenant_id = ${tenantId} and status = 'enabled'
    order by created_at, id limit 1`;
  return row;
}

export async function updateConnection(
  tx: TransactionSql,
  caller: Caller,
  id: string,
  input: UpdateConnectionInput,
  settings: SsoSettings,
): Promise<Connection> {
  const tenantId = caller.principal.tenantId;
  const before = await loadConnection(tx, tenantId, id);
  if (input.clientSecret !== undefined && before.type !== "oidc") {
    throw new ApiError("validation_failed", {
      errors: [{ path: "clientSecret", message: "only an OIDC connection has a client secret" }],
    });
  }
  if (input.metadataXml !== undefined && before.type !== "saml") {
    throw new ApiError("validation_failed", {
      errors: [{ path: "metadataXml", message: "only a SAML connection has IdP metadata" }],
    });
  }
  const saml =
    input.metadataXml === undefined
      ? undefined
      : parseSamlMetadata(input.metadataXml, { allowHttp: settings.allowPrivateIssuers });
  const sealed =
    input.clientSecret === undefined ? null : settings.secrets.seal(id, input.clientSecret);
  // The version guard: a concurrent change between the read and this write is not overwritten.
  const [row] = await tx<ConnectionRow[]>`
    update sso_connections set
      status = coalesce(${input.status ?? null}, status),
      default_role = coalesce(${input.defaultRole ?? null}, default_role),
      enforce = coalesce(${input.enforce ?? null}::boolean, enforce),
      oidc_client_secret_ciphertext = coalesce(${sealed}::bytea, oidc_client_secret_ciphertext),
      saml_idp_entity_id = coalesce(${saml?.entityId ?? null}, saml_idp_entity_id),
      saml_sso_url = coalesce(${saml?.ssoUrl ?? null}, saml_sso_url),
      saml_idp_certs = coalesce(${saml?.signingCerts ?? null}::text[], saml_idp_certs),
      saml_metadata_xml = coalesce(${saml ? (input.metadataXml ?? null) : null}, saml_metadata_xml),
      version = version + 1,
      updated_at = clock_timestamp()
    where id = ${id} and tenant_id = ${tenantId} and version = ${before.version}
    returning ${columns(tx)}`;
  if (!row) throw new ApiError("conflict", { detail: "The connection changed meanwhile: retry" });
  await recordCallerEvent(tx, caller, {
    action: "updated",
    entity: "sso_connection",
    entityId: id,
    data: {
      before: audited(before),
      after: audited(row),
      ...(input.clientSecret === undefined ? {} : { clientSecretChanged: true }),
      ...(saml === undefined
        ? {}
        : { metadataChanged: true, certificates: saml.signingCerts.length }),
    },
  });
  return toConnection(row, settings);
}

export async function deleteConnection(
  tx: TransactionSql,
  caller: Caller,
  id: string,
): Promise<void> {
  const [row] = await tx<ConnectionRow[]>`
    delete from sso_connections where id = ${id} and tenant_id = ${caller.principal.tenantId}
    returning ${columns(tx)}`;
  if (!row) throw new ApiError("not_found");
  await recordCallerEvent(tx, caller, {
    action: "deleted",
    entity: "sso_connection",
    entityId: id,
    data: audited(row),
  });
}
