import { createHmac } from "node:crypto";
import { z } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { Sql, TransactionSql } from "../database.ts";
import { ApiError } from "../errors.ts";
import type { AppEnv } from "../http.ts";

/**
 * `Idempotency-Key` for the POSTs answered from the control plane (the gateway's, billing's),
 * like workspace's in each tenant database: the same key and body within 24 h return the first
 * answer, marked `Idempotent-Replayed: true`; another body under the key is a 422.
 */
/** The header's value: 1 to 255 visible ASCII characters (a UUID is the usual choice). */
export const idempotencyKeyHeader = z
  .string()
  .regex(/^[\x21-\x7e]{1,255}$/, "1 to 255 visible ASCII characters, no spaces")
  .optional()
  .openapi({
    description:
      "Makes the POST safe to retry: the same key and body within 24 h returns the first answer",
    example: "7f9c2d1e-5b8a-4c3f-9e2d-1a6b8c4d2e0f",
  });

export const idempotencyKeyHeaders = z.object({ "idempotency-key": idempotencyKeyHeader });

/**
 * A control-plane POST's key: `owner` is its scope (see idempotencyOfRequest), `fingerprints`
 * the request's under each server key, the current one first (see below).
 */
export type IdempotentRequest = KeyLookup;

export type StoredAnswer<B> = { status: number; body: B; headers: Record<string, string> };

/**
 * The request a key is bound to, or undefined without a key. The fingerprint is an HMAC of
 * method, path and the canonical body (keys sorted) under each of `secrets`: a stored
 * fingerprint reveals nothing of a body holding a password, and a retry after the server keys
 * rotated still matches under the older one.
 */
export function idempotentRequest(input: {
  key: string | undefined;
  scope: string;
  method: string;
  path: string;
  body: unknown;
  secrets: Buffer[];
}): IdempotentRequest | undefined {
  if (input.key === undefined) return undefined;
  const payload = JSON.stringify([input.method, input.path, canonicalJson(input.body)]);
  return {
    owner: input.scope,
    key: input.key,
    fingerprints: input.secrets.map((secret) =>
      createHmac("sha256", secret).update(payload).digest("hex"),
    ),
  };
}

/**
 * A control-plane POST's key as a route sees it: scoped to the caller (a person or an API key),
 * or `anonymous` where there is none (signup), and fingerprinted under `secrets`.
 */
export function idempotencyOfRequest(
  c: Context<AppEnv>,
  secrets: Buffer[],
  key: string | undefined,
  body: unknown,
): IdempotentRequest | undefined {
  const principal = c.get("principal");
  return idempotentRequest({
    key,
    scope: principal ? `${principal.kind}:${principal.userId}` : "anonymous",
    method: c.req.method,
    path: c.req.path,
    body,
    secrets,
  });
}

/** Puts a fresh or stored answer's headers on the response; a replay says so. */
export function setAnswerHeaders(
  c: Context<AppEnv>,
  answer: Pick<StoredAnswer<unknown>, "headers"> & { replayed: boolean },
): void {
  for (const [name, value] of Object.entries(answer.headers)) c.header(name, value);
  if (answer.replayed) c.header("idempotent-replayed", "true");
}

/**
 * A JSON value with object keys sorted and undefined entries dropped, so the same body sent with
 * another key order or spacing fingerprints the same (control-plane and workspace keys alike).
 */
export function canonicalJson(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonicalJson);
  if (value && typeof value === "object") {
    return Object.fromEntries(
      Object.entries(value)
        .filter(([, entry]) => entry !== undefined)
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([key, entry]) => [key, canonicalJson(entry)]),
    );
  }
  return value;
}

/**
 * Where a database keeps its keys: the `idempotency_keys` column naming whose key it is (the
 * control plane's `scope`, a tenant database's `principal_id`) and the advisory lock class its
 * keys are locked under (the key itself is hashed into the second half; a collision only makes
 * two unrelated keys take turns).
 */
export type KeyTable = { owner: "scope" | "principal_id"; lockClass: number };

/** A key as `onceInTable` looks it up: whose, which, and the fingerprints it may be bound to. */
export type KeyLookup = { owner: string; key: string; fingerprints: string[] };

/**
 * Runs `write` at most once per key within 24 h, inside the caller's transaction, for the control
 * plane and workspace alike. The key is locked first, so a second request with the key, arriving
 * at the same moment, waits for the first to commit and then finds its answer; the answer is
 * stored in the same transaction as the write, so one never exists without the other. Only
 * successful answers are stored: a failed write rolls back with its key, and a retry runs again
 * (after an upgrade, a 402 may succeed). The first fingerprint is the one stored.
 */
export async function onceInTable<B>(
  tx: TransactionSql,
  table: KeyTable,
  request: KeyLookup | undefined,
  write: () => Promise<StoredAnswer<B>>,
): Promise<StoredAnswer<B> & { replayed: boolean }> {
  if (!request) return { ...(await write()), replayed: false };
  const owner = tx(table.owner);
  await tx`select pg_advisory_xact_lock(${table.lockClass}, hashtext(${`${request.owner} ${request.key}`}))`;
  const [stored] = await tx<
    { fingerprint: string; status: number; body: B; headers: Record<string, string> }[]
  >`
    select fingerprint, status, body, headers from idempotency_keys
    where ${owner} = ${request.owner} and key = ${request.key}
      and created_at > now() - interval '24 hours'`;
  if (stored) {
    if (!request.fingerprints.includes(stored.fingerprint)) {
      throw new ApiError("idempotency_key_reused", {
        detail: "This Idempotency-Key was used with another request in the last 24 hours",
      });
    }
    return { status: stored.status, body: stored.body, headers: stored.headers, replayed: true };
  }
  const answer = await write();
  // An expired row under the same key is replaced; we hold the key's lock.
  await tx`
    insert into idempotency_keys (${owner}, key, fingerprint, status, body, headers)
    values (${request.owner}, ${request.key}, ${request.fingerprints[0] ?? ""}, ${answer.status},
            ${tx.json(answer.body as never)}, ${tx.json(answer.headers)})
    on conflict (${owner}, key) do update set
      fingerprint = excluded.fingerprint, status = excluded.status, body = excluded.body,
      headers = excluded.headers, created_at = clock_timestamp()`;
  // Keys older than 24 h go a few at a time, so the table stays small without a job.
  await tx`
    delete from idempotency_keys where ctid = any(array(
      select ctid from idempotency_keys where created_at < now() - interval '24 hours' limit 20))`;
  return { ...answer, replayed: false };
}

/** `onceInTable` bound to one database's key table: what its routes call. */
export function onceIn(table: KeyTable) {
  return <B>(
    tx: TransactionSql,
    request: KeyLookup | undefined,
    write: () => Promise<StoredAnswer<B>>,
  ): Promise<StoredAnswer<B> & { replayed: boolean }> => onceInTable(tx, table, request, write);
}

/** The control plane's keys, by scope; workspace's (7_310_004) are in other databases. */
export const onceForKey = onceIn({ owner: "scope", lockClass: 7_310_012 });

/**
 * `onceForKey` for an answer made outside the database (a call to Stripe): with a key, the key's
 * lock is held in a transaction while `call` runs, so a retry arriving meanwhile waits for this
 * answer instead of making a second; without one, no transaction is opened, so no control-plane
 * connection waits on the outside call.
 */
export async function callOnceForKey<B>(
  sql: Sql,
  request: IdempotentRequest | undefined,
  call: () => Promise<StoredAnswer<B>>,
): Promise<StoredAnswer<B> & { replayed: boolean }> {
  if (!request) return { ...(await call()), replayed: false };
  return sql.begin((tx) => onceForKey(tx, request, call));
}
