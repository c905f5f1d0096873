import { cpSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  connect,
  currentVersion,
  latestVersion,
  type Sql,
  tenantDatabaseName,
  tenantMigrations,
  withDatabase,
} from "@oryn/shared";
import { runCli } from "@oryn/testing/cli";
import { serviceEnv } from "@oryn/testing/context";
import { isolatedRun } from "@oryn/testing/isolated-run";
import { activeTenants, insertTenant, provisioningDeps } from "@oryn/testing/tenants";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { FleetMigrationReport } from "../src/fleet/fleet-migrate.ts";

/** Where the real history ends: the version tenants are at before the test's 9001. */
const released = latestVersion(tenantMigrations);

// The real tenant history plus one test migration, in a directory of the test's own: the real
// directory never sees a fake migration.
const migrations = mkdtempSync(join(tmpdir(), "oryn-fleet-migrations-"));
cpSync(tenantMigrations, migrations, { recursive: true });
writeFileSync(
  join(migrations, "9001_fleet_test.sql"),
  "alter table projects add column fleet_label text;\n" +
    "create index projects_fleet_label on projects (fleet_label);\n",
);

let run: Awaited<ReturnType<typeof isolatedRun>>;
let deps: ReturnType<typeof provisioningDeps>;
let env: Record<string, string>;
let tenants: string[];
let broken: string;

beforeAll(async () => {
  run = await isolatedRun("fleet");
  deps = provisioningDeps(run);
  tenants = (await activeTenants(deps, 4)).sort();
  // The first by id, so it is the `--canary 1` tenant. Its database has an object of the name
  // the migration creates, as a hand-made fix in production might have left.
  broken = tenants[0] as string;
  await inTenantDatabase(
    broken,
    (sql) => sql`create index projects_fleet_label on projects (name)`,
  );
  // Neither has a database: a run that tried them would report them as failures.
  await insertTenant(deps.controlPlane);
  const deleted = await insertTenant(deps.controlPlane);
  await deps.controlPlane`update tenants set status = 'deleted' where id = ${deleted}`;
  env = serviceEnv(run);
}, 60_000);
afterAll(async () => {
  await deps?.close();
  await run?.drop();
  rmSync(migrations, { recursive: true, force: true });
});

async function inTenantDatabase<T>(tenantId: string, work: (sql: Sql) => Promise<T>): Promise<T> {
  const sql = connect(withDatabase(run.postgresUrl, tenantDatabaseName(tenantId)), { max: 1 });
  try {
    return await work(sql);
  } finally {
    await sql.end();
  }
}

async function schemaVersions(): Promise<Record<string, number>> {
  const rows = await deps.controlPlane<{ id: string; schemaVersion: number }[]>`
    select id, schema_version from tenants where id in ${deps.controlPlane(tenants)}`;
  return Object.fromEntries(rows.map((row) => [row.id, row.schemaVersion]));
}

type RecordedRun = {
  id: string;
  state: string;
  report: FleetMigrationReport | null;
  finishedAt: Date | null;
};

/** The control plane's run history, oldest first. */
const recordedRuns = () => deps.controlPlane<RecordedRun[]>`
  select id, state, report, finished_at from fleet_migration_runs order by started_at`;

/**
 * Runs the CLI and reads back the runs it recorded (those not there before it), so that each
 * test checks the history its own command wrote, whatever ran before it.
 */
async function cliRecording(args: string[]) {
  const before = new Set((await recordedRuns()).map((row) => row.id));
  const result = await runCli(args, env, { tenantMigrations: migrations });
  const recorded = (await recordedRuns()).filter((row) => !before.has(row.id));
  return { ...result, recorded };
}

async function migrateCli(...args: string[]) {
  const result = await cliRecording(["migrate", "--json", ...args]);
  return { ...result, report: JSON.parse(result.stdout || "null") as FleetMigrationReport };
}

/** A finished run recorded once, in the state its report says, with that report. */
function expectRecordedOnce(
  run: Awaited<ReturnType<typeof migrateCli>>,
  state: "succeeded" | "failed",
) {
  expect(run.recorded).toHaveLength(1);
  expect(run.recorded[0]?.state).toBe(state);
  expect(run.recorded[0]?.finishedAt).not.toBeNull();
  expect(run.recorded[0]?.report).toEqual(run.report);
}

describe("pnpm oryn migrate", () => {
  it("--canary stops, exit 1, when a canary tenant fails, and touches no other tenant", async () => {
    const canary = await migrateCli("--canary", "1");
    const { code, report, stderr } = canary;
    expect(code, stderr).toBe(1);
    expect(report.stoppedAfterCanary).toBe(true);
    expectRecordedOnce(canary, "failed");
    expect(report.templates).toEqual([expect.objectContaining({ version: 9001, applied: [9001] })]);
    expect(report.failures).toEqual([
      expect.objectContaining({
        tenantId: broken,
        server: "TENANT_DATABASE_URL",
        migration: "9001_fleet_test",
        error: expect.stringMatching(/projects_fleet_label.*already exists/),
      }),
    ]);
    expect(Object.values(await schemaVersions())).toEqual([released, released, released, released]);
  });

  it("migrates every other tenant despite one failure, records schema_version, exits 1", async () => {
    const failing = await migrateCli("--concurrency", "2");
    const { code, report, stderr } = failing;
    expect(code, stderr).toBe(1);
    expect(report.tenants).toMatchObject({ behind: 4, migrated: 3, failed: 1, skipped: 0 });
    expect(report.failures.map((failure) => failure.tenantId)).toEqual([broken]);
    expectRecordedOnce(failing, "failed");
    expect(failing.recorded[0]?.report?.failures.map((failure) => failure.tenantId)).toEqual([
      broken,
    ]);
    // Progress went to stderr; stdout held the JSON alone (it parsed).
    expect(stderr).toMatch(/tenant databases migrated: 4\/4 \(1 failed\)/);
    const versions = await schemaVersions();
    for (const tenantId of tenants) {
      const expected = tenantId === broken ? released : 9001;
      expect(versions[tenantId]).toBe(expected);
      expect(await inTenantDatabase(tenantId, currentVersion)).toBe(expected);
    }
    const [column] = await inTenantDatabase(
      tenants[1] as string,
      (sql) => sql`select 1 from information_schema.columns
                   where table_name = 'projects' and column_name = 'fleet_label'`,
    );
    expect(column).toBeDefined();
  });

  it("a re-run resumes with the tenants still behind, and one with none behind does nothing", async () => {
    await inTenantDatabase(broken, (sql) => sql`drop index projects_fleet_label`);
    const resumed = await migrateCli();
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.report.tenants).toMatchObject({
      behind: 1,
      migrated: 1,
      alreadyUpToDate: 3,
      failed: 0,
    });
    expect((await schemaVersions())[broken]).toBe(9001);
    expectRecordedOnce(resumed, "succeeded");

    const noop = await migrateCli();
    expect(noop.code, noop.stderr).toBe(0);
    expect(noop.report.templates[0]?.applied).toEqual([]);
    expect(noop.report.tenants).toMatchObject({ behind: 0, migrated: 0, alreadyUpToDate: 4 });
    expect(noop.stderr).not.toMatch(/tenant databases migrated/);
    expectRecordedOnce(noop, "succeeded");
  });

  it("refuses to run beside another fleet migration of the same control plane", async () => {
    const holder = connect(run.controlPlaneUrl, { max: 1 });
    try {
      const connection = await holder.reserve();
      await connection`select pg_advisory_lock(7310003)`;
      const { code, stderr, recorded } = await cliRecording(["migrate"]);
      expect(code).toBe(1);
      expect(stderr).toMatch(/another fleet migration is running/);
      // Refused before it took the lock: no row.
      expect(recorded).toEqual([]);
      connection.release();
    } finally {
      await holder.end();
    }
  });

  it("refuses bad flags with a usage line", async () => {
    const { code, stderr, recorded } = await cliRecording(["migrate", "--canary", "0"]);
    expect(code).toBe(2);
    expect(stderr).toMatch(/usage: pnpm oryn migrate/);
    expect(recorded).toEqual([]);
  });

  // Independent of the tests above: run alone, the broken tenant is still behind with its
  // hand-made index, so it is mended first, as the re-run test does; then the run must succeed.
  it("records each run and its report in the control plane; a run killed midway is marked interrupted by the next", async () => {
    if ((await schemaVersions())[broken] === released) {
      await inTenantDatabase(broken, (sql) => sql`drop index if exists projects_fleet_label`);
    }
    // A run SIGKILLed midway leaves its row running; the next run (under the lock, so none is
    // live) marks it interrupted and records its own.
    const [killed] = await deps.controlPlane<{ id: string }[]>`
      insert into fleet_migration_runs (target_version, concurrency) values (9001, 4)
      returning id`;
    const next = await migrateCli();
    expect(next.code, next.stderr).toBe(0);
    expectRecordedOnce(next, "succeeded");
    const history = await recordedRuns();
    const interrupted = history.find((row) => row.id === killed?.id);
    expect(interrupted?.state).toBe("interrupted");
    expect(interrupted?.finishedAt).not.toBeNull();
    expect(history.slice(-2).map((row) => row.id)).toEqual([killed?.id, next.recorded[0]?.id]);
    expect(history.at(-1)?.report).toEqual(next.report);
  });
});
