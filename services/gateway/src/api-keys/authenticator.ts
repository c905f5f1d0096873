import type { Logger, Principal, Sql } from "@oryn/shared";
import { findStandingApiKey, touchApiKey } from "@oryn/shared/control-plane/tables/api-keys";
import type { SigningKeys } from "../tokens/signing-keys.ts";
import { hashApiKey } from "./api-keys.ts";

export type ApiKeyAuthenticator = {
  /** The key's principal, or nothing for an unknown or deleted key. */
  authenticate(key: string): Promise<Principal | undefined>;
  /**
   * A short-lived access token standing for the key, for the upstream services, which verify
   * JWTs only and never see the key itself.
   */
  upstreamToken(principal: Principal): Promise<string>;
};

/**
 * Keys are looked up on every request, without a cache, so a deleted key stops working at once.
 * `last_used_at` is written at most once a minute per key and process, off the request path.
 */
export function createApiKeyAuthenticator(options: {
  sql: Sql;
  keys: SigningKeys;
  logger: Logger;
}): ApiKeyAuthenticator {
  const { sql } = options;
  const lastTouched = new Map<string, number>();
  const upstreamTokens = new Map<string, { token: string; until: number }>();
  const upstreamTtlSeconds = 60;

  function touch(id: string): void {
    const now = Date.now();
    if (now - (lastTouched.get(id) ?? 0) < 60_000) return;
    if (lastTouched.size > 100_000) lastTouched.clear();
    lastTouched.set(id, now);
    touchApiKey(sql, id).catch((error: unknown) =>
      options.logger.warn({ err: error, apiKeyId: id }, "could not record an API key's last use"),
    );
  }

  return {
    async authenticate(key) {
      // A key is only as good as its creator's membership: once they are removed, or demoted
      // below the key's role, the key stops working, so nobody keeps power through a key they
      // made before losing it.
      const row = await findStandingApiKey(sql, hashApiKey(key));
      if (!row) return undefined;
      touch(row.id);
      return {
        userId: row.id,
        tenantId: row.tenantId,
        role: row.role,
        tokenId: row.id,
        kind: "api_key",
        membershipVersion: 0,
      };
    },
    async upstreamToken(principal) {
      const cacheKey = `${principal.userId}:${principal.role}`;
      const cached = upstreamTokens.get(cacheKey);
      // Reused for half its life, so an upstream never receives one about to expire.
      if (cached && cached.until > Date.now()) return cached.token;
      const token = await options.keys.sign({ ...principal, ttlSeconds: upstreamTtlSeconds });
      if (upstreamTokens.size > 10_000) upstreamTokens.clear();
      upstreamTokens.set(cacheKey, { token, until: Date.now() + (upstreamTtlSeconds * 1000) / 2 });
      return token;
    },
  };
}
