import { Cluster, Redis, type RedisOptions } from "ioredis";

export { Cluster, Redis };

/** One Redis server, or a Redis Cluster: every caller works with either. */
export type RedisClient = Redis | Cluster;

/**
 * `REDIS_URL` names one server, or, as a comma-separated list of `redis://` URLs, the seed nodes
 * of a Redis Cluster (the client discovers the rest). Queue keys share one hash slot per queue
 * (`queuePrefix` wraps the prefix in braces); every other key Oryn writes is used alone in its
 * commands, so it may live in any slot.
 */
function connectTo(url: string, options: RedisOptions): RedisClient {
  const seeds = url
    .split(",")
    .map((seed) => seed.trim())
    .filter(Boolean);
  const [first] = seeds;
  if (!first) throw new Error("REDIS_URL names no server");
  if (seeds.length === 1) return new Redis(first, options);
  const credentials = new URL(first);
  return new Cluster(
    seeds.map((seed) => {
      const node = new URL(seed);
      return { host: node.hostname, port: Number(node.port || 6379) };
    }),
    {
      enableOfflineQueue: options.enableOfflineQueue ?? true,
      enableAutoPipelining: options.enableAutoPipelining ?? false,
      enableReadyCheck: true,
      redisOptions: {
        ...options,
        ...(credentials.username ? { username: decodeURIComponent(credentials.username) } : {}),
        ...(credentials.password ? { password: decodeURIComponent(credentials.password) } : {}),
        ...(credentials.protocol === "rediss:" ? { tls: {} } : {}),
      },
    },
  );
}

/**
 * For BullMQ workers: `maxRetriesPerRequest: null` is required so a blocking command waits out a
 * Redis restart instead of failing the worker.
 */
export function connectRedisForWorker(url: string): RedisClient {
  return connectTo(url, { maxRetriesPerRequest: null, enableReadyCheck: true });
}

/**
 * For request paths: a command fails fast rather than queueing while Redis is away, so a
 * request never hangs on it. Commands issued in the same tick (a request's rate-limit windows,
 * and those of every request that arrived with it) leave in one write: at the gateway's request
 * rates one socket write per command was a visible share of its CPU profile.
 */
export function connectRedisForRequests(url: string, options: RedisOptions = {}): RedisClient {
  return connectTo(url, {
    enableOfflineQueue: false,
    enableAutoPipelining: true,
    maxRetriesPerRequest: 1,
    commandTimeout: 500,
    ...options,
  });
}

/** QUIT when connected (lets pending replies arrive); otherwise just drop the socket. */
export async function closeRedis(redis: RedisClient): Promise<void> {
  if (redis.status === "ready") {
    await redis.quit().catch(() => redis.disconnect());
  } else {
    redis.disconnect();
  }
}
