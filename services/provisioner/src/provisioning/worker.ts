import { createJobWorker, jobCatalogue, type Logger, type Redis } from "@oryn/shared";
import {
  type ProvisioningDeps,
  type ProvisioningOutcome,
  provisionTenant,
  recordProvisioningFailure,
} from "./provision-tenant.ts";

const maxAttempts = jobCatalogue.provisionTenant.options.attempts;

/** One attempt of the job: on failure the reason is recorded, and the last attempt gives up. */
export async function runProvisioningAttempt(
  deps: ProvisioningDeps,
  tenantId: string,
  attempt: number,
  requestId?: string,
): Promise<ProvisioningOutcome> {
  const started = performance.now();
  const logger = deps.logger.child({ tenantId, attempt, requestId });
  try {
    const outcome = await provisionTenant({ ...deps, logger }, tenantId, attempt);
    logger.info({ outcome, ms: Math.round(performance.now() - started) }, "provisioning finished");
    return outcome;
  } catch (error) {
    await recordProvisioningFailure(deps.controlPlane, tenantId, error, attempt >= maxAttempts);
    throw error;
  }
}

export function startProvisioningWorker(options: {
  deps: ProvisioningDeps;
  connection: Redis;
  prefix: string;
  concurrency: number;
  logger: Logger;
  lockDurationMs?: number;
}) {
  return createJobWorker({
    queue: "provisioning",
    connection: options.connection,
    prefix: options.prefix,
    concurrency: options.concurrency,
    logger: options.logger,
    ...(options.lockDurationMs ? { lockDurationMs: options.lockDurationMs } : {}),
    handlers: {
      provisionTenant: ({ tenantId, requestId }, job) =>
        runProvisioningAttempt(options.deps, tenantId, job.attemptsMade + 1, requestId),
    },
  });
}
