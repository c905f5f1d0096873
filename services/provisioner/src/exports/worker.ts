import { createJobWorker, jobCatalogue, type Metrics, type RedisClient } from "@oryn/shared";
import { markExportFailed } from "@oryn/shared/control-plane/tables/tenant-exports";
import { type ExportDeps, exportTenant } from "./export-tenant.ts";

const maxAttempts = jobCatalogue.exportTenant.options.attempts;

/**
 * Runs `exportTenant` jobs, one at a time: an export reads a whole tenant database, and a queue
 * of its own keeps a large one from holding up provisioning or deletions.
 */
export function startExportWorker(options: {
  deps: ExportDeps;
  connection: RedisClient;
  prefix: string;
  lockDurationMs?: number;
  metrics?: Metrics;
}) {
  return createJobWorker({
    ...(options.metrics ? { metrics: options.metrics } : {}),
    ...(options.lockDurationMs ? { lockDurationMs: options.lockDurationMs } : {}),
    queue: "tenant-exports",
    connection: options.connection,
    prefix: options.prefix,
    concurrency: 1,
    logger: options.deps.logger,
    handlers: {
      exportTenant: async ({ exportId, tenantId }, job) => {
        try {
          return await exportTenant(options.deps, exportId, tenantId);
        } catch (error) {
          // The owner polling the export must learn that it will not come.
          if (job.attemptsMade + 1 >= maxAttempts) {
            await markExportFailed(options.deps.controlPlane, exportId);
          }
          throw error;
        }
      },
    },
  });
}
