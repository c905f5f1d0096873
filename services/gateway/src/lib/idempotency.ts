import { type AppEnv, type IdempotentRequest, idempotencyOfRequest } from "@oryn/shared";
import type { Context } from "hono";

export { setAnswerHeaders } from "@oryn/shared";

/**
 * The gateway's view of a POST's `Idempotency-Key`, fingerprinted under the server's
 * refresh-token keys: secret, and rotating with the signing keys, because a signup body holds a
 * password.
 */
export function idempotencyOf(
  c: Context<AppEnv>,
  deps: { tokens: { keys: { refreshTokenKeys: Buffer[] } } },
  key: string | undefined,
  body: unknown,
): IdempotentRequest | undefined {
  return idempotencyOfRequest(c, deps.tokens.keys.refreshTokenKeys, key, body);
}
