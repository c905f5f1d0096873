import { createHash } from "node:crypto";
import { ApiError, canonicalJson, type TransactionSql } from "@oryn/shared";

/** A POST carrying a key: whose, which, and what it asked for. */
export type IdempotentRequest = { principalId: string; key: string; fingerprint: string };

/** An answer as it is stored and replayed. */
export type Answer<B> = { status: number; body: B; headers: Record<string, string> };

/**
 * What a key is bound to: method, path and the body as validated, canonically (keys sorted), so
 * the same JSON with another key order or spacing is the same request.
 */
export function fingerprintOf(method: string, path: string, body: unknown): string {
  return createHash("sha256")
    .update(JSON.stringify([method, path, canonicalJson(body)]))
    .digest("hex");
}

// Advisory lock class for keys; the key itself is hashed into the second half. A collision only
// makes two unrelated keys take turns.
const keyLockClass = 7_310_004;

/**
 * Runs `write` at most once per key within 24 h, inside the caller's transaction. The key is
 * locked first, so a second request with the key, arriving at the same moment, waits for the
 * first to commit and then finds its answer; the answer is stored in the same transaction as the
 * write, so one never exists without the other. Only successful answers are stored: a failed
 * write rolls back with its key, and a retry runs again (after an upgrade, a 402 may succeed).
 */
export async function once<B>(
  tx: TransactionSql,
  request: IdempotentRequest | undefined,
  write: () => Promise<Answer<B>>,
): Promise<Answer<B> & { replayed: boolean }> {
  if (!request) return { ...(await write()), replayed: false };
  await tx`select pg_advisory_xact_lock(${keyLockClass}, hashtext(${`${request.principalId} ${request.key}`}))`;
  const [stored] = await tx<
    { fingerprint: string; status: number; body: B; headers: Record<string, string> }[]
  >`
    select fingerprint, status, body, headers from idempotency_keys
    where principal_id = ${request.principalId} and key = ${request.key}
      and created_at > now() - interval '24 hours'`;
  if (stored) {
    if (stored.fingerprint !== request.fingerprint) {
      throw new ApiError("idempotency_key_reused", {
        detail: "This Idempotency-Key was used with another request in the last 24 hours",
      });
    }
    return { status: stored.status, body: stored.body, headers: stored.headers, replayed: true };
  }
  const answer = await write();
  // An expired row under the same key is replaced; we hold the key's lock.
  await tx`
    insert into idempotency_keys (principal_id, key, fingerprint, status, body, headers)
    values (${request.principalId}, ${request.key}, ${request.fingerprint}, ${answer.status},
            ${tx.json(answer.body as never)}, ${tx.json(answer.headers)})
    on conflict (principal_id, key) do update set
      fingerprint = excluded.fingerprint, status = excluded.status, body = excluded.body,
      headers = excluded.headers, created_at = clock_timestamp()`;
  // Keys older than 24 h go a few at a time, so the table stays small without a job.
  await tx`
    delete from idempotency_keys where ctid = any(array(
      select ctid from idempotency_keys where created_at < now() - interval '24 hours' limit 20))`;
  return { ...answer, replayed: false };
}
