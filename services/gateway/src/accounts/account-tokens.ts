import { createHash, randomUUID } from "node:crypto";
import { ApiError, type Sql, type TransactionSql } from "@oryn/shared";
import type { Row } from "@oryn/shared/control-plane/schema";
import { newSecretToken } from "../lib/secret-tokens.ts";

/**
 * The single-use tokens mail carries. Each is 32 random bytes with a prefix that says what it is
 * for (so a reset token pasted into the verification page is refused by its purpose, not by
 * luck); only the SHA-256 is stored, and a lookup by hash is an index probe, not a comparison an
 * attacker could time.
 *
 * The `account_tokens` table is the gateway's alone: its queries are here (verification, password
 * resets and email changes mint and spend tokens; linking an unverified account spends them all).
 */
export type AccountTokenPurpose = Row<"account_tokens">["purpose"];

const prefixes: Record<AccountTokenPurpose, string> = {
  verify_email: "oev_",
  reset_password: "orp_",
  change_email: "oec_",
};

export function hashAccountToken(token: string): Buffer {
  return createHash("sha256").update(token).digest();
}

/** A new token for `userId`, mailed to `email`; `id` names the mail (its dedup key). */
export async function mintAccountToken(
  sql: Sql | TransactionSql,
  input: { userId: string; purpose: AccountTokenPurpose; email: string; ttlSeconds: number },
): Promise<{ id: string; token: string; expiresAt: Date }> {
  const id = randomUUID();
  const token = newSecretToken(prefixes[input.purpose]);
  const expiresAt = await insertAccountToken(sql, {
    id,
    userId: input.userId,
    purpose: input.purpose,
    email: input.email,
    tokenHash: hashAccountToken(token),
    ttlSeconds: input.ttlSeconds,
  });
  // Tokens a week past their expiry go a few at a time, so the table stays small without a job.
  await pruneAccountTokens(sql);
  return { id, token, expiresAt };
}

/** Stores a token good for `ttlSeconds`, and answers when it expires. */
async function insertAccountToken(
  sql: Sql | TransactionSql,
  token: Pick<Row<"account_tokens">, "id" | "userId" | "purpose" | "email" | "tokenHash"> & {
    ttlSeconds: number;
  },
): Promise<Date> {
  const [row] = await sql<Pick<Row<"account_tokens">, "expiresAt">[]>`
    insert into account_tokens (id, user_id, purpose, email, token_hash, expires_at)
    values (${token.id}, ${token.userId}, ${token.purpose}, ${token.email}, ${token.tokenHash},
            now() + make_interval(secs => ${token.ttlSeconds}))
    returning expires_at`;
  if (!row) throw new Error("insert returned nothing");
  return row.expiresAt;
}

/** Deletes up to 20 tokens a week past their expiry. */
async function pruneAccountTokens(sql: Sql | TransactionSql): Promise<void> {
  await sql`
    delete from account_tokens where ctid = any(array(
      select ctid from account_tokens where expires_at < now() - interval '7 days' limit 20))`;
}

export type RedeemedToken = Pick<Row<"account_tokens">, "id" | "userId" | "purpose" | "email">;

/**
 * Spends a token of one of `purposes`, in the caller's transaction: the conditional UPDATE is the
 * race guard (of two redemptions at once, one finds the row still unused). Unknown, used,
 * expired, or of another purpose: 401 `invalid_token`, the same answer for each.
 */
export async function redeemAccountToken(
  tx: TransactionSql,
  token: string,
  purposes: AccountTokenPurpose[],
): Promise<RedeemedToken> {
  const [row] = await tx<RedeemedToken[]>`
    update account_tokens set used_at = now()
    where token_hash = ${hashAccountToken(token)} and used_at is null and expires_at > now()
      and purpose in ${tx(purposes)}
    returning id, user_id, purpose, email`;
  if (!row) {
    throw new ApiError("invalid_token", {
      detail: "The link is unknown, used or expired: ask for a new one",
    });
  }
  return row;
}

/**
 * Spends every live token of a user for `purposes`: a new password makes older reset links
 * worthless, a newer email change replaces the one before.
 */
export async function spendAccountTokens(
  sql: Sql | TransactionSql,
  userId: string,
  purposes: AccountTokenPurpose[],
): Promise<void> {
  await sql`
    update account_tokens set used_at = now()
    where user_id = ${userId} and used_at is null and purpose in ${sql(purposes)}`;
}

/** Spends every live token of a user, whatever it is for (an account reset when it is linked). */
export async function spendEveryAccountToken(tx: TransactionSql, userId: string): Promise<void> {
  await tx`update account_tokens set used_at = now() where user_id = ${userId} and used_at is null`;
}
