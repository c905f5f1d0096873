import { enqueue, jobCatalogue, type Logger, type Queues, type Sql } from "@oryn/shared";
import { listStalledProvisioningTenants } from "@oryn/shared/control-plane/tables/tenants";

/**
 * Finds tenants left in `provisioning` with nothing moving them, and sets a job going again:
 * - no job (signup committed but Redis was away when it enqueued): enqueue one;
 * - a failed job whose final failure could not be recorded: retry it;
 * - waiting, delayed or active jobs are left alone (their tenant is on its way).
 */
export async function requeueWaitingTenants(deps: {
  controlPlane: Sql;
  queues: Queues;
  logger: Logger;
  olderThanSeconds: number;
}): Promise<number> {
  const queue = deps.queues.get(jobCatalogue.provisionTenant.queue);
  let restarted = 0;
  // In pages by id, so that a thousand tenants whose jobs are merely waiting cannot hide one
  // behind them.
  const pageSize = 500;
  let after: string | undefined;
  for (;;) {
    const waiting = await listStalledProvisioningTenants(
      deps.controlPlane,
      deps.olderThanSeconds,
      after,
      pageSize,
    );
    for (const { id: tenantId } of waiting) {
      if (await restartIfStalled(queue, deps, tenantId)) restarted++;
    }
    const last = waiting.at(-1);
    if (!last || waiting.length < pageSize) break;
    after = last.id;
  }
  return restarted;
}

async function restartIfStalled(
  queue: ReturnType<Queues["get"]>,
  deps: { queues: Queues; logger: Logger },
  tenantId: string,
): Promise<boolean> {
  // One tenant's trouble (a locked job, a Redis hiccup) must not starve the ones after it.
  try {
    const job = await queue.getJob(jobCatalogue.provisionTenant.jobId({ tenantId }));
    const state = job ? await job.getState() : "missing";
    if (state === "failed" && job) {
      await job.retry("failed");
    } else if (state === "completed" || state === "missing" || state === "unknown") {
      await job?.remove();
      await enqueue(deps.queues, "provisionTenant", { tenantId });
    } else {
      return false;
    }
    deps.logger.info({ tenantId, state }, "provisioning restarted by the sweep");
    return true;
  } catch (error) {
    deps.logger.warn({ err: error, tenantId }, "sweep could not restart provisioning");
    return false;
  }
}
