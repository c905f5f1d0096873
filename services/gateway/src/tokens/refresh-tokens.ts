import { createHash, createHmac, randomUUID, timingSafeEqual } from "node:crypto";
import type { Sql, TransactionSql } from "@oryn/shared";
import type { Row } from "@oryn/shared/control-plane/schema";
import { newSecretToken } from "../lib/secret-tokens.ts";
import { lastClientOf, markSessionsEnded, type SessionClient } from "../sessions/sessions.ts";

/**
 * Refresh tokens, one family per session (sessions/sessions.ts). The `refresh_tokens` table's
 * queries are here: the gateway stores, redeems and revokes tokens (login, refresh, logout, ending
 * sessions and memberships). A tenant's deletion also revokes (control-plane/tenant-deletion.ts)
 * and deletes (the provisioner's delete-tenant.ts) the tenant's, in the cascade written there.
 */
const tokenPrefix = "ort_";

/** Opaque: 32 random bytes. Only the SHA-256 hash is stored, so a database leak yields no token. */
export function newRefreshToken(): { token: string; hash: Buffer } {
  const token = newSecretToken(tokenPrefix);
  return { token, hash: hashRefreshToken(token) };
}

export function hashRefreshToken(token: string): Buffer {
  return createHash("sha256").update(token).digest();
}

/**
 * A token's successor is derived from it with a server key, not drawn at random: a second refresh
 * of the same token inside the grace window can then be given the very successor the first one
 * got, although only hashes are stored. Without the key nobody can derive it.
 */
export function successorOf(token: string, key: Buffer): string {
  return `${tokenPrefix}${createHmac("sha256", key).update(token).digest("base64url")}`;
}

export async function storeRefreshToken(
  sql: Sql | TransactionSql,
  input: { familyId: string; tenantId: string; userId: string; hash: Buffer; ttlSeconds: number },
): Promise<string> {
  const id = randomUUID();
  await sql`
    insert into refresh_tokens (id, family_id, tenant_id, user_id, token_hash, expires_at)
    values (${id}, ${input.familyId}, ${input.tenantId}, ${input.userId}, ${input.hash},
            now() + make_interval(secs => ${input.ttlSeconds}))`;
  return id;
}

type RefreshTokenRow = Pick<
  Row<"refresh_tokens">,
  "id" | "familyId" | "tenantId" | "userId" | "usedAt" | "revokedAt" | "replacedBy"
> & {
  expired: boolean;
  withinGrace: boolean;
};

export type Redemption =
  | {
      ok: true;
      familyId: string;
      tenantId: string;
      userId: string;
      /** The successor to hand out. */
      successor: string;
      /** Stores the successor; absent when it was stored by the refresh this one raced. */
      storeSuccessor?: (ttlSeconds: number) => Promise<void>;
    }
  | { ok: false; reason: "unknown" | "expired" | "revoked" | "reused" };

/**
 * Marks the token used, inside the caller's transaction, and says which successor to hand out.
 *
 * A token presented twice means it was stolen or replayed, and the whole family is revoked, with
 * one exception: a client that sent two refreshes at once (two tabs, a retry after a timeout)
 * gets, within `graceSeconds` of the first, the same successor again, as long as that successor
 * is still unused and the second comes from the same client (IP and User-Agent) as the first: a
 * thief replaying a stolen token inside the window from elsewhere revokes the family instead of
 * getting the live successor. The row lock (FOR UPDATE) makes a concurrent second redemption
 * wait until the first has committed its successor and recorded its client.
 */
export async function redeemRefreshToken(
  tx: TransactionSql,
  token: string,
  options: { keys: Buffer[]; graceSeconds: number; client: SessionClient },
): Promise<Redemption> {
  const row = await lockRefreshToken(tx, hashRefreshToken(token), options.graceSeconds);
  if (!row) return { ok: false, reason: "unknown" };
  if (row.revokedAt) return { ok: false, reason: "revoked" };
  if (row.expired) return { ok: false, reason: "expired" };
  const subject = { familyId: row.familyId, tenantId: row.tenantId, userId: row.userId };

  if (row.usedAt) {
    const successor =
      row.withinGrace && (await sameClient(tx, row.familyId, options.client))
        ? await unusedSuccessor(tx, row, token, options.keys)
        : null;
    if (successor) return { ok: true, ...subject, successor };
    await revokeFamily(tx, row.familyId);
    return { ok: false, reason: "reused" };
  }

  const [currentKey] = options.keys;
  if (!currentKey) throw new Error("no refresh-token key");
  const successor = successorOf(token, currentKey);
  return {
    ok: true,
    ...subject,
    successor,
    storeSuccessor: async (ttlSeconds) => {
      const id = await storeRefreshToken(tx, {
        ...subject,
        hash: hashRefreshToken(successor),
        ttlSeconds,
      });
      await markRefreshTokenUsed(tx, row.id, id);
    },
  };
}

/**
 * The refresh token with this hash, its row locked for the rest of the transaction, with whether
 * it expired and whether it was used within the last `graceSeconds`.
 */
async function lockRefreshToken(
  tx: TransactionSql,
  tokenHash: Buffer,
  graceSeconds: number,
): Promise<RefreshTokenRow | undefined> {
  const [row] = await tx<RefreshTokenRow[]>`
    select id, family_id, tenant_id, user_id, expires_at <= now() as expired, used_at, revoked_at,
           replaced_by, used_at > now() - make_interval(secs => ${graceSeconds}) as within_grace
    from refresh_tokens where token_hash = ${tokenHash}
    for update`;
  return row;
}

async function markRefreshTokenUsed(
  tx: TransactionSql,
  id: string,
  replacedBy: string,
): Promise<void> {
  await tx`update refresh_tokens set used_at = now(), replaced_by = ${replacedBy} where id = ${id}`;
}

/** The hash of the token `id` if it is still good: not used, revoked or expired. */
async function findUnusedRefreshTokenHash(
  tx: TransactionSql,
  id: string,
): Promise<Buffer | undefined> {
  const [row] = await tx<Pick<Row<"refresh_tokens">, "tokenHash">[]>`
    select token_hash from refresh_tokens
    where id = ${id} and used_at is null and revoked_at is null and expires_at > now()`;
  return row?.tokenHash;
}

/** Whether the client is the one the session was last refreshed from (by the first redemption). */
async function sameClient(
  tx: TransactionSql,
  familyId: string,
  client: SessionClient,
): Promise<boolean> {
  const last = await lastClientOf(tx, familyId);
  // Families from before sessions were recorded have no client to compare: as before.
  if (!last || last.ip === null) return true;
  return (
    last.ip === client.ip.slice(0, 64) &&
    last.userAgent === (client.userAgent?.slice(0, 512) ?? null)
  );
}

/** The successor a first redemption stored, re-derived, if nobody has used or revoked it since. */
async function unusedSuccessor(
  tx: TransactionSql,
  row: RefreshTokenRow,
  token: string,
  keys: Buffer[],
): Promise<string | null> {
  if (!row.replacedBy) return null;
  const nextHash = await findUnusedRefreshTokenHash(tx, row.replacedBy);
  if (!nextHash) return null;
  // Any key of the set may have derived it: the signing keys may have rotated in between.
  for (const key of keys) {
    const candidate = successorOf(token, key);
    if (timingSafeEqual(hashRefreshToken(candidate), nextHash)) return candidate;
  }
  return null;
}

/** Ends a session: its refresh tokens now, its access tokens within a revocation poll. */
export async function revokeFamily(sql: Sql | TransactionSql, familyId: string): Promise<void> {
  await revokeRefreshTokensOfFamily(sql, familyId);
  await markSessionsEnded(sql, { id: familyId });
}

/** Revokes a family's refresh tokens; the caller marks its session ended, in one transaction. */
export async function revokeRefreshTokensOfFamily(
  sql: Sql | TransactionSql,
  familyId: string,
): Promise<void> {
  await sql`update refresh_tokens set revoked_at = now() where family_id = ${familyId} and revoked_at is null`;
}

/**
 * The family of the refresh token with this hash, its row locked for the rest of the transaction
 * (logout: ordered after a refresh of the same token in flight); undefined for an unknown token.
 */
export async function lockFamilyOfRefreshToken(
  tx: TransactionSql,
  tokenHash: Buffer,
): Promise<Pick<Row<"refresh_tokens">, "familyId"> | undefined> {
  const [row] = await tx<Pick<Row<"refresh_tokens">, "familyId">[]>`
    select family_id from refresh_tokens where token_hash = ${tokenHash}
    for update`;
  return row;
}

/**
 * Revokes every refresh token of the person, in every tenant, but those of `keepFamily` (the
 * session that changed the password carries on); the caller ends the access tokens.
 */
export async function revokeRefreshTokensOfUser(
  tx: TransactionSql,
  userId: string,
  keepFamily: string | undefined,
): Promise<void> {
  await tx`
    update refresh_tokens set revoked_at = now()
    where user_id = ${userId} and revoked_at is null
      ${keepFamily ? tx`and family_id <> ${keepFamily}` : tx``}`;
}

/** Revokes every refresh token a user holds in a tenant (the user was removed from it). */
export async function revokeUserSessions(
  sql: Sql | TransactionSql,
  tenantId: string,
  userId: string,
): Promise<void> {
  await revokeRefreshTokensOfMember(sql, tenantId, userId);
  await markSessionsEnded(sql, { tenantId, userId });
}

async function revokeRefreshTokensOfMember(
  sql: Sql | TransactionSql,
  tenantId: string,
  userId: string,
): Promise<void> {
  await sql`
    update refresh_tokens set revoked_at = now()
    where tenant_id = ${tenantId} and user_id = ${userId} and revoked_at is null`;
}
