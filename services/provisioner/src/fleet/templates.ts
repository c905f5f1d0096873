import { migrate, type Sql } from "@oryn/shared";
import { ensureTemplate, withDatabaseConnection } from "../provisioning/tenant-database.ts";
import type { FleetServer } from "./servers.ts";

export type TemplateResult = { server: string; applied: number[]; version: number };

/**
 * Brings the template of every server to the latest tenant migration before any tenant is
 * touched, so a tenant cloned while the fleet is being migrated is already new. Each under the
 * template's exclusive advisory lock (clones take it shared: PostgreSQL refuses to clone a
 * database someone is connected to). Created where missing: a server without tenants yet.
 */
export async function migrateTemplates(deps: {
  controlPlane: Sql;
  servers: FleetServer[];
  template: string;
  migrations: string;
}): Promise<TemplateResult[]> {
  const results: TemplateResult[] = [];
  for (const server of deps.servers) {
    await ensureTemplate(server.target.admin, deps.controlPlane, deps.template, async () => {
      const { applied, version } = await withDatabaseConnection(
        server.target.adminUrl,
        deps.template,
        (sql) => migrate(sql, deps.migrations),
      );
      results.push({ server: server.name, applied, version });
    });
  }
  return results;
}
