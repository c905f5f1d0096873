import { type Sql, tenantDatabaseName } from "@oryn/shared";
import {
  lockTenantServer,
  setTenantSchemaVersion,
} from "@oryn/shared/control-plane/tables/tenants";
import { databaseExists } from "../provisioning/tenant-database.ts";
import { checkedSpareName } from "./names.ts";
import {
  claimReadySpare,
  deleteSpare,
  findClaimOf,
  releaseSpareClaim,
  type SpareClaim,
} from "./spare-databases.ts";

/**
 * Makes a ready spare on the tenant's server its database, when it has none yet: the claim is
 * recorded first (the spare row gets the tenant's id), then the database is renamed, then the
 * row goes. Each part checks what is there, so a job killed between them is retried to the same
 * end: it finds its own claim and finishes the rename, or finds the rename done and removes the
 * row. Answers false when no spare was made the tenant's (none ready, no registered server, or
 * the tenant's database already there): the caller's clone step then does what it always did.
 */
export async function claimSpare(
  controlPlane: Sql,
  admin: Sql,
  tenantId: string,
  options: {
    /** Claim a ready spare if the tenant has none yet (the pool is on); false: only finish one. */
    takeNew: boolean;
    /** A test's hook: the process dies here, with the claim recorded and the rename not done. */
    afterClaim?: () => void;
  },
): Promise<boolean> {
  const name = tenantDatabaseName(tenantId);
  const claim = await recordClaim(
    controlPlane,
    tenantId,
    options.takeNew && !(await databaseExists(admin, name)),
  );
  if (!claim) return false;
  options.afterClaim?.();
  const spare = checkedSpareName(claim.name);
  const present = await existing(admin, [spare, name]);
  if (present.has(spare)) {
    if (present.has(name)) {
      // Another attempt for this tenant cloned meanwhile: the spare stays a spare, and the
      // version the claim recorded is not the clone's (its migrate step must look).
      await controlPlane.begin(async (tx) => {
        await releaseSpareClaim(tx, claim.id);
        await setTenantSchemaVersion(tx, tenantId, 0);
      });
      return false;
    }
    // Nobody is connected to a ready spare (its migration's connection is closed before it is
    // marked ready; a fleet migration holds its row, which the claim skips), and PostgreSQL waits
    // a few seconds for a backend that is still exiting.
    await admin`alter database ${admin(spare)} rename to ${admin(name)}`;
  } else if (!present.has(name)) {
    // The spare is gone (dropped by hand): forget it and let the caller clone.
    await deleteSpare(controlPlane, claim.id);
    return false;
  }
  await deleteSpare(controlPlane, claim.id);
  return true;
}

/** Which of `names` are databases on the server: one round trip for the claim's checks. */
async function existing(admin: Sql, names: string[]): Promise<Set<string>> {
  const rows = await admin<{ datname: string }[]>`
    select datname from pg_database where datname in ${admin(names)}`;
  return new Set(rows.map((row) => row.datname));
}

/**
 * Under the tenant's row lock, so two jobs of one tenant take turns and the second finds the
 * first's claim instead of claiming a second spare. SKIP LOCKED lets concurrent signups each
 * take a different spare without waiting on one another, and passes over a spare a fleet
 * migration is working on.
 */
async function recordClaim(
  controlPlane: Sql,
  tenantId: string,
  claimNew: boolean,
): Promise<SpareClaim | null> {
  return controlPlane.begin(async (tx) => {
    const tenant = await lockTenantServer(tx, tenantId);
    if (!tenant?.serverId) return null;
    const mine = await findClaimOf(tx, tenantId);
    if (mine || !claimNew) return mine ?? null;
    const claimed = await claimReadySpare(tx, tenantId, tenant.serverId);
    if (!claimed) return null;
    // The spare's version becomes the tenant's, as the migrate step of a clone records it: that
    // step then has nothing to apply when the spare is as new as this release (see provision-tenant).
    await setTenantSchemaVersion(tx, tenantId, claimed.schemaVersion);
    return claimed;
  });
}
