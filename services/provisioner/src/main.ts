import {
  ConfigError,
  connect,
  connectRedisForWorker,
  createLogger,
  createMetrics,
  createQueues,
  listen,
  loadDotEnv,
  onShutdown,
  parseConfig,
  secretFromEnvOrDevFile,
} from "@oryn/shared";
import { createProvisionerApp } from "./app.ts";
import { provisionerEnv } from "./env.ts";
import { type ProvisioningDeps, prepareTemplate } from "./provisioning/provision-tenant.ts";
import { requeueWaitingTenants } from "./provisioning/sweep.ts";
import { startProvisioningWorker } from "./provisioning/worker.ts";

loadDotEnv();
let config: ReturnType<typeof parseConfig<typeof provisionerEnv>>;
let passwordSecret: string;
try {
  config = parseConfig(provisionerEnv);
  passwordSecret = secretFromEnvOrDevFile({
    name: "TENANT_DB_PASSWORD_SECRET",
    value: config.TENANT_DB_PASSWORD_SECRET,
    nodeEnv: config.NODE_ENV,
    secretsDir: config.SECRETS_DIR,
  });
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  console.error(`provisioner: ${error.message}`);
  process.exit(1);
}

const logger = createLogger("provisioner", config.LOG_LEVEL);
const controlPlane = connect(config.DATABASE_URL, {
  max: config.DATABASE_POOL_MAX,
  applicationName: "oryn-provisioner",
});
// CREATE DATABASE holds its connection for the whole copy: one per concurrent job, plus locks.
const admin = connect(config.TENANT_DATABASE_URL, {
  max: config.PROVISIONING_CONCURRENCY * 2 + 1,
  applicationName: "oryn-provisioner",
});
const redis = connectRedisForWorker(config.REDIS_URL);
redis.on("error", (error) => logger.warn({ err: error }, "redis error"));
const queues = createQueues(redis, config.REDIS_PREFIX);

const deps: ProvisioningDeps = {
  controlPlane,
  admin,
  adminUrl: config.TENANT_DATABASE_URL,
  template: config.TENANT_TEMPLATE_DATABASE,
  passwordSecret,
  logger,
};
await prepareTemplate(deps);

const worker = startProvisioningWorker({
  deps,
  connection: redis,
  prefix: config.REDIS_PREFIX,
  concurrency: config.PROVISIONING_CONCURRENCY,
  logger,
});
const sweep = setInterval(() => {
  requeueWaitingTenants({
    controlPlane,
    queues,
    logger,
    olderThanSeconds: config.PROVISIONING_SWEEP_SECONDS,
  }).catch((error: unknown) => logger.warn({ err: error }, "sweep failed"));
}, config.PROVISIONING_SWEEP_SECONDS * 1000);

const server = await listen(
  createProvisionerApp({
    logger,
    metrics: createMetrics("provisioner"),
    controlPlane,
    admin,
    redis,
  }),
  { port: config.PORT, host: config.HOST },
);
logger.info(
  { port: server.port, concurrency: config.PROVISIONING_CONCURRENCY },
  "provisioner running",
);

onShutdown(logger, [
  async () => clearInterval(sweep),
  // Waits for the jobs in hand to finish; the others stay in the queue for the next worker.
  () => worker.close(),
  () => server.close(),
  () => queues.close(),
  () => Promise.all([controlPlane.end({ timeout: 5 }), admin.end({ timeout: 5 })]),
  () => redis.quit(),
]);
