import { type AppEnv, type IdempotentRequest, idempotencyOfRequest } from "@oryn/shared";
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
