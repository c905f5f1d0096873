import { migrate, type Sql, tenantMigrations } from "@oryn/shared";
import { listServerStates } from "@oryn/shared/control-plane/tables/database-servers";
import { type ProvisioningDeps, prepareTemplate } from "../provisioning/provision-tenant.ts";
import { cloneTemplate, withDatabaseConnection } from "../provisioning/tenant-database.ts";
import type { ServerAdmin } from "../servers/admins.ts";
import { checkedSpareName, newSpareName } from "./names.ts";
import {
  countReadySpares,
  deleteNewestUnclaimedSpare,
  insertSpare,
  markSpareReady,
} from "./spare-databases.ts";

/** One refill's outcome on one server. */
export type RefillResult = {
  server: string;
  made: number;
  dropped: number;
  /** Another process held the server's refill lock: nothing was done here. */
  skipped: boolean;
  /** Why this server's refill stopped early, if it did (the other servers are still refilled). */
  error?: string;
};

// Arbitrary but fixed, in the control plane: one refiller per server across all provisioners,
// so two of them never both see "3 missing" and make 6.
const refillLockClass = 7_310_004;

type SpareServer = Awaited<ReturnType<typeof listServerStates>>[number];

/**
 * Brings every registered server to `target` ready spares (an accepting server) or none (a
 * draining one: no tenant will be placed there to claim them), making at most `concurrency` at
 * once. Spares beyond the target (it was lowered) are dropped.
 */
export async function refillSpares(
  deps: ProvisioningDeps,
  options: { target: number; concurrency: number; stopped?: () => boolean },
): Promise<RefillResult[]> {
  const servers = await listServerStates(deps.controlPlane);
  const results: RefillResult[] = [];
  for (const server of servers) {
    const target = server.state === "accepting" ? options.target : 0;
    try {
      results.push(await refillServer(deps, server, target, options));
    } catch (error) {
      // One server that is down must not keep the servers after it from being refilled.
      deps.logger.warn({ err: error, server: server.name }, "spare database refill failed");
      results.push({
        server: server.name,
        made: 0,
        dropped: 0,
        skipped: false,
        error: String(error),
      });
    }
  }
  return results;
}

async function refillServer(
  deps: ProvisioningDeps,
  server: SpareServer,
  target: number,
  { concurrency, stopped }: { concurrency: number; stopped?: () => boolean },
): Promise<RefillResult> {
  const result: RefillResult = { server: server.name, made: 0, dropped: 0, skipped: false };
  const admin: ServerAdmin = deps.servers?.forPlacement(server) ?? {
    admin: deps.admin,
    adminUrl: deps.adminUrl,
  };
  const lock = await deps.controlPlane.reserve();
  try {
    const [row] = await lock<{ locked: boolean }[]>`
      select pg_try_advisory_lock(${refillLockClass}, hashtext(${server.id})) as locked`;
    if (!row?.locked) return { ...result, skipped: true };
    try {
      // Under the lock nobody else is making spares here: a row still `creating` is what a
      // killed refiller left, and its database (if the clone got that far) goes with it.
      result.dropped += await dropSpares(
        deps.controlPlane,
        admin.admin,
        server.id,
        "creating",
        null,
      );
      const ready = await countReadySpares(deps.controlPlane, server.id);
      if (ready > target) {
        result.dropped += await dropSpares(
          deps.controlPlane,
          admin.admin,
          server.id,
          "ready",
          ready - target,
        );
      }
      let missing = target - ready;
      if (missing > 0) await prepareTemplate(deps, admin);
      // Every worker stops before the lock is released (allSettled, and a failure stops the
      // others between spares): a refill that started after a release would otherwise drop a
      // sibling's `creating` row while its database was still being made.
      let failed = false;
      const workers = await Promise.allSettled(
        Array.from({ length: Math.min(concurrency, Math.max(missing, 0)) }, async () => {
          // A closing process stops between spares, never in the middle of one.
          while (missing > 0 && !failed && !stopped?.()) {
            missing--;
            try {
              await makeSpare(deps, server.id, admin);
            } catch (error) {
              failed = true;
              throw error;
            }
            result.made++;
          }
        }),
      );
      const failure = workers.find((worker) => worker.status === "rejected");
      if (failure) throw failure.reason;
    } finally {
      await lock`select pg_advisory_unlock(${refillLockClass}, hashtext(${server.id}))`;
    }
  } finally {
    lock.release();
  }
  if (result.made > 0 || result.dropped > 0) deps.logger.info(result, "spare databases refilled");
  return result;
}

/**
 * The row first, then the database: every spare database on a server has its row, so cleanup
 * and the reconciler know it even when this process dies halfway.
 */
async function makeSpare(deps: ProvisioningDeps, serverId: string, target: ServerAdmin) {
  const name = newSpareName();
  const id = await insertSpare(deps.controlPlane, serverId, name);
  await cloneTemplate(target.admin, deps.controlPlane, name, deps.template);
  // As for a tenant's clone: the template's ACL is not inherited, so PUBLIC could connect.
  await target.admin`revoke all on database ${target.admin(name)} from public`;
  // The template may be older than this process's migrations (it is brought forward at start).
  const { version } = await withDatabaseConnection(target.adminUrl, name, (sql) =>
    migrate(sql, deps.migrations ?? tenantMigrations),
  );
  await markSpareReady(deps.controlPlane, id, version);
}

/**
 * Drops up to `limit` unclaimed spares in `state`. Each row is deleted in the transaction that
 * drops its database, so a failed DROP leaves the row for the next round.
 */
async function dropSpares(
  controlPlane: Sql,
  admin: Sql,
  serverId: string,
  state: "creating" | "ready",
  limit: number | null,
): Promise<number> {
  let dropped = 0;
  for (;;) {
    if (limit !== null && dropped >= limit) return dropped;
    const done = await controlPlane.begin(async (tx) => {
      const spare = await deleteNewestUnclaimedSpare(tx, serverId, state);
      if (!spare) return false;
      const name = checkedSpareName(spare);
      await admin`drop database if exists ${admin(name)} with (force)`;
      return true;
    });
    if (!done) return dropped;
    dropped++;
  }
}
