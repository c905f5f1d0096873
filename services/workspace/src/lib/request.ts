import { type AppEnv, principalOf } from "@oryn/shared";
import type { Context } from "hono";
import type { IdempotentRequest } from "../idempotency/idempotency.ts";
import { fingerprintOf } from "../idempotency/idempotency.ts";
import type { Actor } from "./write-as.ts";

/** Who is writing, for the audit trigger. */
export function actorOf(c: Context<AppEnv>): Actor {
  return { userId: principalOf(c).userId, requestId: c.get("requestId") };
}

/** The request's Idempotency-Key with what it is bound to, or undefined without one. */
export function idempotencyOf(
  c: Context<AppEnv>,
  key: string | undefined,
  body: unknown,
): IdempotentRequest | undefined {
  if (key === undefined) return undefined;
  return {
    owner: principalOf(c).userId,
    key,
    fingerprints: [fingerprintOf(c.req.method, c.req.path, body)],
  };
}

/**
 * Puts a fresh or stored answer's headers (Location, ETag) on the response; a replay says so in
 * `Idempotent-Replayed`. Only successful answers are stored, so the status is the route's own.
 */
export function setAnswerHeaders(
  c: Context<AppEnv>,
  answer: { headers: Record<string, string>; replayed: boolean },
): void {
  for (const [name, value] of Object.entries(answer.headers)) c.header(name, value);
  if (answer.replayed) c.header("idempotent-replayed", "true");
}
