import {
  ConfigError,
  connect,
  connectRedisForRequests,
  createLogger,
  createMetrics,
  createQueues,
  createTokenVerifier,
  listen,
  loadDotEnv,
  onShutdown,
  parseConfig,
} from "@oryn/shared";
import { createGatewayApp } from "./app.ts";
import { clientIpResolver } from "./client-ip.ts";
import { gatewayEnv } from "./env.ts";
import { createUpstream } from "./proxy/upstream.ts";
import { createRateLimits } from "./rate-limit/rate-limits.ts";
import { loadSigningKeys } from "./tokens/signing-keys.ts";

loadDotEnv();
let config: ReturnType<typeof parseConfig<typeof gatewayEnv>>;
let keys: Awaited<ReturnType<typeof loadSigningKeys>>;
try {
  config = parseConfig(gatewayEnv);
  keys = await loadSigningKeys({
    value: config.JWT_SIGNING_KEYS,
    nodeEnv: config.NODE_ENV,
    secretsDir: config.SECRETS_DIR,
    issuer: config.JWT_ISSUER,
    audience: config.JWT_AUDIENCE,
    ttlSeconds: config.ACCESS_TOKEN_TTL_SECONDS,
  });
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  console.error(`gateway: ${error.message}`);
  process.exit(1);
}

const logger = createLogger("gateway", config.LOG_LEVEL);
const sql = connect(config.DATABASE_URL, {
  max: config.DATABASE_POOL_MAX,
  applicationName: "oryn-gateway",
});
const redis = connectRedisForRequests(config.REDIS_URL);
// The queue's connection may wait for Redis: a signup's enqueue is not on a latency budget.
const queueRedis = connectRedisForRequests(config.REDIS_URL, {
  enableOfflineQueue: true,
  commandTimeout: 2000,
});
redis.on("error", (error) => logger.warn({ err: error }, "redis error"));
queueRedis.on("error", (error) => logger.warn({ err: error }, "redis (queues) error"));
const queues = createQueues(queueRedis, config.REDIS_PREFIX);
const upstreams = {
  workspace: createUpstream("workspace", config.WORKSPACE_URL, {
    timeoutMs: config.UPSTREAM_TIMEOUT_MS,
  }),
  billing: createUpstream("billing", config.BILLING_URL, { timeoutMs: config.UPSTREAM_TIMEOUT_MS }),
};

const app = createGatewayApp({
  config,
  logger,
  metrics: createMetrics("gateway"),
  sql,
  redis,
  queues,
  keys,
  tokens: {
    keys,
    accessTtlSeconds: config.ACCESS_TOKEN_TTL_SECONDS,
    refreshTtlSeconds: config.REFRESH_TOKEN_TTL_SECONDS,
  },
  verify: createTokenVerifier({
    keys: keys.verificationKeys,
    issuer: config.JWT_ISSUER,
    audience: config.JWT_AUDIENCE,
  }),
  rateLimits: createRateLimits({
    redis,
    prefix: config.REDIS_PREFIX,
    tenantPerMinute: config.RATE_LIMIT_TENANT_PER_MINUTE,
    ipPerMinute: config.RATE_LIMIT_IP_PER_MINUTE,
  }),
  upstreams,
  clientIp: clientIpResolver(config.TRUST_PROXY),
});

const server = await listen(app, { port: config.PORT, host: config.HOST });
logger.info({ port: server.port, host: config.HOST }, "gateway listening");

onShutdown(logger, [
  () => server.close(),
  () => Promise.all([upstreams.workspace.close(), upstreams.billing.close()]),
  () => queues.close(),
  () => sql.end({ timeout: 5 }),
  () => Promise.all([redis.quit(), queueRedis.quit()]),
]);
