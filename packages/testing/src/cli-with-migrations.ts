/**
 * Test entry point: `pnpm oryn` applying another tenant migration history, for tests and the
 * bench that add a migration of their own (`runCli(..., { tenantMigrations })`). Usage:
 * `node cli-with-migrations.ts <migrations directory> <pnpm oryn arguments…>`.
 */
import { useTenantMigrations } from "@oryn/provisioner/tenant-migrations";

const [directory] = process.argv.splice(2, 1);
if (!directory) throw new Error("usage: cli-with-migrations.ts <migrations directory> <args…>");
useTenantMigrations(directory);
await import("@oryn/provisioner/cli");
