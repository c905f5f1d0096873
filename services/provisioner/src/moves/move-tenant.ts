import {
  type Logger,
  type Sql,
  tenantDatabaseName,
  tenantRoleName,
  tenantRolePassword,
} from "@oryn/shared";
import { listServers } from "@oryn/shared/control-plane/tables/database-servers";
import {
  clearTenantMoving,
  findTenantSlugAndStatus,
  setTenantMoving,
  setTenantServer,
} from "@oryn/shared/control-plane/tables/tenants";
import {
  databaseExists,
  ensureGroupRole,
  ensureTenantRole,
  grantTenantAccess,
  withDatabaseConnection,
} from "../provisioning/tenant-database.ts";
import type { ServerAdmin, ServerAdmins } from "../servers/admins.ts";
import { tenantPlacement } from "../servers/placement.ts";
import { copyDatabase } from "./copy-database.ts";

export type MoveDeps = {
  controlPlane: Sql;
  servers: ServerAdmins;
  passwordSecret: string;
  logger: Logger;
  /**
   * How long to wait after pausing writes and after switching servers, so that every workspace
   * has seen it: at least workspace's TENANT_STATUS_CACHE_MS.
   */
  settleMs: number;
  pgBinDir?: string | undefined;
};

export type MoveReport = {
  tenantId: string;
  slug: string;
  from: string;
  to: string;
  /** Rows per table, the same on both servers when the switch was made. */
  tables: Record<string, number>;
  writesPausedMs: number;
  ms: number;
};

export class MoveRefused extends Error {
  override name = "MoveRefused";
}

/**
 * Moves a tenant's database to another registered server: writes paused (reads go on), a dump
 * restored on the target, verified (every table's rows, the audit chain's head), the placement
 * switched, the old copy dropped, writes resumed. Until the switch any failure drops the new copy
 * and resumes writes, leaving the tenant where it was; re-running after a crash starts the copy
 * afresh.
 */
export async function moveTenant(
  deps: MoveDeps,
  tenantId: string,
  targetName: string,
): Promise<MoveReport> {
  const started = performance.now();
  const { controlPlane } = deps;
  const tenant = await findTenantSlugAndStatus(controlPlane, tenantId);
  if (!tenant) throw new MoveRefused(`no tenant ${tenantId}`);
  if (tenant.status !== "active" && tenant.status !== "restricted") {
    throw new MoveRefused(
      `${tenant.slug} is ${tenant.status}: only active or restricted tenants move`,
    );
  }
  const servers = await listServers(controlPlane);
  const target = servers.find((server) => server.name === targetName);
  if (!target) throw new MoveRefused(`no server ${targetName}`);
  const placement = await tenantPlacement(controlPlane, tenantId);
  const source = servers.find((server) => server.id === placement?.id);
  if (placement?.id === target.id)
    throw new MoveRefused(`${tenant.slug} is already on ${targetName}`);
  const from = deps.servers.forPlacement(placement);
  const to = deps.servers.forPlacement(target);
  const database = tenantDatabaseName(tenantId);
  const log = deps.logger.child({ tenantId, from: source?.name ?? "default", to: targetName });

  await setTenantMoving(controlPlane, tenantId);
  const paused = performance.now();
  log.info("writes paused; copying");
  let switched = false;
  try {
    await settle(deps.settleMs);
    await waitForQuiet(from.admin, database, tenantRoleName(tenantId));

    // The target gets the tenant's role (same derived password) and an empty database; a copy
    // left by an earlier attempt that never switched is thrown away first.
    await ensureGroupRole(to.admin);
    await ensureTenantRole(to.admin, tenantId, tenantRolePassword(deps.passwordSecret, tenantId));
    if (await databaseExists(to.admin, database)) {
      await to.admin`drop database ${to.admin(database)} with (force)`;
    }
    await to.admin`create database ${to.admin(database)} template template0`;
    await to.admin`revoke all on database ${to.admin(database)} from public`;
    await copyDatabase({
      sourceUrl: from.adminUrl,
      targetUrl: to.adminUrl,
      database,
      binDir: deps.pgBinDir,
    });
    const tables = await verifyCopy(from, to, database);
    await grantTenantAccess(to.admin, tenantId);

    await setTenantServer(controlPlane, tenantId, target.id);
    switched = true;
    log.info({ tables }, "switched; dropping the old copy");
    // Workspaces resolve the tenant's server afresh once their cache has expired.
    await settle(deps.settleMs);
    await from.admin`drop database if exists ${from.admin(database)} with (force)`;
    await from.admin`drop role if exists ${from.admin(tenantRoleName(tenantId))}`;
    return {
      tenantId,
      slug: tenant.slug,
      from: source?.name ?? "default",
      to: targetName,
      tables,
      writesPausedMs: Math.round(performance.now() - paused),
      ms: Math.round(performance.now() - started),
    };
  } catch (error) {
    if (!switched) {
      // Nothing of the attempt stays on the target: the tenant lives where it was.
      await to.admin`drop database if exists ${to.admin(database)} with (force)`
        .then(() => to.admin`drop role if exists ${to.admin(tenantRoleName(tenantId))}`)
        .catch((cleanup: unknown) =>
          log.error(
            { err: cleanup },
            "could not remove the failed copy; pnpm oryn reconcile shows it",
          ),
        );
    }
    throw error;
  } finally {
    await clearTenantMoving(controlPlane, tenantId);
  }
}

function settle(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Waits until the tenant's role runs nothing on its database: a write begun before the pause. */
async function waitForQuiet(admin: Sql, database: string, role: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const [busy] = await admin<{ n: number }[]>`
      select count(*)::int as n from pg_stat_activity
      where datname = ${database} and usename = ${role} and state <> 'idle'`;
    if ((busy?.n ?? 0) === 0) return;
    if (Date.now() > deadline) throw new Error("the tenant's database did not go quiet in 10 s");
    await settle(100);
  }
}

/** Both copies hold the same rows in every table and the same audit-chain head, or it throws. */
async function verifyCopy(
  from: ServerAdmin,
  to: ServerAdmin,
  database: string,
): Promise<Record<string, number>> {
  const census = (adminUrl: string) =>
    withDatabaseConnection(adminUrl, database, async (sql) => {
      const tables = await sql<{ name: string }[]>`
        select tablename as name from pg_tables where schemaname = 'public' order by tablename`;
      const counts: Record<string, number> = {};
      for (const { name } of tables) {
        const [row] = await sql<{ n: number }[]>`select count(*)::int as n from ${sql(name)}`;
        counts[name] = row?.n ?? 0;
      }
      const [head] = await sql<{ hash: string | null }[]>`
        select encode(last_hash, 'hex') as hash from audit_chain_head`;
      return { counts, head: head?.hash ?? null };
    });
  const [before, after] = await Promise.all([census(from.adminUrl), census(to.adminUrl)]);
  if (JSON.stringify(before) !== JSON.stringify(after)) {
    throw new Error(
      `the copy differs from the original: ${JSON.stringify(before)} vs ${JSON.stringify(after)}`,
    );
  }
  return before.counts;
}
