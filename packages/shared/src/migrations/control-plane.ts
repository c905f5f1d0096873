import { connect, ensureDatabase } from "../database.ts";
import { controlPlaneMigrations, migrate } from "./runner.ts";

/**
 * Makes the control-plane database at `url` when it is missing and brings it to the latest
 * migration, on a connection of its own that is closed before this returns. The one way the
 * control plane is migrated: `pnpm migrate`, `pnpm db:types`, the tests' and the bench's stacks.
 */
export async function migrateControlPlane(
  url: string,
  options: { applicationName?: string } = {},
): Promise<{ created: boolean; applied: number[]; version: number }> {
  const created = await ensureDatabase(url);
  const sql = connect(url, { max: 1, applicationName: options.applicationName });
  try {
    return { created, ...(await migrate(sql, controlPlaneMigrations)) };
  } finally {
    await sql.end();
  }
}
