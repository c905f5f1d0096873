import { createHash } from "node:crypto";
import { ApiError, type RedisClient } from "@oryn/shared";
import { RateLimiterMemory, RateLimiterRedis, type RateLimiterRes } from "rate-limiter-flexible";

/**
 * Password guessing, counted in failures rather than requests (the per-IP request limit is
 * separate): consecutive failures for one (email, IP), which a success resets, and all failures
 * from one IP over a day, which catches one address trying many emails. Either over its limit
 * answers 429 with Retry-After before the password is even checked.
 */
export type LoginLimiter = {
  assertAllowed(email: string, ip: string): Promise<void>;
  failed(email: string, ip: string): Promise<void>;
  succeeded(email: string, ip: string): Promise<void>;
};

export function createLoginLimiter(options: {
  redis: RedisClient;
  prefix: string;
  consecutiveFailures: number;
  failureWindowSeconds: number;
  failuresPerIpPerDay: number;
}): LoginLimiter {
  const limiter = (name: string, points: number, duration: number) =>
    new RateLimiterRedis({
      storeClient: options.redis,
      keyPrefix: `${options.prefix}:rl:${name}`,
      points,
      duration,
      blockDuration: duration,
      // While Redis is away each process counts on its own: guessing stays limited.
      insuranceLimiter: new RateLimiterMemory({ points, duration, blockDuration: duration }),
    });
  const byEmailAndIp = limiter(
    "login-fail-email-ip",
    options.consecutiveFailures,
    options.failureWindowSeconds,
  );
  const byIp = limiter("login-fail-ip", options.failuresPerIpPerDay, 24 * 3600);
  // The email is hashed: RedisClient keys should not carry personal data.
  const emailIpKey = (email: string, ip: string) =>
    `${createHash("sha256").update(email).digest("base64url").slice(0, 22)}:${ip}`;

  return {
    async assertAllowed(email, ip) {
      // Neither Redis nor the insurance limiter answering must not lock everyone out.
      const [pair, address] = await Promise.all([
        byEmailAndIp.get(emailIpKey(email, ip)).catch(() => null),
        byIp.get(ip).catch(() => null),
      ]);
      const blocked = [
        { state: pair, points: options.consecutiveFailures },
        { state: address, points: options.failuresPerIpPerDay },
      ].filter(
        (entry): entry is { state: RateLimiterRes; points: number } =>
          entry.state !== null && entry.state.consumedPoints >= entry.points,
      );
      if (blocked.length === 0) return;
      const waitMs = Math.max(...blocked.map((entry) => entry.state.msBeforeNext));
      throw new ApiError("rate_limited", {
        detail: "Too many failed logins; try again later",
        headers: { "retry-after": String(Math.max(1, Math.ceil(waitMs / 1000))) },
      });
    },
    async failed(email, ip) {
      // A rejection here means the limit was just reached; the next attempt is refused.
      await Promise.allSettled([byEmailAndIp.consume(emailIpKey(email, ip)), byIp.consume(ip)]);
    },
    async succeeded(email, ip) {
      await byEmailAndIp.delete(emailIpKey(email, ip)).catch(() => undefined);
    },
  };
}
