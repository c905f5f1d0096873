/**
 * `pnpm migrate`: brings the control-plane database to the latest migration, creating the
 * database first when it does not exist. Tenant databases are migrated by the provisioner.
 */
import { ConfigError, loadDotEnv, migrateEnv, parseConfig } from "../config.ts";
import { databaseOf } from "../database.ts";
import { createLogger } from "../logger.ts";
import { migrateControlPlane } from "./control-plane.ts";

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
const { created, applied, version } = await migrateControlPlane(config.DATABASE_URL, {
  applicationName: "oryn-migrate",
});
if (created)
  logger.info({ database: databaseOf(config.DATABASE_URL) }, "created the control-plane database");
logger.info(
  { applied, version },
  applied.length ? "control plane migrated" : "control plane already up to date",
);
