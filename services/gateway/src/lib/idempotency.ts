import {
  type AppEnv,
  type IdempotentRequest,
  idempotentRequest,
  type StoredAnswer,
} from "@oryn/shared";
import type { Context } from "hono";

/**
 * The gateway's view of a POST's `Idempotency-Key`: scoped to the caller (a person or an API
 * key), or `anonymous` for signup; fingerprinted under the server's refresh-token keys, which
 * are secret and rotate with the signing keys.
 */
export function idempotencyOf(
  c: Context<AppEnv>,
  deps: { tokens: { keys: { refreshTokenKeys: Buffer[] } } },
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
    secrets: deps.tokens.keys.refreshTokenKeys,
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
