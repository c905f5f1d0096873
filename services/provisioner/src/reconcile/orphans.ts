import { type Sql, tenantDatabaseName } from "@oryn/shared";
import { listServerAddresses } from "@oryn/shared/control-plane/tables/database-servers";
import { listTenantStatuses } from "@oryn/shared/control-plane/tables/tenants";
import { databaseExists } from "../provisioning/tenant-database.ts";
import type { ServerAdmins } from "../servers/admins.ts";
import { spareNamePattern } from "../spares/names.ts";
import {
  deleteSpareNamed,
  listAbandonedClaims,
  listSpareNames,
} from "../spares/spare-databases.ts";

/** A tenant database server as the reconciler sees it: a name for reports, an admin pool. */
export type ReconciledServer = { name: string; admin: Sql };

/**
 * Every registered server, and the TENANT_DATABASE_URL server when it is not registered (tenants
 * from before the registry live there).
 */
export async function reconciledServers(
  controlPlane: Sql,
  admins: ServerAdmins,
): Promise<ReconciledServer[]> {
  const servers = (await listServerAddresses(controlPlane)).map((server) => ({
    name: server.name,
    admin: admins.forPlacement(server).admin,
  }));
  const fallback = admins.forPlacement(null).admin;
  if (!servers.some((server) => server.admin === fallback)) {
    servers.push({ name: "TENANT_DATABASE_URL", admin: fallback });
  }
  return servers;
}

export type OrphanReason =
  | "no_tenant"
  | "provisioning_failed"
  | "deleted"
  | "unrecorded_spare"
  | "abandoned_claim";

export type Orphan = {
  server: string;
  kind: "database" | "role";
  name: string;
  /** The tenant the name derives from, when one exists. */
  tenantId: string | null;
  reason: OrphanReason;
};

/**
 * Exactly the names `tenantDatabaseName` makes. LIKE would not do: `_` is its wildcard, so
 * 'oryn_t_%' also matches the template `oryn_tpl_…`.
 */
const tenantObjectPattern = "^oryn_t_[0-9a-f]{32}$";

/** Tenants in these states own their database and role; any other state's are leftovers. */
const ownerStates = new Set(["provisioning", "active", "restricted", "deleting"]);

/**
 * Databases and roles named like a tenant's that no live tenant owns: crashed signups from
 * before provisioning was idempotent, tenants whose provisioning was given up, deleted tenants
 * whose cleanup did not finish. A server must belong to one control plane: every oryn_t_… on it
 * is judged against this control plane's tenants.
 */
export async function findOrphans(
  controlPlane: Sql,
  servers: ReconciledServer[],
): Promise<Orphan[]> {
  const found: { server: string; kind: Orphan["kind"]; name: string }[] = [];
  // Objects first, tenants second: a database is created only after its tenant row committed, so
  // every object listed here has its tenant (if any) in the list read afterwards. The other order
  // would report a signup made in between as an orphan.
  const spares: { server: string; name: string }[] = [];
  for (const server of servers) {
    const rows = await server.admin<{ kind: Orphan["kind"]; name: string }[]>`
      select 'database' as kind, datname as name from pg_database where datname ~ ${tenantObjectPattern}
      union all
      select 'role', rolname from pg_roles where rolname ~ ${tenantObjectPattern}
      order by 1, 2`;
    for (const row of rows) found.push({ server: server.name, ...row });
    // The warm pool's databases, likewise listed before their rows are read: a spare's row is
    // written before its database is created.
    const spareRows = await server.admin<{ name: string }[]>`
      select datname as name from pg_database where datname ~ ${spareNamePattern} order by 1`;
    for (const row of spareRows) spares.push({ server: server.name, name: row.name });
  }
  const orphans = [
    ...(await unrecordedSpares(controlPlane, servers, spares)),
    ...(await abandonedClaims(controlPlane)),
  ];
  if (found.length === 0) return orphans;
  const tenants = await listTenantStatuses(controlPlane);
  const byName = new Map(tenants.map((tenant) => [tenantDatabaseName(tenant.id), tenant]));
  for (const object of found) {
    const tenant = byName.get(object.name);
    if (tenant && ownerStates.has(tenant.status)) continue;
    orphans.push({
      ...object,
      tenantId: tenant?.id ?? null,
      reason: tenant ? (tenant.status as OrphanReason) : "no_tenant",
    });
  }
  return orphans;
}

/**
 * Spare databases the control plane has no row for: a pool of another control plane on this
 * server, or a row removed by hand. One whose row went because it was just claimed (renamed) or
 * dropped is no longer in the catalogue when looked at again, so it is not reported.
 */
async function unrecordedSpares(
  controlPlane: Sql,
  servers: ReconciledServer[],
  spares: { server: string; name: string }[],
): Promise<Orphan[]> {
  if (spares.length === 0) return [];
  const recorded = new Set(await listSpareNames(controlPlane));
  const orphans: Orphan[] = [];
  for (const spare of spares.filter((candidate) => !recorded.has(candidate.name))) {
    const admin = servers.find((server) => server.name === spare.server)?.admin;
    if (admin && !(await databaseExists(admin, spare.name))) continue;
    orphans.push({ ...spare, kind: "database", tenantId: null, reason: "unrecorded_spare" });
  }
  return orphans;
}

/**
 * Spares claimed by a tenant that will never finish the claim: its provisioning was given up, or
 * it was deleted. Neither the refill (it skips claimed rows) nor anything else would free them,
 * and the row's reference keeps the tenant's row from ever being removed.
 */
async function abandonedClaims(controlPlane: Sql): Promise<Orphan[]> {
  const rows = await listAbandonedClaims(controlPlane);
  return rows.map((row) => ({ ...row, kind: "database", reason: "abandoned_claim" }));
}

/**
 * Drops what `findOrphans` reported, databases before roles (a role cannot go while a database
 * still grants it CONNECT). Names come from the server's own catalogue and match the tenant
 * pattern, and still go through identifier escaping.
 */
export async function removeOrphans(
  controlPlane: Sql,
  servers: ReconciledServer[],
  orphans: Orphan[],
): Promise<void> {
  const ordered = [...orphans].sort((a, b) =>
    a.kind === b.kind ? 0 : a.kind === "database" ? -1 : 1,
  );
  for (const orphan of ordered) {
    const server = servers.find((candidate) => candidate.name === orphan.server);
    if (!server) continue;
    const spare = orphan.reason === "unrecorded_spare" || orphan.reason === "abandoned_claim";
    const pattern = spare ? spareNamePattern : tenantObjectPattern;
    if (!new RegExp(pattern).test(orphan.name))
      throw new Error(`not a tenant object: ${orphan.name}`);
    if (orphan.kind === "database") {
      await server.admin`drop database if exists ${server.admin(orphan.name)} with (force)`;
      // Its row goes after the database (a renamed claim's is gone already): never a database
      // without its row.
      if (orphan.reason === "abandoned_claim") {
        await deleteSpareNamed(controlPlane, orphan.name);
      }
    } else {
      await server.admin`drop role if exists ${server.admin(orphan.name)}`;
    }
  }
}
