import { type FleetMigrationReport, migrateFleet } from "../fleet/fleet-migrate.ts";
import { tenantMigrationsDir } from "../fleet/tenant-migrations.ts";
import type { CliContext } from "./context.ts";
import { printAnswer, progressLine } from "./output.ts";

/**
 * `oryn migrate [--canary N] [--concurrency N]`: the tenant migrations of this release applied to
 * every server's template, then to every active or restricted tenant database. Exit 1 if any
 * template or tenant failed (or the canary did), 0 otherwise.
 */
export async function migrateCommand(
  context: CliContext,
  flags: { json: boolean; canary?: string; concurrency?: string },
): Promise<number> {
  const canary = flags.canary === undefined ? undefined : Number(flags.canary);
  const concurrency = Number(flags.concurrency ?? 4);
  if (
    (canary !== undefined && (!Number.isInteger(canary) || canary < 1)) ||
    !Number.isInteger(concurrency) ||
    concurrency < 1 ||
    concurrency > 64
  ) {
    console.error("usage: pnpm oryn migrate [--canary <n ≥ 1>] [--concurrency <1..64>] [--json]");
    return 2;
  }
  const { config } = context;
  let progress: ReturnType<typeof progressLine> | undefined;
  const report = await migrateFleet(
    {
      controlPlane: context.controlPlane,
      admins: context.servers,
      template: config.TENANT_TEMPLATE_DATABASE,
      migrations: tenantMigrationsDir(),
      queues: context.queues(),
      connection: context.redis(),
      prefix: config.REDIS_PREFIX,
      logger: context.logger,
    },
    {
      concurrency,
      ...(canary ? { canary } : {}),
      onProgress(done, failed, total) {
        progress ??= progressLine("tenant databases migrated", total);
        progress.tick(done, failed);
      },
    },
  );
  progress?.end();
  printAnswer(flags.json, report, () => describe(report));
  return report.failures.length > 0 ? 1 : 0;
}

function describe(report: FleetMigrationReport): string[] {
  const { tenants } = report;
  return [
    `target version ${report.targetVersion}`,
    ...report.templates.map(
      (template) =>
        `template on ${template.server}: version ${template.version}` +
        (template.applied.length ? ` (applied ${template.applied.join(", ")})` : ""),
    ),
    ...(report.spares.migrated || report.spares.dropped
      ? [
          `spare databases: ${report.spares.migrated} migrated, ` +
            `${report.spares.dropped} dropped (their migration failed)`,
          ...report.spares.failures.map(
            (failure) => `spare ${failure.spare} dropped: ${failure.error}`,
          ),
        ]
      : []),
    `${tenants.migrated} migrated, ${tenants.alreadyUpToDate} already up to date, ` +
      `${tenants.skipped} skipped, ${tenants.failed} failed in ${report.ms} ms`,
    ...(report.stoppedAfterCanary
      ? [`the canary (${report.canary}) failed: the other tenants were not touched`]
      : []),
    ...report.failures.map(
      (failure) =>
        `FAILED ${failure.tenantId} (${failure.slug}) on ${failure.server}: ` +
        `${failure.migration ?? "before any migration"}: ${failure.error}`,
    ),
  ];
}
