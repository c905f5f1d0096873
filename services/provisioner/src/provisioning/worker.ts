import {
  createJobWorker,
  Histogram,
  jobCatalogue,
  type Logger,
  type Metrics,
  type RedisClient,
} from "@oryn/shared";
import { findTenantProvisioningSeconds } from "@oryn/shared/control-plane/tables/tenants";
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
  connection: RedisClient;
  prefix: string;
  concurrency: number;
  logger: Logger;
  lockDurationMs?: number;
  metrics?: Metrics;
}) {
  const { metrics } = options;
  // Signup to active, as the tenant waited for it: created_at to activated_at, all attempts.
  const provisioningTime =
    metrics &&
    new Histogram({
      name: "oryn_provisioning_seconds",
      help: "Time from signup to an active tenant",
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
      registers: [metrics.registry],
    });
  return createJobWorker({
    ...(metrics ? { metrics } : {}),
    queue: "provisioning",
    connection: options.connection,
    prefix: options.prefix,
    concurrency: options.concurrency,
    logger: options.logger,
    ...(options.lockDurationMs ? { lockDurationMs: options.lockDurationMs } : {}),
    handlers: {
      provisionTenant: async ({ tenantId, requestId }, job) => {
        const outcome = await runProvisioningAttempt(
          options.deps,
          tenantId,
          job.attemptsMade + 1,
          requestId,
        );
        if (outcome === "activated" && provisioningTime) {
          const seconds = await findTenantProvisioningSeconds(options.deps.controlPlane, tenantId);
          if (seconds !== undefined) provisioningTime.observe(seconds);
        }
        return outcome;
      },
    },
  });
}
