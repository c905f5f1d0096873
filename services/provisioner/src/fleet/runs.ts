import type { Sql } from "@oryn/shared";
import type { Row } from "@oryn/shared/control-plane/schema";
import type { FleetMigrationReport } from "./fleet-migrate.ts";

/**
 * The `fleet_migration_runs` table is the provisioner's alone (`pnpm oryn migrate` records each
 * run here, the operator views read the last), so its queries are here, in the one service.
 */
export type FleetRunState = Row<"fleet_migration_runs">["state"];

/** One fleet migration as the control plane keeps it (migration 0019); `report` is its jsonb. */
export type FleetRun = Pick<
  Row<"fleet_migration_runs">,
  "id" | "startedAt" | "finishedAt" | "state" | "targetVersion" | "canary" | "concurrency" | "error"
> & {
  report: FleetMigrationReport | null;
};

/**
 * Called under the fleet lock: no other run is live, so one still `running` was killed midway
 * and is marked `interrupted` before this one is recorded.
 */
export async function recordRunStart(
  sql: Sql,
  run: { targetVersion: number; canary: number | null; concurrency: number },
): Promise<string> {
  return sql.begin(async (tx) => {
    await tx`
      update fleet_migration_runs set state = 'interrupted', finished_at = clock_timestamp()
      where state = 'running'`;
    const [row] = await tx<{ id: string }[]>`
      insert into fleet_migration_runs (target_version, canary, concurrency)
      values (${run.targetVersion}, ${run.canary}, ${run.concurrency})
      returning id`;
    if (!row) throw new Error("insert returned nothing");
    return row.id;
  });
}

/** A report with a failure (or a stopped canary) is a failed run; a thrown error, too. */
export async function recordRunEnd(
  sql: Sql,
  runId: string,
  end: { report: FleetMigrationReport } | { error: string },
): Promise<void> {
  if ("report" in end) {
    const failed = end.report.failures.length > 0 || end.report.stoppedAfterCanary;
    await sql`
      update fleet_migration_runs
      set state = ${failed ? "failed" : "succeeded"}, finished_at = clock_timestamp(),
          report = ${sql.json(end.report as never)}
      where id = ${runId}`;
  } else {
    await sql`
      update fleet_migration_runs
      set state = 'failed', finished_at = clock_timestamp(), error = ${end.error}
      where id = ${runId}`;
  }
}

/** The latest run, whatever its state; undefined before the first. */
export async function lastFleetRun(sql: Sql): Promise<FleetRun | undefined> {
  const [row] = await sql<FleetRun[]>`
    select id, started_at, finished_at, state, target_version, canary, concurrency, report, error
    from fleet_migration_runs order by started_at desc limit 1`;
  return row;
}
