import type { Logger, Queues, Sql } from "@oryn/shared";
import { requeueWaitingTenants } from "../provisioning/sweep.ts";
import { findOrphans, type Orphan, type ReconciledServer, removeOrphans } from "./orphans.ts";

export type ReconcileReport = {
  /** Tenants left in `provisioning` whose job was enqueued or retried again. */
  requeued: number;
  orphans: Orphan[];
  /** Whether the orphans were dropped (only with `remove`). */
  removed: boolean;
};

/**
 * Brings the fleet back to what the control plane says: stuck tenants get their job going again;
 * databases and roles no live tenant owns are reported, and dropped only when `remove` is set —
 * the periodic run never drops anything, an operator decides.
 */
export async function reconcile(deps: {
  controlPlane: Sql;
  queues: Queues;
  servers: ReconciledServer[];
  logger: Logger;
  olderThanSeconds: number;
  remove?: boolean;
}): Promise<ReconcileReport> {
  const requeued = await requeueWaitingTenants(deps);
  const orphans = await findOrphans(deps.controlPlane, deps.servers);
  if (orphans.length > 0) {
    deps.logger.warn(
      { orphans: orphans.length, remove: deps.remove ?? false },
      "databases or roles that no live tenant owns",
    );
  }
  if (deps.remove && orphans.length > 0)
    await removeOrphans(deps.controlPlane, deps.servers, orphans);
  return { requeued, orphans, removed: Boolean(deps.remove) && orphans.length > 0 };
}
