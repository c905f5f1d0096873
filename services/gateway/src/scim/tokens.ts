import { createHash, createHmac, randomUUID, timingSafeEqual } from "node:crypto";
import { ApiError, type Page, type Sql, type TransactionSql } from "@oryn/shared";
import { idPage } from "@oryn/shared/pages";
import { recordCallerEvent } from "../audit/audit-events.ts";
import type { Caller } from "../lib/request.ts";
import { newSecretToken } from "../lib/secret-tokens.ts";
import type { ScimToken } from "./schemas.ts";
import {
  deleteScimTokenOfTenant,
  findScimTokenHash,
  findStandingScimToken,
  insertScimToken,
  listScimTokensAfter,
  type ScimTokenRow,
  touchScimToken,
} from "./scim-tokens.ts";

export const scimTokenPrefix = "oryn_scim_";

export function hashScimToken(token: string): Buffer {
  return createHash("sha256").update(token).digest();
}

/** A new random token. */
export function newScimToken(): string {
  return newSecretToken(scimTokenPrefix);
}

/**
 * The token made for a request with an `Idempotency-Key`: derived from a random salt with a
 * server key, so a replay can show it again while the stored answer holds only the salt (as
 * API keys are, api-keys.ts).
 */
export function derivedScimToken(secret: Buffer, salt: string): string {
  return `${scimTokenPrefix}${createHmac("sha256", secret).update(`scim-token ${salt}`).digest("base64url")}`;
}

/** The token a replayed creation made, derived again under whichever server key made it. */
export async function rederivedScimToken(
  sql: Sql,
  id: string,
  salt: string,
  secrets: Buffer[],
): Promise<string> {
  const tokenHash = await findScimTokenHash(sql, id);
  for (const secret of secrets) {
    const candidate = derivedScimToken(secret, salt);
    if (tokenHash && timingSafeEqual(hashScimToken(candidate), tokenHash)) return candidate;
  }
  throw new ApiError("conflict", {
    detail: "The SCIM token this request made has been deleted since: make a new one",
  });
}

function toScimToken({ createdAt, lastUsedAt, ...row }: ScimTokenRow): ScimToken {
  return {
    ...row,
    createdAt: createdAt.toISOString(),
    lastUsedAt: lastUsedAt?.toISOString() ?? null,
  };
}

/** A new token for the caller's tenant: shown once, stored as its SHA-256 hash. */
export async function createScimToken(
  tx: TransactionSql,
  caller: Caller,
  input: { description?: string | undefined },
  token: string = newScimToken(),
): Promise<ScimToken & { token: string }> {
  const { principal } = caller;
  if (principal.kind === "api_key") {
    throw new ApiError("forbidden", { detail: "SCIM tokens are made by people, not by API keys" });
  }
  const row = await insertScimToken(tx, {
    id: randomUUID(),
    tenantId: principal.tenantId,
    tokenHash: hashScimToken(token),
    tokenPrefix: token.slice(0, scimTokenPrefix.length + 6),
    description: input.description ?? "",
    createdBy: principal.userId,
  });
  await recordCallerEvent(tx, caller, {
    action: "scim_token_created",
    entity: "scim_token",
    entityId: row.id,
    data: { description: row.description },
  });
  return { ...toScimToken(row), token };
}

export async function listScimTokens(
  sql: Sql,
  tenantId: string,
  page: { limit: number; after: string | undefined },
): Promise<Page<ScimToken>> {
  const rows = await listScimTokensAfter(sql, tenantId, page.after, page.limit + 1);
  return idPage(rows, page.limit, toScimToken);
}

/** Deletes one of the caller's tenant's tokens: the next SCIM request with it answers 401. */
export async function deleteScimToken(
  tx: TransactionSql,
  caller: Caller,
  id: string,
): Promise<void> {
  const deleted = await deleteScimTokenOfTenant(tx, caller.principal.tenantId, id);
  if (!deleted) throw new ApiError("not_found");
  await recordCallerEvent(tx, caller, {
    action: "scim_token_deleted",
    entity: "scim_token",
    entityId: id,
    data: deleted,
  });
}

/**
 * The tenant a SCIM token stands for, looked up on every request (no cache, so a deleted token
 * stops at once); none for an unknown token or a tenant being deleted.
 */
export async function authenticateScimToken(
  sql: Sql,
  token: string,
): Promise<{ tokenId: string; tenantId: string } | undefined> {
  if (!token.startsWith(scimTokenPrefix)) return undefined;
  const row = await findStandingScimToken(sql, hashScimToken(token));
  if (!row) return undefined;
  if (row.stale) await touchScimToken(sql, row.tokenId);
  return { tokenId: row.tokenId, tenantId: row.tenantId };
}
