import {
  ConfigError,
  closeRedis,
  connect,
  connectRedisForWorker,
  createLogger,
  createQueues,
  type Logger,
  loadDotEnv,
  parseConfig,
  type Queues,
  type RedisClient,
  type Sql,
} from "@oryn/shared";
import { type ProvisionerConfig, provisionerEnv } from "../env.ts";
import { createServerAdmins, type ServerAdmins } from "../servers/admins.ts";

/** What a CLI command works with: the provisioner's own settings and connections, opened lazily. */
export type CliContext = {
  config: ProvisionerConfig;
  logger: Logger;
  controlPlane: Sql;
  /** Admin pool on the TENANT_DATABASE_URL server. */
  admin: Sql;
  /** Admin pools per registered server, with the TENANT_DATABASE_URL credentials. */
  servers: ServerAdmins;
  redis(): RedisClient;
  queues(): Queues;
  close(): Promise<void>;
};

/** The CLI reads the provisioner's environment: it acts with the provisioner's rights. */
export function createCliContext(): CliContext {
  loadDotEnv();
  let config: ProvisionerConfig;
  try {
    config = parseConfig(provisionerEnv);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(`oryn: ${error.message}`);
    process.exit(1);
  }
  // Logs go to stderr, so stdout carries only the command's answer (JSON with --json).
  const logger = createLogger("oryn-cli", config.LOG_LEVEL === "info" ? "warn" : config.LOG_LEVEL, {
    destination: 2,
  });
  // A fleet migration holds one connection for its lock while its jobs query beside it.
  const controlPlane = connect(config.DATABASE_URL, { max: 8, applicationName: "oryn-cli" });
  const admin = connect(config.TENANT_DATABASE_URL, { max: 2, applicationName: "oryn-cli" });
  const servers = createServerAdmins({
    defaultAdmin: admin,
    adminUrl: config.TENANT_DATABASE_URL,
    maxPerServer: 4,
  });
  let redis: RedisClient | undefined;
  let queues: Queues | undefined;
  return {
    config,
    logger,
    controlPlane,
    admin,
    servers,
    redis() {
      redis ??= connectRedisForWorker(config.REDIS_URL);
      return redis;
    },
    queues() {
      queues ??= createQueues(this.redis(), config.REDIS_PREFIX, logger);
      return queues;
    },
    async close() {
      await queues?.close();
      if (redis) await closeRedis(redis);
      await servers.close();
      await Promise.all([controlPlane.end({ timeout: 5 }), admin.end({ timeout: 5 })]);
    },
  };
}
