import {
  type Logger,
  type Queues,
  requestTenantDeletion,
  type Sql,
  scheduleTenantDeletion,
  type TransactionSql,
} from "@oryn/shared";
import { lockTenant } from "@oryn/shared/control-plane/tables/tenants";

/**
 * Tenants whose owner never verified their address, `afterSeconds` after signup, go down the
 * ordinary deletion path: `deleting` for the grace period (an operator can restore them), then
 * dropped by the deletion job or the sweep. Each signup costs a role and a database, so an
 * address nobody proves must not hold them for ever (issue 21). Run by the provisioner's sweep.
 */
export async function reclaimUnverifiedTenants(
  deps: { controlPlane: Sql; queues: Queues; logger: Logger },
  options: { afterSeconds: number; graceSeconds: number },
): Promise<number> {
  const due = await deps.controlPlane<{ id: string }[]>`
    select t.id from tenants t
    where t.status not in ('deleting', 'deleted')
      and t.created_at < now() - make_interval(secs => ${options.afterSeconds})
      and not exists (${verifiedOwner(deps.controlPlane)})
    order by t.created_at limit 100`;
  let reclaimed = 0;
  for (const { id } of due) {
    try {
      const request = await deps.controlPlane.begin(async (tx) => {
        // Checked again under the tenant's lock: an owner may have verified since the scan.
        await lockTenant(tx, id);
        const [stillUnverified] = await tx`
          select 1 from tenants t where t.id = ${id} and not exists (${verifiedOwner(tx)})`;
        if (!stillUnverified) return undefined;
        return requestTenantDeletion(tx, id, {
          graceSeconds: options.graceSeconds,
          requester: { actorId: null, requestId: null, ip: null, via: "unverified_owner" },
        });
      });
      if (request?.outcome !== "requested") continue;
      reclaimed++;
      deps.logger.info({ tenantId: id }, "tenant reclaimed: no owner verified their address");
      // Lost with Redis away is survivable: the sweep deletes tenants past their deadline.
      await scheduleTenantDeletion(deps.queues, id, request.deleteAfter).catch((error: unknown) =>
        deps.logger.warn({ err: error, tenantId: id }, "could not schedule a reclaimed tenant"),
      );
    } catch (error) {
      deps.logger.warn({ err: error, tenantId: id }, "could not reclaim an unverified tenant");
    }
  }
  return reclaimed;
}

function verifiedOwner(sql: Sql | TransactionSql) {
  return sql`
    select 1 from memberships m join users u on u.id = m.user_id
    where m.tenant_id = t.id and m.role = 'owner' and u.email_verified_at is not null`;
}
