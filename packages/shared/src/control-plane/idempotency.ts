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

export type IdempotentRequest = {
  scope: string;
  key: string;
  /** The request's fingerprint under each server key, the current one first (see below). */
  fingerprints: string[];
};

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
    scope: input.scope,
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

// Advisory lock class for control-plane keys (workspace's is 7_310_004, in other databases).
const keyLockClass = 7_310_012;

/**
 * Runs `write` at most once per key within 24 h, in the caller's transaction: the key is locked
 * first, so a second request with it waits for the first to commit and then finds its answer,
 * stored in the same transaction as the write. Failures are not stored: a retry runs again.
 */
export async function onceForKey<B>(
  tx: TransactionSql,
  request: IdempotentRequest | undefined,
  write: () => Promise<StoredAnswer<B>>,
): Promise<StoredAnswer<B> & { replayed: boolean }> {
  if (!request) return { ...(await write()), replayed: false };
  await tx`select pg_advisory_xact_lock(${keyLockClass}, hashtext(${`${request.scope} ${request.key}`}))`;
  const [stored] = await tx<
    { fingerprint: string; status: number; body: B; headers: Record<string, string> }[]
  >`
    select fingerprint, status, body, headers from idempotency_keys
    where scope = ${request.scope} and key = ${request.key}
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
  await tx`
    insert into idempotency_keys (scope, key, fingerprint, status, body, headers)
    values (${request.scope}, ${request.key}, ${request.fingerprints[0] ?? ""}, ${answer.status},
            ${tx.json(answer.body as never)}, ${tx.json(answer.headers)})
    on conflict (scope, key) do update set
      fingerprint = excluded.fingerprint, status = excluded.status, body = excluded.body,
      headers = excluded.headers, created_at = clock_timestamp()`;
  // Keys older than 24 h go a few at a time, so the table stays small without a job.
  await tx`
    delete from idempotency_keys where ctid = any(array(
      select ctid from idempotency_keys where created_at < now() - interval '24 hours' limit 20))`;
  return { ...answer, replayed: false };
}

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
