/**
 * `pnpm bench:fleet`: how long `pnpm oryn migrate` takes over many tenant databases, and how long
 * a re-run with nothing to do takes. Results go to bench/results/<date>-fleet.json.
 *
 * It starts a throwaway PostgreSQL server of its own (fsync=off, full_page_writes=off: numbers
 * for comparing runs, not what a durable server does), puts the control plane, the template and
 * BENCH_TENANTS (default 1000) tenant databases cloned from it there, and runs the real CLI as a
 * process, twice. The migration is bench-only (a column and an index on `projects`), in a
 * temporary directory holding a copy of the real tenant history plus it, passed through
 * ORYN_TEST_TENANT_MIGRATIONS_DIR (hence NODE_ENV=test for the CLI); the real history is not
 * touched. Redis is the local one, under a prefix of its own, removed at the end.
 *
 * Tenants are made as fast as possible, not through provisioning: a control-plane row (active,
 * at the template's version) and CREATE DATABASE … TEMPLATE; no tenant role, which a fleet
 * migration never uses. If making them takes longer than BENCH_CREATE_SECONDS (300), the bench
 * goes on with the tenants made so far and says so.
 */
import { execFile } from "node:child_process";
import { randomBytes, randomUUID } from "node:crypto";
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import {
  connect,
  controlPlaneMigrations,
  ensureDatabase,
  latestVersion,
  migrate,
  tenantDatabaseName,
  tenantMigrations,
  withDatabase,
} from "@oryn/shared";
import {
  ensureTemplate,
  withDatabaseConnection,
} from "../services/provisioner/src/provisioning/tenant-database.ts";
import { ensureDefaultServer } from "../services/provisioner/src/servers/registry.ts";
import { unlinkKeys } from "../test/harness/cleanup.ts";
import { startThrowawayPostgres } from "../test/harness/postgres-server.ts";

const wanted = Number(process.env.BENCH_TENANTS ?? 1000);
const createBudgetMs = Number(process.env.BENCH_CREATE_SECONDS ?? 300) * 1000;
const concurrency = Number(process.env.BENCH_CONCURRENCY ?? 4);
const redisUrl = process.env.ORYN_TEST_REDIS_URL ?? "redis://127.0.0.1:6379";
const benchMigration =
  "alter table projects add column bench_label text;\n" +
  "create index projects_bench_label on projects (bench_label);\n";

const log = (line: string) => console.log(`[bench:fleet] ${line}`);
const server = await startThrowawayPostgres({ label: "fleet" });
log(`throwaway PostgreSQL on port ${server.port} with fsync=off, full_page_writes=off`);
const redisPrefix = `oryn-bench-fleet-${randomBytes(3).toString("hex")}`;
const migrations = mkdtempSync(join(tmpdir(), "oryn-bench-migrations-"));
const cli = join(import.meta.dirname, "..", "services", "provisioner", "src", "cli", "main.ts");

try {
  cpSync(tenantMigrations, migrations, { recursive: true });
  writeFileSync(join(migrations, "9001_bench_column_and_index.sql"), benchMigration);

  const controlPlaneUrl = withDatabase(server.url, "oryn_bench");
  const template = "oryn_bench_template";
  await ensureDatabase(controlPlaneUrl);
  const controlPlane = connect(controlPlaneUrl, { max: 4 });
  const admin = connect(server.url, { max: 4 });
  try {
    await migrate(controlPlane, controlPlaneMigrations);
    await ensureDefaultServer(controlPlane, server.url, 100_000);
    // The template at the real history's version; the fleet migration brings it to 9001.
    await ensureTemplate(admin, controlPlane, template, async () => {
      await withDatabaseConnection(server.url, template, (sql) => migrate(sql, tenantMigrations));
    });
    const version = latestVersion(tenantMigrations);

    const createStarted = performance.now();
    let made = 0;
    let outOfTime = false;
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        while (made < wanted) {
          if (performance.now() - createStarted > createBudgetMs) {
            outOfTime = true;
            return;
          }
          made++;
          const id = randomUUID();
          await controlPlane`
            insert into tenants (id, slug, name, status, schema_version, server_id)
            values (${id}, ${`b-${id.slice(0, 8)}-${id.slice(9, 13)}`}, 'Bench tenant', 'active', ${version},
                    (select id from database_servers where name = 'default'))`;
          await admin`create database ${admin(tenantDatabaseName(id))} template ${admin(template)}`;
        }
      }),
    );
    const [{ tenants } = { tenants: 0 }] = await controlPlane<{ tenants: number }[]>`
      select count(*)::int as tenants from tenants`;
    const createSeconds = Math.round((performance.now() - createStarted) / 100) / 10;
    log(
      `made ${tenants} tenant databases in ${createSeconds} s` +
        (outOfTime ? ` (stopped at the ${createBudgetMs / 1000} s budget; ${wanted} wanted)` : ""),
    );

    const env = {
      PATH: process.env.PATH ?? "",
      NODE_ENV: "test",
      LOG_LEVEL: "warn",
      DATABASE_URL: controlPlaneUrl,
      REDIS_URL: redisUrl,
      REDIS_PREFIX: redisPrefix,
      TENANT_DATABASE_URL: server.url,
      TENANT_TEMPLATE_DATABASE: template,
      ORYN_TEST_TENANT_MIGRATIONS_DIR: migrations,
    };
    const all = await timedCli(["migrate", "--json", "--concurrency", String(concurrency)], env);
    log(
      `migrate: ${all.report.tenants.migrated} migrated, ${all.report.tenants.failed} failed, ` +
        `${all.wallMs} ms wall (${all.report.ms} ms inside the command)`,
    );
    const noop = await timedCli(["migrate", "--json"], env);
    log(`no-op re-run: ${noop.wallMs} ms wall (${noop.report.ms} ms inside the command)`);

    const date = new Date().toISOString().slice(0, 10);
    const results = {
      date: new Date().toISOString(),
      machine: { cpus: cpus().length, model: cpus()[0]?.model, node: process.version },
      postgres: {
        server: "throwaway PostgreSQL 15 started by the bench, same machine",
        fsync: "off",
        full_page_writes: "off",
        note: "fsync off: figures for comparison, not what a durable server does",
      },
      tenants,
      tenantsWanted: wanted,
      createdWithinBudget: !outOfTime,
      createSeconds,
      migration: benchMigration,
      tenantTables: "as the template makes them: empty",
      concurrency,
      migrateAll: {
        wallMs: all.wallMs,
        commandMs: all.report.ms,
        migrated: all.report.tenants.migrated,
        failed: all.report.tenants.failed,
        perTenantMs:
          Math.round((all.report.ms / Math.max(1, all.report.tenants.migrated)) * 10) / 10,
      },
      noopRerun: {
        wallMs: noop.wallMs,
        commandMs: noop.report.ms,
        behind: noop.report.tenants.behind,
      },
    };
    mkdirSync(join(import.meta.dirname, "results"), { recursive: true });
    const file = join(import.meta.dirname, "results", `${date}-fleet.json`);
    writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
    log(`wrote ${file}`);
  } finally {
    await Promise.all([controlPlane.end(), admin.end()]);
  }
} finally {
  await server.remove();
  rmSync(migrations, { recursive: true, force: true });
  await unlinkKeys(redisUrl, [`{${redisPrefix}}:*`, `${redisPrefix}:*`]);
  log("removed the throwaway server and the bench's Redis keys");
}

type Report = {
  ms: number;
  tenants: { migrated: number; failed: number; behind: number };
};

function timedCli(args: string[], env: Record<string, string>) {
  const started = performance.now();
  return new Promise<{ wallMs: number; report: Report }>((resolve, reject) => {
    execFile(
      process.execPath,
      [cli, ...args],
      { env, maxBuffer: 64 << 20 },
      (error, stdout, stderr) => {
        process.stderr.write(stderr);
        const wallMs = Math.round(performance.now() - started);
        try {
          resolve({ wallMs, report: JSON.parse(stdout) as Report });
        } catch {
          reject(error ?? new Error(`no report: ${stderr}`));
        }
      },
    );
  });
}
