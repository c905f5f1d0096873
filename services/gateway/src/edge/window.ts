import type { RedisClient } from "@oryn/shared";
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from "rate-limiter-flexible";
import { rateLimited } from "../rate-limit/rate-limit-headers.ts";

/**
 * One fixed window of `quota` per `windowSeconds`, counted in Redis and, while Redis is away, in
 * the process (as the /v1 limits do). `take` counts one and refuses past the quota with 429 and
 * Retry-After; `give` hands one back; `check` refuses without counting.
 */
export type Window = {
  take(key: string): Promise<void>;
  give(key: string): Promise<void>;
  check(key: string): Promise<void>;
};

export function createWindow(options: {
  redis: RedisClient;
  keyPrefix: string;
  quota: number;
  windowSeconds: number;
  /** What the 429's detail says is over its limit. */
  what: string;
}): Window {
  const limiter = new RateLimiterRedis({
    storeClient: options.redis,
    keyPrefix: options.keyPrefix,
    points: options.quota,
    duration: options.windowSeconds,
    inMemoryBlockOnConsumed: options.quota + 1,
    insuranceLimiter: new RateLimiterMemory({
      points: options.quota,
      duration: options.windowSeconds,
    }),
  });
  const refuse = (msBeforeNext: number) =>
    rateLimited(
      `Over the limit of ${options.quota} ${options.what} per ${options.windowSeconds} s`,
      msBeforeNext,
    );
  return {
    async take(key) {
      try {
        await limiter.consume(key);
      } catch (rejection) {
        if (rejection instanceof RateLimiterRes) throw refuse(rejection.msBeforeNext);
        // Neither Redis nor the insurance limiter answered: serve rather than refuse wrongly,
        // as the /v1 limits do.
      }
    },
    async give(key) {
      await limiter.reward(key, 1).catch(() => undefined);
    },
    async check(key) {
      const state = await limiter.get(key).catch(() => null);
      if (state && state.consumedPoints >= options.quota) throw refuse(state.msBeforeNext);
    },
  };
}
