import type { RedisClient } from "@oryn/shared";

/**
 * Deliveries in flight per endpoint and per tenant, across every webhooks process, in Redis:
 * a sorted set per endpoint and per tenant whose members expire on their own (score = when), so
 * a worker killed mid-delivery frees its slot after the timeout without anyone's help. Both
 * keys carry the queues' hash tag, so a Redis Cluster keeps them in one slot for the script.
 */
const takeSlot = `
local now = tonumber(ARGV[1])
redis.call('zremrangebyscore', KEYS[1], '-inf', now)
redis.call('zremrangebyscore', KEYS[2], '-inf', now)
if redis.call('zcard', KEYS[1]) >= tonumber(ARGV[3]) then return 0 end
if redis.call('zcard', KEYS[2]) >= tonumber(ARGV[4]) then return 0 end
redis.call('zadd', KEYS[1], ARGV[2], ARGV[5])
redis.call('zadd', KEYS[2], ARGV[2], ARGV[5])
redis.call('pexpire', KEYS[1], ARGV[6])
redis.call('pexpire', KEYS[2], ARGV[6])
return 1`;

export type DeliverySlots = {
  /** A slot for one attempt, or false when the endpoint or the tenant has all of its own. */
  take(slot: { tenantId: string; endpointId: string; holder: string }): Promise<boolean>;
  release(slot: { tenantId: string; endpointId: string; holder: string }): Promise<void>;
};

export function createDeliverySlots(options: {
  redis: RedisClient;
  prefix: string;
  perEndpoint: number;
  perTenant: number;
  /** How long a slot lasts if never released: longer than an attempt can take. */
  holdMs: number;
}): DeliverySlots {
  const keys = (slot: { tenantId: string; endpointId: string }) => [
    `{${options.prefix}}:webhooks:in-flight:endpoint:${slot.endpointId}`,
    `{${options.prefix}}:webhooks:in-flight:tenant:${slot.tenantId}`,
  ];
  return {
    async take(slot) {
      const now = Date.now();
      const taken = await options.redis.eval(
        takeSlot,
        2,
        ...keys(slot),
        now,
        now + options.holdMs,
        options.perEndpoint,
        options.perTenant,
        slot.holder,
        options.holdMs,
      );
      return taken === 1;
    },
    async release(slot) {
      const [endpointKey, tenantKey] = keys(slot);
      await Promise.all([
        options.redis.zrem(endpointKey as string, slot.holder),
        options.redis.zrem(tenantKey as string, slot.holder),
      ]);
    },
  };
}
