import {
  type Logger,
  type Queues,
  requestTenantDeletion,
  type Sql,
  scheduleTenantDeletion,
} from "@oryn/shared";
import {
  listUnverifiedTenants,
  tenantHasNoVerifiedOwner,
} from "@oryn/shared/control-plane/tables/memberships";
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
  const due = await listUnverifiedTenants(deps.controlPlane, options.afterSeconds);
  let reclaimed = 0;
  for (const { id } of due) {
    try {
      const request = await deps.controlPlane.begin(async (tx) => {
        // Checked again under the tenant's lock: an owner may have verified since the scan.
        await lockTenant(tx, id);
        if (!(await tenantHasNoVerifiedOwner(tx, id))) return undefined;
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
