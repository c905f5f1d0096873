import { Redis, type RedisOptions } from "ioredis";

export { Redis };

/**
 * For BullMQ workers: `maxRetriesPerRequest: null` is required so a blocking command waits out a
 * Redis restart instead of failing the worker.
 */
export function connectRedisForWorker(url: string): Redis {
  return new Redis(url, { maxRetriesPerRequest: null, enableReadyCheck: true });
}

/**
 * For request paths: a command fails fast rather than queueing while Redis is away, so a
 * request never hangs on it.
 */
export function connectRedisForRequests(url: string, options: RedisOptions = {}): Redis {
  return new Redis(url, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    commandTimeout: 500,
    ...options,
  });
}

/** QUIT when connected (lets pending replies arrive); otherwise just drop the socket. */
export async function closeRedis(redis: Redis): Promise<void> {
  if (redis.status === "ready") {
    await redis.quit().catch(() => redis.disconnect());
  } else {
    redis.disconnect();
  }
}
