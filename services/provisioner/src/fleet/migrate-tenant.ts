import { migrate, type Sql, tenantDatabaseName } from "@oryn/shared";
import {
  findTenantMigrationState,
  raiseTenantSchemaVersion,
} from "@oryn/shared/control-plane/tables/tenants";
import { withDatabaseConnection } from "../provisioning/tenant-database.ts";
import type { ServerAdmins } from "../servers/admins.ts";

/**
 * Tenants whose databases a fleet migration brings forward. `provisioning` ones are left to
 * their own `migrate` step (they are cloned from the template, migrated first); the others have
 * no database to migrate, or soon will not.
 */
export const migratedStatuses = ["active", "restricted"] as const;

export type TenantMigrationOutcome =
  | { outcome: "migrated"; applied: number[]; version: number }
  | { outcome: "up_to_date"; version: number }
  | { outcome: "skipped"; status: string | null };

/**
 * One tenant database brought to the migrations' latest version, and the version it reached
 * recorded in tenants.schema_version. The runner takes the per-database advisory lock, so a
 * provisioning `migrate` step or another migrator on the same database waits its turn and then
 * finds the files applied. The state is read again here, not trusted from when the job was
 * enqueued: the tenant may have been deleted or migrated since.
 */
export async function migrateTenantDatabase(
  deps: { controlPlane: Sql; servers: ServerAdmins; migrations: string },
  tenantId: string,
  targetVersion: number,
): Promise<TenantMigrationOutcome> {
  const tenant = await findTenantMigrationState(deps.controlPlane, tenantId);
  if (!tenant || !(migratedStatuses as readonly string[]).includes(tenant.status)) {
    return { outcome: "skipped", status: tenant?.status ?? null };
  }
  if (tenant.schemaVersion >= targetVersion) {
    return { outcome: "up_to_date", version: tenant.schemaVersion };
  }
  const placement =
    tenant.serverId && tenant.host && tenant.port
      ? { id: tenant.serverId, host: tenant.host, port: tenant.port }
      : null;
  const target = deps.servers.forPlacement(placement);
  const { applied, version } = await withDatabaseConnection(
    target.adminUrl,
    tenantDatabaseName(tenantId),
    (sql) => migrate(sql, deps.migrations),
  );
  // Never lowered: a newer release's migrator may have recorded a later version meanwhile.
  await raiseTenantSchemaVersion(deps.controlPlane, tenantId, version);
  return { outcome: "migrated", applied, version };
}
