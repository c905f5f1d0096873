import type { RedisClient } from "@oryn/shared";
import { RateLimiterMemory, RateLimiterRedis } from "rate-limiter-flexible";

/**
 * Failures counted per key (an account, a user's second factor), whatever address they come
 * from: the first `freeFailures` within `windowSeconds` cost nothing, each one after locks the
 * key for twice as long as the last (1 s, 2 s, 4 s, ...) up to `maxLockSeconds`. Guessing slows
 * to one try per `maxLockSeconds`, while nobody can keep an account locked for longer than that
 * after their last try, and a reset (`reset`) lifts the lock at once.
 *
 * Keys are the caller's: hash anything personal (an email) before it becomes a Redis key.
 */
export type FailureThrottle = {
  /** Milliseconds before `key` may be tried again; 0 when it may be now. */
  waitMs(key: string): Promise<number>;
  /** Counts a failure; answers the lock (ms) it put on the key, 0 for none. */
  failed(key: string): Promise<number>;
  /** Forgets the key's failures and lifts its lock (a success, a completed reset). */
  reset(key: string): Promise<void>;
};

export function createFailureThrottle(options: {
  redis: RedisClient;
  prefix: string;
  /** Names the Redis keys: one throttle per purpose (`login-account`, `mfa`). */
  name: string;
  freeFailures: number;
  windowSeconds: number;
  maxLockSeconds: number;
}): FailureThrottle {
  const keyPrefix = `${options.prefix}:rl:${options.name}`;
  // The count itself never refuses (a huge quota): the locks below do, for as long as they say.
  const failures = new RateLimiterRedis({
    storeClient: options.redis,
    keyPrefix: `${keyPrefix}:failures`,
    points: Number.MAX_SAFE_INTEGER,
    duration: options.windowSeconds,
    // While Redis is away each process counts on its own: guessing stays slowed.
    insuranceLimiter: new RateLimiterMemory({
      points: Number.MAX_SAFE_INTEGER,
      duration: options.windowSeconds,
    }),
  });
  const locks = new RateLimiterRedis({
    storeClient: options.redis,
    keyPrefix: `${keyPrefix}:lock`,
    points: 1,
    duration: options.maxLockSeconds,
    insuranceLimiter: new RateLimiterMemory({ points: 1, duration: options.maxLockSeconds }),
  });

  const waitMs = async (key: string) => {
    // Neither Redis nor the insurance limiter answering must not lock everyone out.
    const lock = await locks.get(key).catch(() => null);
    return lock !== null && lock.consumedPoints > 1 ? lock.msBeforeNext : 0;
  };
  return {
    waitMs,
    async failed(key) {
      const counted = await failures.consume(key).catch(() => null);
      if (counted === null) return 0;
      const beyond = counted.consumedPoints - options.freeFailures;
      if (beyond <= 0) return 0;
      const seconds = Math.min(2 ** Math.min(beyond - 1, 30), options.maxLockSeconds);
      await locks.block(key, seconds).catch(() => undefined);
      return seconds * 1000;
    },
    async reset(key) {
      await Promise.allSettled([failures.delete(key), locks.delete(key)]);
    },
  };
}
