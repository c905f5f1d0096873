import { cpSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { tenantMigrations } from "@oryn/shared";
import { runCli } from "@oryn/testing/cli";
import type { Scenario } from "../lib/scenario.ts";
import { round } from "../lib/stats.ts";

const benchMigration =
  "alter table projects add column bench_label text;\n" +
  "create index projects_bench_label on projects (bench_label);\n";
const concurrency = 4;
/**
 * 8. Fleet migration: the real `pnpm oryn migrate` as a process over every tenant of the stack
 * (the many-tenant scenario's, plus the provisioning scenario's signups when it ran), with one
 * bench-only migration adding a column and an index to `projects`; then a re-run with nothing
 * to apply. The migration lives in a temporary copy of the tenant history that the CLI's test
 * entry point applies (`runCli`'s `tenantMigrations`); the real history is not touched. Runs
 * last: it moves the template past the real history.
 */
export const fleet: Scenario = {
  name: "fleet",
  title: "pnpm oryn migrate over every tenant database: a column and an index, then a no-op",
  async run(context) {
    const { stack, settings } = context;
    await context.tenants(settings.tenants);
    const [{ count } = { count: 0 }] = await stack.controlPlane<{ count: number }[]>`
      select count(*)::int as count from tenants where status = 'active'`;
    const migrations = mkdtempSync(join(tmpdir(), "oryn-benchsuite-migrations-"));
    stack.defer(() => rmSync(migrations, { recursive: true, force: true }));
    cpSync(tenantMigrations, migrations, { recursive: true });
    writeFileSync(join(migrations, "9001_bench_column_and_index.sql"), benchMigration);
    const env = {
      PATH: process.env.PATH ?? "",
      ...stack.oryn.env.provisioner,
    };
    const placement = { cpus: settings.serverCpus };
    const all = await timedCli(
      ["migrate", "--json", "--concurrency", `${concurrency}`],
      env,
      placement,
      migrations,
    );
    const noop = await timedCli(["migrate", "--json"], env, placement, migrations);
    return {
      tenantDatabases: count,
      migration: benchMigration,
      concurrency,
      migrateAll: {
        wallMs: all.wallMs,
        commandMs: all.report.ms,
        migrated: all.report.tenants.migrated,
        failed: all.report.tenants.failed,
        perTenantMs: round(all.report.ms / Math.max(1, all.report.tenants.migrated), 1),
      },
      noopRerun: {
        wallMs: noop.wallMs,
        commandMs: noop.report.ms,
        behind: noop.report.tenants.behind,
      },
    };
  },
};

type Report = { ms: number; tenants: { migrated: number; failed: number; behind: number } };

async function timedCli(
  cliArgs: string[],
  env: Record<string, string>,
  placement: { cpus: string | undefined },
  tenantMigrations: string,
): Promise<{ wallMs: number; report: Report }> {
  const started = performance.now();
  // No timeout a test would use: the fleet of a full run is 1,000 databases or more.
  const { code, stdout, stderr } = await runCli(cliArgs, env, {
    placement,
    timeoutMs: 0,
    tenantMigrations,
  });
  process.stderr.write(stderr);
  const wallMs = Math.round(performance.now() - started);
  try {
    return { wallMs, report: JSON.parse(stdout) as Report };
  } catch {
    throw new Error(`pnpm oryn ${cliArgs.join(" ")} exited ${code} with no report: ${stderr}`);
  }
}
