import {
  ConfigError,
  createLogger,
  listen,
  loadDotEnv,
  observeQueueDepth,
  onShutdown,
  parseConfig,
  startTracing,
  withTimeout,
} from "@oryn/shared";
import { createProvisionerApp } from "./app.ts";
import { deleteDueTenants } from "./deletion/delete-tenant.ts";
import { reclaimUnverifiedTenants } from "./deletion/reclaim-unverified.ts";
import { startTenantLifecycleWorker } from "./deletion/worker.ts";
import { createProvisionerDeps, type ProvisionerDeps } from "./deps.ts";
import { provisionerEnv } from "./env.ts";
import { expireExports } from "./exports/export-tenant.ts";
import { startExportWorker } from "./exports/worker.ts";
import { prepareTemplate } from "./provisioning/provision-tenant.ts";
import { startProvisioningWorker } from "./provisioning/worker.ts";
import { reconciledServers } from "./reconcile/orphans.ts";
import { reconcile } from "./reconcile/reconcile.ts";
import { ensureDefaultServer } from "./servers/registry.ts";
import { startSparePool } from "./spares/pool.ts";

loadDotEnv();
let deps: ProvisionerDeps;
try {
  const config = parseConfig(provisionerEnv);
  deps = createProvisionerDeps(config, createLogger("provisioner", config.LOG_LEVEL));
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  console.error(`provisioner: ${error.message}`);
  process.exit(1);
}
const { config, provisioning } = deps;
// Before anything serves: every span from here on is exported when an endpoint is set.
const tracing = startTracing({
  service: "provisioner",
  endpoint: config.OTEL_EXPORTER_OTLP_ENDPOINT,
});
const logger = provisioning.logger;

const crashAt = config.NODE_ENV === "test" ? config.ORYN_TEST_CRASH_AT_STEP : undefined;
if (crashAt) {
  // A crash test's hook: die as abruptly as an OOM kill would, mid-job, holding its lock.
  provisioning.beforeStep = (step) => {
    if (step === crashAt) process.kill(process.pid, "SIGKILL");
  };
  provisioning.afterSpareClaimed = () => {
    if (crashAt === "spare_claimed") process.kill(process.pid, "SIGKILL");
  };
}

// The registry starts with the TENANT_DATABASE_URL server, so a single-server setup keeps working.
await ensureDefaultServer(
  provisioning.controlPlane,
  config.TENANT_DATABASE_URL,
  config.TENANT_SERVER_DEFAULT_CAPACITY,
);
await prepareTemplate(provisioning);
// With the pool off, spares a previous setting left are dropped by one last refill to 0.
const spares = startSparePool(provisioning, {
  target: config.TENANT_SPARE_DATABASES,
  concurrency: config.TENANT_SPARE_CONCURRENCY,
});
if (config.TENANT_SPARE_DATABASES > 0) provisioning.spares = spares;
// In the background: the worker serves signups (cloning) while the pool fills.
void spares.refill();
const worker = startProvisioningWorker({
  deps: provisioning,
  lockDurationMs: config.PROVISIONING_JOB_LOCK_SECONDS * 1000,
  connection: deps.redis,
  prefix: config.REDIS_PREFIX,
  concurrency: config.PROVISIONING_CONCURRENCY,
  logger,
  metrics: deps.metrics,
});
const deletionDeps = { ...provisioning, exportDir: config.EXPORT_DIR };
const lifecycleWorker = startTenantLifecycleWorker({
  deps: deletionDeps,
  connection: deps.redis,
  prefix: config.REDIS_PREFIX,
  logger,
  lockDurationMs: config.PROVISIONING_JOB_LOCK_SECONDS * 1000,
  metrics: deps.metrics,
});
const exportDeps = {
  controlPlane: provisioning.controlPlane,
  adminUrl: provisioning.adminUrl,
  servers: deps.servers,
  exportDir: config.EXPORT_DIR,
  ttlSeconds: config.EXPORT_TTL_SECONDS,
  logger,
};
const exportWorker = startExportWorker({
  deps: exportDeps,
  connection: deps.redis,
  prefix: config.REDIS_PREFIX,
  lockDurationMs: config.PROVISIONING_JOB_LOCK_SECONDS * 1000,
  metrics: deps.metrics,
});
observeQueueDepth(deps.metrics, [
  deps.queues.get("provisioning"),
  deps.queues.get("tenant-lifecycle"),
  deps.queues.get("tenant-exports"),
]);
// One sweep at a time: a tick that finds one still running (Redis slow or away) is skipped.
// The sweep is the reconciler in report-only mode: it restarts stuck tenants and logs orphans;
// only an operator (`pnpm oryn reconcile --remove`) drops anything.
let sweeping: Promise<unknown> | undefined;
const sweep = setInterval(() => {
  sweeping ??= (async () => {
    await reconcile({
      controlPlane: provisioning.controlPlane,
      queues: deps.queues,
      servers: await reconciledServers(provisioning.controlPlane, deps.servers),
      logger,
      olderThanSeconds: config.PROVISIONING_SWEEP_SECONDS,
    });
    // Not awaited: a refill of many spares must not hold the next sweep back.
    void spares.refill();
    // Tenants no owner verified in time go down the deletion path, then those past their
    // deadline whose job was lost or gave up are deleted.
    await reclaimUnverifiedTenants(
      { controlPlane: provisioning.controlPlane, queues: deps.queues, logger },
      {
        afterSeconds: config.UNVERIFIED_TENANT_RECLAIM_SECONDS,
        graceSeconds: config.TENANT_DELETION_GRACE_SECONDS,
      },
    );
    await deleteDueTenants(deletionDeps);
    await expireExports(exportDeps);
  })()
    .catch((error: unknown) => logger.warn({ err: error }, "sweep failed"))
    .finally(() => {
      sweeping = undefined;
    });
}, config.PROVISIONING_SWEEP_SECONDS * 1000);

const server = await listen(createProvisionerApp(deps), { port: config.PORT, host: config.HOST });
logger.info(
  { port: server.port, concurrency: config.PROVISIONING_CONCURRENCY },
  "provisioner running",
);

onShutdown(logger, [
  async () => {
    clearInterval(sweep);
    // A sweep blocked on Redis must not keep the worker from closing: wait a little, not forever.
    await withTimeout(sweeping ?? Promise.resolve(), 5000, "the running sweep").catch(() => {});
  },
  // Stops between spares: one being made is finished, so none is left half-made.
  () => spares.close(),
  // Waits for the jobs in hand to finish; the others stay queued for the next worker.
  () => Promise.all([worker.close(), lifecycleWorker.close(), exportWorker.close()]),
  () => server.close(),
  () => deps.close(),
  () => tracing.shutdown(),
]);
