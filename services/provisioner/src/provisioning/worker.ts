import { createJobWorker, jobCatalogue, type Logger, type Redis } from "@oryn/shared";
import {
  type ProvisioningDeps,
  provisionTenant,
  recordProvisioningFailure,
} from "./provision-tenant.ts";

export function startProvisioningWorker(options: {
  deps: ProvisioningDeps;
  connection: Redis;
  prefix: string;
  concurrency: number;
  logger: Logger;
}) {
  const attempts = jobCatalogue.provisionTenant.options.attempts;
  return createJobWorker({
    queue: "provisioning",
    connection: options.connection,
    prefix: options.prefix,
    concurrency: options.concurrency,
    logger: options.logger,
    handlers: {
      provisionTenant: async ({ tenantId }, job) => {
        const attempt = job.attemptsMade + 1;
        const log = options.logger.child({ tenantId, jobId: job.id, attempt });
        const started = performance.now();
        try {
          const outcome = await provisionTenant(options.deps, tenantId, attempt);
          log.info(
            { outcome, ms: Math.round(performance.now() - started) },
            "provisioning finished",
          );
          return outcome;
        } catch (error) {
          await recordProvisioningFailure(
            options.deps.controlPlane,
            tenantId,
            error,
            attempt >= attempts,
          );
          throw error;
        }
      },
    },
  });
}
