import { createHash } from "node:crypto";
import type { RedisClient } from "@oryn/shared";
import { RateLimiterMemory, RateLimiterRedis, type RateLimiterRes } from "rate-limiter-flexible";
import { rateLimited } from "../rate-limit/rate-limit-headers.ts";
import { createFailureThrottle } from "./failure-throttle.ts";

/**
 * Password guessing, counted in failures rather than requests (the per-IP request limit is
 * separate): consecutive failures for one (email, IP), which a success resets; all failures
 * from one IP over a day, which catches one address trying many emails; and all failures for one
 * account from anywhere, which catches many addresses trying one email (a progressive, short
 * lock: `createFailureThrottle`). An address the account logged in from before is spared the
 * account's lock, so a guesser elsewhere cannot lock its owner out. Any of them over its limit
 * answers 429 with Retry-After before the password is even checked.
 *
 * Second-factor codes (TOTP and recovery codes, at login and when enrolling) are counted per
 * account whatever the address, in a bucket of their own: whoever tries them already has the
 * password, and changing address must not buy more guesses. They count toward the IP's daily
 * limit too.
 */
export type LoginLimiter = {
  assertAllowed(email: string, ip: string): Promise<void>;
  failed(email: string, ip: string): Promise<void>;
  succeeded(email: string, ip: string): Promise<void>;
  /** Lifts the account's lock and forgets its failures: a completed password reset calls this. */
  clearAccount(email: string): Promise<void>;
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
  account: { freeFailures: number; windowSeconds: number; maxLockSeconds: number };
  /** How long a successful login's address stays known to the account. */
  knownAddressSeconds: number;
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
  const byAccount = createFailureThrottle({
    redis: options.redis,
    prefix: options.prefix,
    name: "login-account",
    ...options.account,
  });
  const knownAddresses = limiter("login-known", 1, options.knownAddressSeconds);
  const codesByUser = limiter(
    "mfa-fail-user",
    options.consecutiveFailures,
    options.failureWindowSeconds,
  );
  // The email is hashed: RedisClient keys should not carry personal data.
  const accountKey = (email: string) =>
    createHash("sha256").update(email).digest("base64url").slice(0, 22);
  const emailIpKey = (email: string, ip: string) => `${accountKey(email)}:${ip}`;

  return {
    async assertAllowed(email, ip) {
      // Neither Redis nor the insurance limiter answering must not lock everyone out.
      const [pair, address, known, accountWaitMs] = await Promise.all([
        byEmailAndIp.get(emailIpKey(email, ip)).catch(() => null),
        byIp.get(ip).catch(() => null),
        knownAddresses.get(emailIpKey(email, ip)).catch(() => null),
        byAccount.waitMs(accountKey(email)),
      ]);
      const blocked = [
        { state: pair, points: options.consecutiveFailures },
        { state: address, points: options.failuresPerIpPerDay },
      ].filter(
        (entry): entry is { state: RateLimiterRes; points: number } =>
          entry.state !== null && entry.state.consumedPoints >= entry.points,
      );
      const waits = blocked.map((entry) => entry.state.msBeforeNext);
      if (known === null && accountWaitMs > 0) waits.push(accountWaitMs);
      if (waits.length === 0) return;
      const waitMs = Math.max(...waits);
      throw rateLimited("Too many failed logins; try again later", waitMs);
    },
    async failed(email, ip) {
      // A rejection here means the limit was just reached; the next attempt is refused.
      await Promise.allSettled([
        byEmailAndIp.consume(emailIpKey(email, ip)),
        byIp.consume(ip),
        byAccount.failed(accountKey(email)),
      ]);
    },
    async succeeded(email, ip) {
      await Promise.allSettled([
        byEmailAndIp.delete(emailIpKey(email, ip)),
        byAccount.reset(accountKey(email)),
        knownAddresses.set(emailIpKey(email, ip), 1, options.knownAddressSeconds),
      ]);
    },
    clearAccount: (email) => byAccount.reset(accountKey(email)),
    async assertCodeAllowed(userId, ip) {
      const [codes, address] = await Promise.all([
        codesByUser.get(userId).catch(() => null),
        byIp.get(ip).catch(() => null),
      ]);
      const waits = [
        { state: codes, points: options.consecutiveFailures },
        { state: address, points: options.failuresPerIpPerDay },
      ]
        .filter((entry) => entry.state !== null && entry.state.consumedPoints >= entry.points)
        .map((entry) => entry.state?.msBeforeNext ?? 0);
      if (waits.length === 0) return;
      throw rateLimited("Too many wrong codes; try again later", Math.max(...waits));
    },
    async codeFailed(userId, ip) {
      await Promise.allSettled([codesByUser.consume(userId), byIp.consume(ip)]);
    },
    async codeSucceeded(userId) {
      await codesByUser.delete(userId).catch(() => undefined);
    },
  };
}
