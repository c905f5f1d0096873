import { createHash } from "node:crypto";
import type { RedisClient } from "@oryn/shared";
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from "rate-limiter-flexible";
import { rateLimited } from "../rate-limit/rate-limit-headers.ts";

/**
 * Requests that mail an address someone typed (forgot-password; signups confirmed by mail),
 * counted per address and per client IP over an hour: one address cannot be used to flood an
 * inbox, one client cannot walk a list of addresses. Every request counts, whether or not the
 * address has an account, so the limit itself reveals nothing. `name` keeps each flow's counts
 * apart; `what` names them in the 429.
 */
export type ResetLimiter = { consume(email: string, ip: string): Promise<void> };

export function createResetLimiter(options: {
  redis: RedisClient;
  prefix: string;
  perAddressPerHour: number;
  /** Undefined: counted per address only (the flow has per-IP limits of its own). */
  perIpPerHour?: number;
  name?: string;
  what?: string;
}): ResetLimiter {
  const { name = "reset", what = "password-reset requests" } = options;
  const limiter = (key: string, points: number) =>
    new RateLimiterRedis({
      storeClient: options.redis,
      keyPrefix: `${options.prefix}:rl:${key}`,
      points,
      duration: 3600,
      // While Redis is away each process counts on its own: the flood stays limited.
      insuranceLimiter: new RateLimiterMemory({ points, duration: 3600 }),
    });
  const byAddress = limiter(`${name}-email`, options.perAddressPerHour);
  const byIp =
    options.perIpPerHour === undefined ? undefined : limiter(`${name}-ip`, options.perIpPerHour);
  // Hashed: Redis keys should not carry personal data.
  const addressKey = (email: string) =>
    createHash("sha256").update(email).digest("base64url").slice(0, 22);

  return {
    async consume(email, ip) {
      const outcomes = await Promise.allSettled([
        byIp?.consume(ip),
        byAddress.consume(addressKey(email)),
      ]);
      const refusals = outcomes
        .map((outcome) => (outcome.status === "rejected" ? outcome.reason : undefined))
        .filter((reason): reason is RateLimiterRes => reason instanceof RateLimiterRes);
      if (refusals.length === 0) return;
      const waitMs = Math.max(...refusals.map((refusal) => refusal.msBeforeNext));
      throw rateLimited(`Too many ${what}; try again later`, waitMs);
    },
  };
}
