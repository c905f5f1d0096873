import { migrate, type Sql } from "@oryn/shared";
import { withDatabaseConnection } from "../provisioning/tenant-database.ts";
import type { ServerAdmins } from "../servers/admins.ts";
import { checkedSpareName } from "../spares/names.ts";

export type SpareMigrationResult = {
  migrated: number;
  dropped: number;
  /** Why each dropped spare's migration failed: a broken migration shows here first. */
  failures: { spare: string; error: string }[];
};

/**
 * Brings the warm pool's ready spares to `targetVersion`, so a claimed spare is as new as a clone
 * (the provisioning `migrate` step would bring it forward anyway; this keeps signups fast after a
 * release). Each spare's row is held FOR UPDATE while its database is migrated: a claim skips
 * locked rows, so it never renames a database this has a connection to. A spare whose migration
 * fails is dropped: it holds no data, and the refill makes a new one from the migrated template.
 */
export async function migrateSpares(
  deps: { controlPlane: Sql; admins: ServerAdmins; migrations: string },
  targetVersion: number,
  concurrency: number,
): Promise<SpareMigrationResult> {
  const result: SpareMigrationResult = { migrated: 0, dropped: 0, failures: [] };
  const behind = await deps.controlPlane<{ id: string }[]>`
    select id from spare_databases
    where state = 'ready' and tenant_id is null and schema_version < ${targetVersion}
    order by id`;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, behind.length) }, async () => {
      for (let spare = behind.pop(); spare; spare = behind.pop()) {
        const outcome = await migrateSpare(deps, spare.id, targetVersion);
        if (outcome === "migrated") result.migrated++;
        if (outcome && typeof outcome === "object") {
          result.dropped++;
          result.failures.push(outcome);
        }
      }
    }),
  );
  return result;
}

async function migrateSpare(
  deps: { controlPlane: Sql; admins: ServerAdmins; migrations: string },
  id: string,
  targetVersion: number,
): Promise<"migrated" | { spare: string; error: string } | null> {
  return deps.controlPlane.begin(async (tx) => {
    const [spare] = await tx<{ name: string; host: string; port: number; serverId: string }[]>`
      select d.name, s.host, s.port, s.id as server_id
      from spare_databases d join database_servers s on s.id = d.server_id
      where d.id = ${id} and d.state = 'ready' and d.tenant_id is null
        and d.schema_version < ${targetVersion}
      for update of d skip locked`;
    // Claimed, dropped or migrated since the list was read.
    if (!spare) return null;
    const name = checkedSpareName(spare.name);
    const target = deps.admins.forPlacement({
      id: spare.serverId,
      host: spare.host,
      port: spare.port,
    });
    try {
      const { version } = await withDatabaseConnection(target.adminUrl, name, (sql) =>
        migrate(sql, deps.migrations),
      );
      await tx`update spare_databases set schema_version = ${version} where id = ${id}`;
      return "migrated";
    } catch (error) {
      await target.admin`drop database if exists ${target.admin(name)} with (force)`;
      await tx`delete from spare_databases where id = ${id}`;
      return { spare: name, error: error instanceof Error ? error.message : String(error) };
    }
  });
}
