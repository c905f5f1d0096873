import { enqueue, type Logger, type Queues, type Sql } from "@oryn/shared";

/**
 * Signup enqueues after its transaction commits; if Redis was away at that instant the tenant
 * waits in `provisioning` with no job. This finds such tenants and enqueues them again, which is
 * a no-op for those whose job exists (the job id is derived from the tenant id).
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
  for (const { id } of waiting) await enqueue(deps.queues, "provisionTenant", { tenantId: id });
  if (waiting.length > 0)
    deps.logger.info({ count: waiting.length }, "re-enqueued waiting tenants");
  return waiting.length;
}
