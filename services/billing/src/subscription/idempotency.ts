import {
  type AppEnv,
  callOnceForKey,
  type IdempotentRequest,
  idempotencyOfRequest,
  type Sql,
  setAnswerHeaders,
} from "@oryn/shared";
import type { Context } from "hono";

// Checkout and portal bodies hold nothing secret (a plan name at most), so the fingerprint's
// HMAC key need not be secret here; the gateway keys its own with a server secret because a
// signup body holds a password.
const fingerprintKey = [Buffer.from("oryn billing idempotency")];

/** A billing POST's `Idempotency-Key`, scoped to the caller, stored in the control plane. */
export function idempotencyOf(
  c: Context<AppEnv>,
  key: string | undefined,
  body: unknown,
): IdempotentRequest | undefined {
  return idempotencyOfRequest(c, fingerprintKey, key, body);
}

/**
 * The Stripe session `open` gives, at most once per `Idempotency-Key`, with the replay marker set
 * on `c`. With a key, its lock is held while Stripe answers (a retry waits for this session rather
 * than opening a second); without one, no control-plane connection waits on Stripe.
 */
export async function sessionOnce<B>(
  c: Context<AppEnv>,
  sql: Sql,
  request: { key: string | undefined; body: unknown },
  open: () => Promise<B>,
): Promise<B> {
  const idempotency = idempotencyOf(c, request.key, request.body);
  const answer = await callOnceForKey(sql, idempotency, async () => ({
    status: 200,
    body: await open(),
    headers: {},
  }));
  setAnswerHeaders(c, answer);
  return answer.body;
}
