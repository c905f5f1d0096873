import { createHash, randomBytes, randomUUID } from "node:crypto";
import type { Sql, TransactionSql } from "@oryn/shared";

/** Opaque: 32 random bytes. Only the SHA-256 hash is stored, so a database leak yields no token. */
export function newRefreshToken(): { token: string; hash: Buffer } {
  const token = `ort_${randomBytes(32).toString("base64url")}`;
  return { token, hash: hashRefreshToken(token) };
}

export function hashRefreshToken(token: string): Buffer {
  return createHash("sha256").update(token).digest();
}

export async function storeRefreshToken(
  sql: Sql | TransactionSql,
  input: { familyId: string; tenantId: string; userId: string; hash: Buffer; ttlSeconds: number },
): Promise<void> {
  await sql`
    insert into refresh_tokens (id, family_id, tenant_id, user_id, token_hash, expires_at)
    values (${randomUUID()}, ${input.familyId}, ${input.tenantId}, ${input.userId}, ${input.hash},
            now() + make_interval(secs => ${input.ttlSeconds}))`;
}

type RefreshTokenRow = {
  id: string;
  familyId: string;
  tenantId: string;
  userId: string;
  expired: boolean;
  usedAt: Date | null;
  revokedAt: Date | null;
};

export type Redemption =
  | { ok: true; familyId: string; tenantId: string; userId: string }
  | { ok: false; reason: "unknown" | "expired" | "revoked" | "reused" };

/**
 * Marks the token used, inside the caller's transaction, which must also store its successor.
 * A token presented twice means it was stolen or replayed: the whole family is revoked. The row
 * lock (FOR UPDATE) makes a concurrent second redemption wait until the first has committed its
 * successor, so the revocation it then makes reaches that successor too.
 */
export async function redeemRefreshToken(tx: TransactionSql, token: string): Promise<Redemption> {
  const [row] = await tx<RefreshTokenRow[]>`
    select id, family_id, tenant_id, user_id, expires_at <= now() as expired, used_at, revoked_at
    from refresh_tokens where token_hash = ${hashRefreshToken(token)}
    for update`;
  if (!row) return { ok: false, reason: "unknown" };
  if (row.revokedAt) return { ok: false, reason: "revoked" };
  if (row.expired) return { ok: false, reason: "expired" };
  if (row.usedAt) {
    await revokeFamily(tx, row.familyId);
    return { ok: false, reason: "reused" };
  }
  await tx`update refresh_tokens set used_at = now() where id = ${row.id}`;
  return { ok: true, familyId: row.familyId, tenantId: row.tenantId, userId: row.userId };
}

export async function revokeFamily(sql: Sql | TransactionSql, familyId: string): Promise<void> {
  await sql`update refresh_tokens set revoked_at = now() where family_id = ${familyId} and revoked_at is null`;
}

/**
 * Logout: revokes the family of the presented token; unknown tokens change nothing. The row lock
 * orders it after a refresh of the same token in flight, and the UPDATE, a statement of its own,
 * then sees (and revokes) the successor that refresh committed.
 */
export async function revokeFamilyOf(sql: Sql, token: string): Promise<void> {
  await sql.begin(async (tx) => {
    const [row] = await tx<{ familyId: string }[]>`
      select family_id from refresh_tokens where token_hash = ${hashRefreshToken(token)} for update`;
    if (row) await revokeFamily(tx, row.familyId);
  });
}
