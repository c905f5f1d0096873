/**
 * `pnpm db:types`: writes packages/shared/src/control-plane/schema.ts (the control plane's row
 * types and role grants) from the database at DATABASE_URL, migrated first. Run it after adding a
 * migration; packages/shared/test/control-plane-schema.test.ts fails until you do.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { connect, loadDotEnv, migrateControlPlane, migrateEnv, parseConfig } from "@oryn/shared";
import { controlPlaneSchemaSource } from "@oryn/shared/control-plane/schema-source";

loadDotEnv();
const { DATABASE_URL } = parseConfig(migrateEnv);
await migrateControlPlane(DATABASE_URL, { applicationName: "oryn-db-types" });
const sql = connect(DATABASE_URL, { max: 1, applicationName: "oryn-db-types" });
try {
  const target = join(import.meta.dirname, "../packages/shared/src/control-plane/schema.ts");
  writeFileSync(target, await controlPlaneSchemaSource(sql));
  console.log(`wrote ${target}`);
} finally {
  await sql.end();
}
