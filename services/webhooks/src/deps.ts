import {
  connect,
  connectWorkerQueues,
  createMetrics,
  type Logger,
  type Metrics,
  type Queues,
  type RedisClient,
  type Sql,
  webhookSecretsKey,
} from "@oryn/shared";
import { createDeliverySlots, type DeliverySlots } from "./delivery/limits.ts";
import type { WebhooksConfig } from "./env.ts";

/**
 * What the webhooks service holds: the control plane (as `oryn_webhooks`: events, endpoints,
 * deliveries, and the admins to mail), Redis, and the key that opens endpoints' secrets. No
 * tenant database: this process calls addresses tenants chose, so it holds as little as it can.
 */
export type WebhooksDeps = {
  config: WebhooksConfig;
  logger: Logger;
  metrics: Metrics;
  sql: Sql;
  redis: RedisClient;
  queues: Queues;
  slots: DeliverySlots;
  secretsKey: Buffer;
  targetPolicy: { allowPrivate: boolean; production: boolean };
  close(): Promise<void>;
};

export function createWebhooksDeps(config: WebhooksConfig, logger: Logger): WebhooksDeps {
  const secretsKey = webhookSecretsKey(config);
  const sql = connect(config.DATABASE_URL, {
    max: config.DATABASE_POOL_MAX,
    applicationName: "oryn-webhooks",
  });
  const { redis, queues, close: closeQueues } = connectWorkerQueues(config, logger);
  return {
    config,
    logger,
    metrics: createMetrics("webhooks"),
    sql,
    redis,
    queues,
    slots: createDeliverySlots({
      redis,
      prefix: config.REDIS_PREFIX,
      perEndpoint: config.WEBHOOKS_ENDPOINT_CONCURRENCY,
      perTenant: config.WEBHOOKS_TENANT_CONCURRENCY,
      holdMs: config.WEBHOOKS_TIMEOUT_MS + 5000,
    }),
    secretsKey,
    targetPolicy: {
      allowPrivate: config.WEBHOOKS_ALLOW_PRIVATE_TARGETS,
      production: config.NODE_ENV === "production",
    },
    async close() {
      await closeQueues();
      await sql.end({ timeout: 5 });
    },
  };
}
