import { createHash, createHmac, randomUUID, timingSafeEqual } from "node:crypto";
import {
  ApiError,
  type Page,
  recordEvent,
  roleAtLeast,
  type Sql,
  type TransactionSql,
} from "@oryn/shared";
import {
  type ApiKeyRow,
  deleteApiKeyOfTenant,
  findApiKeyHash,
  insertApiKey,
  listApiKeysAfter,
} from "@oryn/shared/control-plane/tables/api-keys";
import { idPage } from "@oryn/shared/pages";
import { recordCallerEvent } from "../audit/audit-events.ts";
import type { Caller } from "../lib/request.ts";
import { newSecretToken } from "../lib/secret-tokens.ts";
import type { ApiKey, CreateApiKeyInput, CreatedApiKey } from "./schemas.ts";

export const apiKeyPrefix = "oryn_";

export function hashApiKey(key: string): Buffer {
  return createHash("sha256").update(key).digest();
}

/** A new key: `oryn_` and 32 random bytes; the caller sees it once, the database its hash. */
export function newApiKey(): GeneratedApiKey {
  return apiKeyOf(newSecretToken(apiKeyPrefix));
}

export type GeneratedApiKey = { key: string; hash: Buffer; displayPrefix: string };

function apiKeyOf(key: string): GeneratedApiKey {
  return { key, hash: hashApiKey(key), displayPrefix: key.slice(0, apiKeyPrefix.length + 6) };
}

/**
 * The key made for a request with an `Idempotency-Key`: derived from a random salt with a server
 * key (HMAC), not drawn at random, so a replay can give the same key again while the database
 * holds only its hash and the stored answer only the salt, as refresh-token successors are
 * derived (refresh-tokens.ts). Without the server key nobody can derive it.
 */
export function derivedApiKey(secret: Buffer, salt: string): GeneratedApiKey {
  const derived = createHmac("sha256", secret).update(`api-key ${salt}`).digest("base64url");
  return apiKeyOf(`${apiKeyPrefix}${derived}`);
}

/** The key a replayed creation made, derived again under whichever server key made it. */
export async function rederivedApiKey(
  sql: Sql,
  id: string,
  salt: string,
  secrets: Buffer[],
): Promise<string> {
  const keyHash = await findApiKeyHash(sql, id);
  for (const secret of secrets) {
    const candidate = derivedApiKey(secret, salt);
    if (keyHash && timingSafeEqual(candidate.hash, keyHash)) return candidate.key;
  }
  throw new ApiError("conflict", {
    detail: "The API key this request made has been deleted since: make a new one",
  });
}

function toApiKey({ createdAt, lastUsedAt, ...row }: ApiKeyRow): ApiKey {
  return {
    ...row,
    createdAt: createdAt.toISOString(),
    lastUsedAt: lastUsedAt?.toISOString() ?? null,
  };
}

/** A key with a role no higher than its creator's, made by a person (never by another key). */
export async function createApiKey(
  tx: TransactionSql,
  caller: Caller,
  input: CreateApiKeyInput,
  generated: GeneratedApiKey = newApiKey(),
): Promise<CreatedApiKey> {
  const { principal } = caller;
  if (!roleAtLeast(principal.role, input.role)) {
    throw new ApiError("forbidden", { detail: "A key cannot have a role above yours" });
  }
  // A key's life is tied to the person who made it (see authenticator.ts): a key making keys
  // would cut that tie.
  if (principal.kind === "api_key") {
    throw new ApiError("forbidden", { detail: "API keys are made by people, not by other keys" });
  }
  const row = await insertApiKey(tx, {
    id: randomUUID(),
    tenantId: principal.tenantId,
    name: input.name,
    role: input.role,
    keyHash: generated.hash,
    keyPrefix: generated.displayPrefix,
    createdBy: principal.userId,
  });
  await recordCallerEvent(tx, caller, {
    action: "api_key_created",
    entity: "api_key",
    entityId: row.id,
    data: { name: input.name, role: input.role },
  });
  await recordEvent(tx, principal.tenantId, "api_key.created", toApiKey(row));
  return { ...toApiKey(row), key: generated.key };
}

export async function listApiKeys(
  sql: Sql,
  tenantId: string,
  page: { limit: number; after: string | undefined },
): Promise<Page<ApiKey>> {
  const rows = await listApiKeysAfter(sql, tenantId, page.after, page.limit + 1);
  return idPage(rows, page.limit, toApiKey);
}

/** Deletes one of the caller's tenant's keys; an owner's key only when the caller is an owner. */
export async function deleteApiKey(tx: TransactionSql, caller: Caller, id: string): Promise<void> {
  const { principal } = caller;
  const deleted = await deleteApiKeyOfTenant(tx, principal.tenantId, id);
  if (!deleted) throw new ApiError("not_found");
  // Owners' keys are owners' business: throwing rolls the deletion back.
  if (!roleAtLeast(principal.role, deleted.role)) {
    throw new ApiError("forbidden", { detail: "Only owners delete an owner's key" });
  }
  await recordCallerEvent(tx, caller, {
    action: "api_key_deleted",
    entity: "api_key",
    entityId: id,
    data: deleted,
  });
  await recordEvent(tx, principal.tenantId, "api_key.revoked", { id, ...deleted });
}
