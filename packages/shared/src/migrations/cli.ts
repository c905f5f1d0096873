/**
 * `pnpm migrate`: brings the control-plane database to the latest migration, creating the
 * database first when it does not exist. Tenant databases are migrated by the provisioner.
 */
import { ConfigError, loadDotEnv, migrateEnv, parseConfig } from "../config.ts";
import { connect, databaseOf, ensureDatabase } from "../database.ts";
import { createLogger } from "../logger.ts";
import { controlPlaneMigrations, migrate } from "./runner.ts";

loadDotEnv();
let config: { DATABASE_URL: string; LOG_LEVEL: string };
try {
  config = parseConfig(migrateEnv);
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  console.error(error.message);
  process.exit(1);
}
const logger = createLogger("migrate", config.LOG_LEVEL);
const created = await ensureDatabase(config.DATABASE_URL);
if (created)
  logger.info({ database: databaseOf(config.DATABASE_URL) }, "created the control-plane database");
const sql = connect(config.DATABASE_URL, { max: 1, applicationName: "oryn-migrate" });
try {
  const { applied, version } = await migrate(sql, controlPlaneMigrations);
  logger.info(
    { applied, version },
    applied.length ? "control plane migrated" : "control plane already up to date",
  );
} finally {
  await sql.end();
}
