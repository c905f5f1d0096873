import { enqueue, jobCatalogue, type Logger, type Queues, type Sql } from "@oryn/shared";

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
  const waiting = await deps.controlPlane<{ id: string }[]>`
    select id from tenants
    where status = 'provisioning' and updated_at < now() - make_interval(secs => ${deps.olderThanSeconds})
    order by created_at limit 1000`;
  const queue = deps.queues.get(jobCatalogue.provisionTenant.queue);
  let restarted = 0;
  for (const { id: tenantId } of waiting) {
    // One tenant's trouble (a locked job, Redis hiccup) must not starve the ones after it.
    try {
      const job = await queue.getJob(jobCatalogue.provisionTenant.jobId({ tenantId }));
      const state = job ? await job.getState() : "missing";
      if (state === "failed" && job) {
        await job.retry("failed");
      } else if (state === "completed" || state === "missing" || state === "unknown") {
        await job?.remove();
        await enqueue(deps.queues, "provisionTenant", { tenantId });
      } else {
        continue;
      }
      restarted++;
      deps.logger.info({ tenantId, state }, "provisioning restarted by the sweep");
    } catch (error) {
      deps.logger.warn({ err: error, tenantId }, "sweep could not restart provisioning");
    }
  }
  return restarted;
}
