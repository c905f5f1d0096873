import { createHash } from "node:crypto";
import { ApiError, type RedisClient } from "@oryn/shared";
import { RateLimiterMemory, RateLimiterRedis, type RateLimiterRes } from "rate-limiter-flexible";

/**
 * Password guessing, counted in failures rather than requests (the per-IP request limit is
 * separate): consecutive failures for one (email, IP), which a success resets, and all failures
 * from one IP over a day, which catches one address trying many emails. Either over its limit
 * answers 429 with Retry-After before the password is even checked.
 *
 * Second-factor codes (TOTP and recovery codes, at login and when enrolling) are counted the same
 * way, but per account whatever the address: whoever tries them already has the password, and
 * changing address must not buy more guesses. Failed codes count toward the IP's daily limit too.
 */
export type LoginLimiter = {
  assertAllowed(email: string, ip: string): Promise<void>;
  failed(email: string, ip: string): Promise<void>;
  succeeded(email: string, ip: string): Promise<void>;
  assertCodeAllowed(userId: string, ip: string): Promise<void>;
  codeFailed(userId: string, ip: string): Promise<void>;
  codeSucceeded(userId: string): Promise<void>;
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
  const codesByUser = limiter(
    "mfa-fail-user",
    options.consecutiveFailures,
    options.failureWindowSeconds,
  );
  // The email is hashed: RedisClient keys should not carry personal data.
  const emailIpKey = (email: string, ip: string) =>
    `${createHash("sha256").update(email).digest("base64url").slice(0, 22)}:${ip}`;

  async function assertNotBlocked(
    counted: { limiter: RateLimiterRedis; key: string; points: number }[],
    detail: string,
  ): Promise<void> {
    // Neither Redis nor the insurance limiter answering must not lock everyone out.
    const states = await Promise.all(
      counted.map((entry) => entry.limiter.get(entry.key).catch(() => null)),
    );
    const blocked = counted
      .map((entry, index) => ({ state: states[index] ?? null, points: entry.points }))
      .filter(
        (entry): entry is { state: RateLimiterRes; points: number } =>
          entry.state !== null && entry.state.consumedPoints >= entry.points,
      );
    if (blocked.length === 0) return;
    const waitMs = Math.max(...blocked.map((entry) => entry.state.msBeforeNext));
    throw new ApiError("rate_limited", {
      detail,
      headers: { "retry-after": String(Math.max(1, Math.ceil(waitMs / 1000))) },
    });
  }

  return {
    async assertCodeAllowed(userId, ip) {
      await assertNotBlocked(
        [
          { limiter: codesByUser, key: userId, points: options.consecutiveFailures },
          { limiter: byIp, key: ip, points: options.failuresPerIpPerDay },
        ],
        "Too many wrong codes; try again later",
      );
    },
    async codeFailed(userId, ip) {
      await Promise.allSettled([codesByUser.consume(userId), byIp.consume(ip)]);
    },
    async codeSucceeded(userId) {
      await codesByUser.delete(userId).catch(() => undefined);
    },
    async assertAllowed(email, ip) {
      await assertNotBlocked(
        [
          {
            limiter: byEmailAndIp,
            key: emailIpKey(email, ip),
            points: options.consecutiveFailures,
          },
          { limiter: byIp, key: ip, points: options.failuresPerIpPerDay },
        ],
        "Too many failed logins; try again later",
      );
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
