import { createHash } from "node:crypto";
import { ApiError, type RedisClient } from "@oryn/shared";
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from "rate-limiter-flexible";

/**
 * Forgot-password requests, counted per address and per client IP over an hour: one address
 * cannot be used to flood an inbox, one client cannot walk a list of addresses. Every request
 * counts, whether or not the address has an account, so the limit itself reveals nothing.
 */
export type ResetLimiter = { consume(email: string, ip: string): Promise<void> };

export function createResetLimiter(options: {
  redis: RedisClient;
  prefix: string;
  perAddressPerHour: number;
  perIpPerHour: number;
}): ResetLimiter {
  const limiter = (name: string, points: number) =>
    new RateLimiterRedis({
      storeClient: options.redis,
      keyPrefix: `${options.prefix}:rl:${name}`,
      points,
      duration: 3600,
      // While Redis is away each process counts on its own: the flood stays limited.
      insuranceLimiter: new RateLimiterMemory({ points, duration: 3600 }),
    });
  const byAddress = limiter("reset-email", options.perAddressPerHour);
  const byIp = limiter("reset-ip", options.perIpPerHour);
  // Hashed: Redis keys should not carry personal data.
  const addressKey = (email: string) =>
    createHash("sha256").update(email).digest("base64url").slice(0, 22);

  return {
    async consume(email, ip) {
      const outcomes = await Promise.allSettled([
        byIp.consume(ip),
        byAddress.consume(addressKey(email)),
      ]);
      const refusals = outcomes
        .map((outcome) => (outcome.status === "rejected" ? outcome.reason : undefined))
        .filter((reason): reason is RateLimiterRes => reason instanceof RateLimiterRes);
      if (refusals.length === 0) return;
      const waitMs = Math.max(...refusals.map((refusal) => refusal.msBeforeNext));
      throw new ApiError("rate_limited", {
        detail: "Too many password-reset requests; try again later",
        headers: { "retry-after": String(Math.max(1, Math.ceil(waitMs / 1000))) },
      });
    },
  };
}
