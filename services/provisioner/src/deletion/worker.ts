import { createJobWorker, type Logger, type Metrics, type RedisClient } from "@oryn/shared";
import { type DeletionDeps, deleteTenant } from "./delete-tenant.ts";

/**
 * Runs `deleteTenant` jobs. A queue of its own: a slow DROP DATABASE must not hold up signups'
 * provisioning, and a burst of signups must not postpone a deletion that is due.
 */
export function startTenantLifecycleWorker(options: {
  deps: DeletionDeps;
  connection: RedisClient;
  prefix: string;
  logger: Logger;
  lockDurationMs?: number;
  metrics?: Metrics;
}) {
  return createJobWorker({
    ...(options.metrics ? { metrics: options.metrics } : {}),
    ...(options.lockDurationMs ? { lockDurationMs: options.lockDurationMs } : {}),
    queue: "tenant-lifecycle",
    connection: options.connection,
    prefix: options.prefix,
    concurrency: 1,
    logger: options.logger,
    handlers: {
      deleteTenant: ({ tenantId }) => deleteTenant(options.deps, tenantId),
    },
  });
}
