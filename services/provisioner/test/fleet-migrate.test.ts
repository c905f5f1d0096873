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

async function migrateCli(...args: string[]) {
  const result = await runCli(["migrate", "--json", ...args], env, {
    tenantMigrations: migrations,
  });
  return { ...result, report: JSON.parse(result.stdout || "null") as FleetMigrationReport };
}

describe("pnpm oryn migrate", () => {
  it("--canary stops, exit 1, when a canary tenant fails, and touches no other tenant", async () => {
    const { code, report, stderr } = await migrateCli("--canary", "1");
    expect(code, stderr).toBe(1);
    expect(report.stoppedAfterCanary).toBe(true);
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
    const { code, report, stderr } = await migrateCli("--concurrency", "2");
    expect(code, stderr).toBe(1);
    expect(report.tenants).toMatchObject({ behind: 4, migrated: 3, failed: 1, skipped: 0 });
    expect(report.failures.map((failure) => failure.tenantId)).toEqual([broken]);
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

    const noop = await migrateCli();
    expect(noop.code, noop.stderr).toBe(0);
    expect(noop.report.templates[0]?.applied).toEqual([]);
    expect(noop.report.tenants).toMatchObject({ behind: 0, migrated: 0, alreadyUpToDate: 4 });
    expect(noop.stderr).not.toMatch(/tenant databases migrated/);
  });

  it("refuses to run beside another fleet migration of the same control plane", async () => {
    const holder = connect(run.controlPlaneUrl, { max: 1 });
    try {
      const connection = await holder.reserve();
      await connection`select pg_advisory_lock(7310003)`;
      const { code, stderr } = await runCli(["migrate"], env, { tenantMigrations: migrations });
      expect(code).toBe(1);
      expect(stderr).toMatch(/another fleet migration is running/);
      connection.release();
    } finally {
      await holder.end();
    }
  });

  it("refuses bad flags with a usage line", async () => {
    const { code, stderr } = await runCli(["migrate", "--canary", "0"], env, {
      tenantMigrations: migrations,
    });
    expect(code).toBe(2);
    expect(stderr).toMatch(/usage: pnpm oryn migrate/);
  });

  it("records each run and its report in the control plane; a run killed midway is marked interrupted by the next", async () => {
    type Run = { state: string; report: FleetMigrationReport | null; finishedAt: Date | null };
    const runs = () => deps.controlPlane<Run[]>`
      select state, report, finished_at from fleet_migration_runs order by started_at`;
    // The runs above: the canary's and the one with a failure failed, the next two succeeded;
    // the one refused its lock and the bad flags left no row.
    const recorded = await runs();
    expect(recorded.map((row) => row.state)).toEqual([
      "failed",
      "failed",
      "succeeded",
      "succeeded",
    ]);
    expect(recorded.every((row) => row.finishedAt !== null)).toBe(true);
    expect(recorded[0]?.report?.stoppedAfterCanary).toBe(true);
    expect(recorded[1]?.report?.failures.map((failure) => failure.tenantId)).toEqual([broken]);

    // A run SIGKILLed midway leaves its row running; the next run (under the lock, so none is
    // live) marks it interrupted and records its own.
    await deps.controlPlane`
      insert into fleet_migration_runs (target_version, concurrency) values (9001, 4)`;
    const next = await migrateCli();
    expect(next.code, next.stderr).toBe(0);
    const after = await runs();
    expect(after.slice(-2).map((row) => row.state)).toEqual(["interrupted", "succeeded"]);
    expect(after.at(-1)?.report).toEqual(next.report);
  });
});
