import {
  connect,
  connectWorkerQueues,
  createMetrics,
  type Logger,
  type Metrics,
  type Queues,
  type RedisClient,
  secretFromEnvOrDevFile,
  tenantDbPasswordSecret,
} from "@oryn/shared";
import type { ProvisionerConfig } from "./env.ts";
import { tenantMigrationsDir } from "./fleet/tenant-migrations.ts";
import type { ProvisioningDeps } from "./provisioning/provision-tenant.ts";
import { createServerAdmins, type ServerAdmins } from "./servers/admins.ts";
import { type SparePool, startSparePool } from "./spares/pool.ts";

/** What a test entry point may hook into the steps (services/provisioner/test/crashing-provisioner.ts). */
export type ProvisioningHooks = Pick<ProvisioningDeps, "beforeStep" | "afterSpareClaimed">;

export type ProvisionerDeps = {
  config: ProvisionerConfig;
  metrics: Metrics;
  redis: RedisClient;
  queues: Queues;
  provisioning: ProvisioningDeps;
  /** The warm pool of spare databases; idle until `refill` (TENANT_SPARE_DATABASES of 0: empties it). */
  spares: SparePool;
  servers: ServerAdmins;
  /** The password of the queue board (OPERATOR_TOKEN, or the development secret file). */
  operatorToken: string;
  close(): Promise<void>;
};

export function createProvisionerDeps(
  config: ProvisionerConfig,
  logger: Logger,
  hooks: ProvisioningHooks = {},
): ProvisionerDeps {
  const passwordSecret = tenantDbPasswordSecret(config);
  // Read before anything connects: production without it stops here, naming it.
  const operatorToken = secretFromEnvOrDevFile({
    name: "OPERATOR_TOKEN",
    value: config.OPERATOR_TOKEN,
    nodeEnv: config.NODE_ENV,
    secretsDir: config.SECRETS_DIR,
  });
  const controlPlane = connect(config.DATABASE_URL, {
    max: config.DATABASE_POOL_MAX,
    applicationName: "oryn-provisioner",
  });
  // CREATE DATABASE holds its connection for the whole copy: one per concurrent job, plus locks.
  const admin = connect(config.TENANT_DATABASE_URL, {
    max: config.PROVISIONING_CONCURRENCY * 2 + 1,
    applicationName: "oryn-provisioner",
  });
  const servers = createServerAdmins({
    defaultAdmin: admin,
    adminUrl: config.TENANT_DATABASE_URL,
    maxPerServer: config.PROVISIONING_CONCURRENCY * 2 + 1,
  });
  const { redis, queues, close: closeQueues } = connectWorkerQueues(config, logger);
  const steps: ProvisioningDeps = {
    controlPlane,
    admin,
    adminUrl: config.TENANT_DATABASE_URL,
    servers,
    template: config.TENANT_TEMPLATE_DATABASE,
    migrations: tenantMigrationsDir(),
    passwordSecret,
    logger,
    ...hooks,
  };
  // The pool makes spares with the steps; the steps claim from the pool only when it is on.
  const spares = startSparePool(steps, {
    target: config.TENANT_SPARE_DATABASES,
    concurrency: config.TENANT_SPARE_CONCURRENCY,
  });
  return {
    config,
    operatorToken,
    metrics: createMetrics("provisioner"),
    redis,
    queues,
    servers,
    provisioning: config.TENANT_SPARE_DATABASES > 0 ? { ...steps, spares } : steps,
    spares,
    async close() {
      await closeQueues();
      await servers.close();
      await Promise.all([controlPlane.end({ timeout: 5 }), admin.end({ timeout: 5 })]);
    },
  };
}
