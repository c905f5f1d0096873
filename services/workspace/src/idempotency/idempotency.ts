import { createHash } from "node:crypto";
import { canonicalJson, type KeyLookup, onceIn } from "@oryn/shared";

/**
 * A POST carrying a key: whose (`owner`, the principal's id), which, and what it asked for (one
 * fingerprint: tenant databases' keys are not bound under rotating server keys).
 */
export type IdempotentRequest = KeyLookup;

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

/**
 * `onceInTable` for a tenant database's keys, by principal, in the caller's transaction; the
 * control plane's (7_310_012) are in another database.
 */
export const once = onceIn({ owner: "principal_id", lockClass: 7_310_004 });
