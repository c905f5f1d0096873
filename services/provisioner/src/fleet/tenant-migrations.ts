import { tenantMigrations } from "@oryn/shared";

/**
 * The tenant migration history this process applies: Oryn's own. A test entry point
 * (packages/testing/src/cli-with-migrations.ts) sets another before `pnpm oryn` starts, so a
 * test or the bench can add a migration without touching the real history; nothing in the
 * environment can, so a production process never applies anything else.
 */
let source: string = tenantMigrations;

export function tenantMigrationsDir(): string {
  return source;
}

export function useTenantMigrations(directory: string): void {
  source = directory;
}
