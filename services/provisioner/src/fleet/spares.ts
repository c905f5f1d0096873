import { migrate, type Sql } from "@oryn/shared";
import { withDatabaseConnection } from "../provisioning/tenant-database.ts";
import type { ServerAdmins } from "../servers/admins.ts";
import { checkedSpareName } from "../spares/names.ts";
import {
  deleteSpare,
  listSparesBehind,
  lockSpareToMigrate,
  setSpareVersion,
} from "../spares/spare-databases.ts";

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
  const behind = await listSparesBehind(deps.controlPlane, targetVersion);
  await Promise.all(
    Array.from({ length: Math.min(concurrency, behind.length) }, async () => {
      for (let spare = behind.pop(); spare; spare = behind.pop()) {
        const outcome = await migrateSpare(deps, spare, targetVersion);
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
    const spare = await lockSpareToMigrate(tx, id, targetVersion);
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
      await setSpareVersion(tx, id, version);
      return "migrated";
    } catch (error) {
      await target.admin`drop database if exists ${target.admin(name)} with (force)`;
      await deleteSpare(tx, id);
      return { spare: name, error: error instanceof Error ? error.message : String(error) };
    }
  });
}
