import { randomUUID } from "node:crypto";
import { ApiError, type Page, type Sql, type TransactionSql } from "@oryn/shared";
import { lockTenant } from "@oryn/shared/control-plane/tables/tenants";
import { createdAtPage } from "@oryn/shared/pages";
import { recordCallerEvent } from "../audit/audit-events.ts";
import type { Caller } from "../lib/request.ts";
import { parseSamlMetadata } from "./saml-metadata.ts";
import type { Connection, CreateConnectionInput, UpdateConnectionInput } from "./schemas.ts";
import { oidcCallbackPath, type SsoSettings, samlAcsPath } from "./settings.ts";
import {
  type ConnectionRow,
  countSsoConnections,
  deleteSsoConnection,
  findSsoConnection,
  insertOidcConnection,
  insertSamlConnection,
  listSsoConnectionsAfter,
  updateSsoConnectionAtVersion,
} from "./sso-connections.ts";

export type { ConnectionRow } from "./sso-connections.ts";

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
  if ((await countSsoConnections(tx, tenantId)) >= settings.maxConnectionsPerTenant) {
    throw new ApiError("conflict", {
      detail: `A tenant may have at most ${settings.maxConnectionsPerTenant} SSO connections`,
    });
  }
  const id = randomUUID();
  const defaultRole = input.defaultRole ?? "member";
  // The issuer is kept exactly as given: discovery must name exactly it (a trailing slash counts).
  const row =
    input.type === "oidc"
      ? await insertOidcConnection(tx, {
          id,
          tenantId,
          defaultRole,
          oidcIssuer: input.issuer,
          oidcClientId: input.clientId,
          oidcClientSecretCiphertext: settings.secrets.seal(id, input.clientSecret),
        })
      : await insertSamlConnection(tx, {
          id,
          tenantId,
          defaultRole,
          samlIdpEntityId: saml?.entityId ?? null,
          samlSsoUrl: saml?.ssoUrl ?? null,
          samlIdpCerts: saml?.signingCerts ?? null,
          samlMetadataXml: input.metadataXml ?? null,
        });
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
  const rows = await listSsoConnectionsAfter(sql, tenantId, page.after, page.limit + 1);
  return createdAtPage(rows, page.limit, (row) => toConnection(row, settings));
}

/** One of the tenant's connections; another tenant's is simply not found. */
export async function loadConnection(
  sql: Sql | TransactionSql,
  tenantId: string,
  id: string,
): Promise<ConnectionRow> {
  const row = await findSsoConnection(sql, tenantId, id);
  if (!row) throw new ApiError("not_found");
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
  const row = await updateSsoConnectionAtVersion(tx, tenantId, id, before.version, {
    status: input.status ?? null,
    defaultRole: input.defaultRole ?? null,
    enforce: input.enforce ?? null,
    oidcClientSecretCiphertext: sealed,
    samlIdpEntityId: saml?.entityId ?? null,
    samlSsoUrl: saml?.ssoUrl ?? null,
    samlIdpCerts: saml?.signingCerts ?? null,
    samlMetadataXml: saml ? (input.metadataXml ?? null) : null,
  });
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
  const row = await deleteSsoConnection(tx, caller.principal.tenantId, id);
  if (!row) throw new ApiError("not_found");
  await recordCallerEvent(tx, caller, {
    action: "deleted",
    entity: "sso_connection",
    entityId: id,
    data: audited(row),
  });
}
