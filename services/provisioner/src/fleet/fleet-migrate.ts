import {
  createJobWorker,
  enqueueMany,
  type Logger,
  latestVersion,
  MigrationFailedError,
  type Queues,
  type RedisClient,
  type Sql,
} from "@oryn/shared";
import {
  countTenantsAtVersion,
  listTenantsBelowVersion,
  type TenantBehind,
} from "@oryn/shared/control-plane/tables/tenants";
import type { ServerAdmins } from "../servers/admins.ts";
import {
  migratedStatuses,
  migrateTenantDatabase,
  type TenantMigrationOutcome,
} from "./migrate-tenant.ts";
import { recordRunEnd, recordRunStart } from "./runs.ts";
import { fleetServers } from "./servers.ts";
import { migrateSpares, type SpareMigrationResult } from "./spares.ts";
import { migrateTemplates, type TemplateResult } from "./templates.ts";

export type FleetDeps = {
  controlPlane: Sql;
  admins: ServerAdmins;
  template: string;
  /** The tenant migration history to apply; its latest version is the target. */
  migrations: string;
  queues: Queues;
  /** Redis for the worker this run starts. */
  connection: RedisClient;
  prefix: string;
  logger: Logger;
};

export type FleetFailure = {
  tenantId: string;
  slug: string;
  server: string;
  /** The migration file that failed (`NNNN_name`), or null when none ran (e.g. no connection). */
  migration: string | null;
  error: string;
};

export type FleetMigrationReport = {
  targetVersion: number;
  templates: TemplateResult[];
  /** The warm pool's unclaimed spares, brought to the target like the templates. */
  spares: SpareMigrationResult;
  canary: number | null;
  /** The canary had a failure, so the rest of the fleet was not touched. */
  stoppedAfterCanary: boolean;
  tenants: {
    /** Active or restricted tenants already at the target when the run began (not enqueued). */
    alreadyUpToDate: number;
    behind: number;
    migrated: number;
    /** Enqueued, but deleted, suspended or migrated by someone else before their turn. */
    skipped: number;
    failed: number;
  };
  failures: FleetFailure[];
  ms: number;
};

// Arbitrary but fixed, in the control plane: one fleet migration at a time per control plane.
const fleetLockKey = 7_310_003;

/**
 * `pnpm oryn migrate`: templates first, then every active or restricted tenant that is behind,
 * as `migrateTenantDatabase` jobs on the `fleet-migrations` queue, run by a worker in this
 * process with `concurrency` jobs at once. A failure is recorded and the others go on; with
 * `canary`, the first `canary` tenants (by id, so a re-run's canary is the same) go alone first
 * and any failure among them stops the run. Resuming needs no state of its own:
 * tenants.schema_version says who is behind, so a re-run picks up exactly those.
 */
export async function migrateFleet(
  deps: FleetDeps,
  options: {
    concurrency: number;
    canary?: number;
    onProgress?: (done: number, failed: number, total: number) => void;
  },
): Promise<FleetMigrationReport> {
  const lock = await deps.controlPlane.reserve();
  try {
    const [row] = await lock<{ locked: boolean }[]>`
      select pg_try_advisory_lock(${fleetLockKey}) as locked`;
    if (!row?.locked) throw new Error("another fleet migration is running on this control plane");
    try {
      const runId = await recordRunStart(deps.controlPlane, {
        targetVersion: latestVersion(deps.migrations),
        canary: options.canary ?? null,
        concurrency: options.concurrency,
      });
      try {
        const report = await migrateUnderLock(deps, options);
        await recordRunEnd(deps.controlPlane, runId, { report });
        return report;
      } catch (error) {
        await recordRunEnd(deps.controlPlane, runId, { error: messageOf(error) }).catch(
          (recording: unknown) =>
            deps.logger.warn({ err: recording }, "could not record the failed fleet migration"),
        );
        throw error;
      }
    } finally {
      await lock`select pg_advisory_unlock(${fleetLockKey})`;
    }
  } finally {
    lock.release();
  }
}

async function migrateUnderLock(
  deps: FleetDeps,
  options: Parameters<typeof migrateFleet>[1],
): Promise<FleetMigrationReport> {
  const started = performance.now();
  const targetVersion = latestVersion(deps.migrations);
  const servers = await fleetServers(deps.controlPlane, deps.admins);
  const templates = await migrateTemplates({ ...deps, servers });
  const spares = await migrateSpares(deps, targetVersion, options.concurrency);

  const upToDate = await countTenantsAtVersion(deps.controlPlane, migratedStatuses, targetVersion);
  const behind = await listTenantsBelowVersion(deps.controlPlane, migratedStatuses, targetVersion);

  const report: FleetMigrationReport = {
    targetVersion,
    templates,
    spares,
    canary: options.canary ?? null,
    stoppedAfterCanary: false,
    tenants: {
      alreadyUpToDate: upToDate,
      behind: behind.length,
      migrated: 0,
      skipped: 0,
      failed: 0,
    },
    failures: [],
    ms: 0,
  };
  if (behind.length > 0) {
    await runJobs(deps, options, targetVersion, behind, report);
  }
  report.ms = Math.round(performance.now() - started);
  return report;
}

async function runJobs(
  deps: FleetDeps,
  options: Parameters<typeof migrateFleet>[1],
  targetVersion: number,
  behind: TenantBehind[],
  report: FleetMigrationReport,
): Promise<void> {
  const queue = deps.queues.get("fleet-migrations");
  // Under the fleet lock nobody else works this queue: jobs a killed run left behind are
  // dropped, and schema_version (not the queue) says where to resume.
  await queue.obliterate({ force: true });

  const byId = new Map(behind.map((tenant) => [tenant.id, tenant]));
  let settled = 0;
  let onSettled: (tenantId: string) => void = () => {};
  const settle = (tenantId: string, result: TenantMigrationOutcome | { error: unknown }) => {
    const tenant = byId.get(tenantId);
    if (!tenant) return;
    settled++;
    if ("error" in result) {
      const { error } = result;
      report.tenants.failed++;
      report.failures.push({
        tenantId,
        slug: tenant.slug,
        server: tenant.server,
        migration: error instanceof MigrationFailedError ? error.migration : null,
        error: messageOf(error instanceof MigrationFailedError ? error.cause : error),
      });
      deps.logger.warn({ err: error, tenantId, server: tenant.server }, "tenant migration failed");
    } else if (result.outcome === "migrated") {
      report.tenants.migrated++;
    } else if (result.outcome === "up_to_date") {
      report.tenants.alreadyUpToDate++;
    } else {
      report.tenants.skipped++;
    }
    options.onProgress?.(settled, report.tenants.failed, behind.length);
    onSettled(tenantId);
  };

  const worker = createJobWorker({
    queue: "fleet-migrations",
    connection: deps.connection,
    prefix: deps.prefix,
    concurrency: options.concurrency,
    logger: deps.logger,
    handlers: {
      migrateTenantDatabase: ({ tenantId, targetVersion: target }) =>
        migrateTenantDatabase(
          { controlPlane: deps.controlPlane, servers: deps.admins, migrations: deps.migrations },
          tenantId,
          target,
        ),
    },
  });
  worker.on("completed", (job, result: TenantMigrationOutcome) =>
    settle(job.data.tenantId, result),
  );
  worker.on("failed", (job, error) => {
    if (job) settle(job.data.tenantId, { error });
  });

  const runBatch = async (batch: TenantBehind[]) => {
    if (batch.length === 0) return;
    const pending = new Set(batch.map((tenant) => tenant.id));
    const done = new Promise<void>((resolve) => {
      onSettled = (tenantId) => {
        pending.delete(tenantId);
        if (pending.size === 0) resolve();
      };
    });
    await enqueueMany(
      deps.queues,
      "migrateTenantDatabase",
      batch.map((tenant) => ({ tenantId: tenant.id, targetVersion })),
    );
    await done;
  };

  try {
    const canary = Math.min(options.canary ?? 0, behind.length);
    await runBatch(behind.slice(0, canary));
    if (canary > 0 && report.tenants.failed > 0) {
      report.stoppedAfterCanary = true;
      return;
    }
    await runBatch(behind.slice(canary));
  } finally {
    await worker.close();
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
