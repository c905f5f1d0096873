import { observeQueueDepth, parseConfig, type ServiceDefinition } from "@oryn/shared";
import { createProvisionerApp } from "./app.ts";
import { deleteDueTenants } from "./deletion/delete-tenant.ts";
import { reclaimUnverifiedTenants } from "./deletion/reclaim-unverified.ts";
import { startTenantLifecycleWorker } from "./deletion/worker.ts";
import { createProvisionerDeps, type ProvisionerDeps, type ProvisioningHooks } from "./deps.ts";
import { type ProvisionerConfig, provisionerEnv } from "./env.ts";
import { expireExports } from "./exports/export-tenant.ts";
import { startExportWorker } from "./exports/worker.ts";
import { prepareTemplate } from "./provisioning/provision-tenant.ts";
import { startProvisioningWorker } from "./provisioning/worker.ts";
import { reconciledServers } from "./reconcile/orphans.ts";
import { reconcile } from "./reconcile/reconcile.ts";
import { ensureDefaultServer } from "./servers/registry.ts";

/**
 * The provisioner process: main.ts runs it as it is; a test entry point runs it with hooks into
 * the provisioning steps (services/provisioner/test/crashing-provisioner.ts).
 */
export function provisionerService(
  hooks: ProvisioningHooks = {},
): ServiceDefinition<ProvisionerConfig, ProvisionerDeps> {
  return {
    name: "provisioner",
    config: () => parseConfig(provisionerEnv),
    deps: (config, logger) => createProvisionerDeps(config, logger, hooks),
    async start({ config, deps, logger }, run) {
      const { provisioning, spares } = deps;
      // The registry starts with the TENANT_DATABASE_URL server, so a single-server setup keeps
      // working.
      await ensureDefaultServer(
        provisioning.controlPlane,
        config.TENANT_DATABASE_URL,
        config.TENANT_SERVER_DEFAULT_CAPACITY,
      );
      await prepareTemplate(provisioning);
      // In the background: the worker serves signups (cloning) while the pool fills. With the
      // pool off, spares a previous setting left are dropped by one last refill to 0.
      void spares.refill();
      const lockDurationMs = config.PROVISIONING_JOB_LOCK_SECONDS * 1000;
      const worker = startProvisioningWorker({
        deps: provisioning,
        lockDurationMs,
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
        lockDurationMs,
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
        lockDurationMs,
        metrics: deps.metrics,
      });
      observeQueueDepth(deps.metrics, [
        deps.queues.get("provisioning"),
        deps.queues.get("tenant-lifecycle"),
        deps.queues.get("tenant-exports"),
      ]);
      // The sweep is the reconciler in report-only mode: it restarts stuck tenants and logs
      // orphans; only an operator (`pnpm oryn reconcile --remove`) drops anything.
      run.every("sweep", config.PROVISIONING_SWEEP_SECONDS * 1000, async () => {
        await reconcile({
          controlPlane: provisioning.controlPlane,
          queues: deps.queues,
          servers: await reconciledServers(provisioning.controlPlane, deps.servers),
          logger,
          olderThanSeconds: config.PROVISIONING_SWEEP_SECONDS,
        });
        // Not awaited: a refill of many spares must not hold the next sweep back.
        void spares.refillUnlessClaiming();
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
      });
      // Stops between spares: one being made is finished, so none is left half-made.
      run.stopWith(() => spares.close());
      // Waits for the jobs in hand to finish; the others stay queued for the next worker.
      run.stopWith(() =>
        Promise.all([worker.close(), lifecycleWorker.close(), exportWorker.close()]),
      );
      const server = await run.listen(createProvisionerApp(deps), {
        port: config.PORT,
        host: config.HOST,
      });
      logger.info(
        { port: server.port, concurrency: config.PROVISIONING_CONCURRENCY },
        "provisioner running",
      );
    },
  };
}
