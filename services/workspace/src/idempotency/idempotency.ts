import { createHash } from "node:crypto";
import { canonicalJson, type KeyTable, onceInTable, type TransactionSql } from "@oryn/shared";

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

// A tenant database's keys, by principal; the control plane's (7_310_012) are in another database.
const tenantKeys: KeyTable = { owner: "principal_id", lockClass: 7_310_004 };

/** `onceInTable` for a tenant database's keys, in the caller's transaction. */
export function once<B>(
  tx: TransactionSql,
  request: IdempotentRequest | undefined,
  write: () => Promise<Answer<B>>,
): Promise<Answer<B> & { replayed: boolean }> {
  return onceInTable(
    tx,
    tenantKeys,
    request && {
      owner: request.principalId,
      key: request.key,
      fingerprints: [request.fingerprint],
    },
    write,
  );
}
