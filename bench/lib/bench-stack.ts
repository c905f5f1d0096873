/**
 * What the benches share: Oryn's four services as real processes on the local PostgreSQL and
 * Redis (or ORYN_TEST_POSTGRES_URL / ORYN_TEST_REDIS_URL), with a control-plane database,
 * template and Redis prefix of their own, removed at the end; and the results file.
 */
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import {
  connect,
  controlPlaneMigrations,
  ensureDatabase,
  migrate,
  type Sql,
  withDatabase,
} from "@oryn/shared";
import { removeRun } from "../../test/harness/cleanup.ts";
import { type Infrastructure, resolveInfrastructure } from "../../test/harness/infrastructure.ts";
import { type Oryn, type ServiceName, startOryn } from "../../test/harness/processes.ts";

export type BenchStack = {
  oryn: Oryn;
  infrastructure: Infrastructure;
  controlPlane: Sql;
  templateDatabase: string;
  /** Stops the services and removes everything the stack made. */
  close(): Promise<void>;
};

export async function startBenchStack(
  name: string,
  settings: Record<string, string>,
  overrides: Partial<Record<ServiceName, Record<string, string>>> = {},
): Promise<BenchStack> {
  const infrastructure = await resolveInfrastructure();
  const runId = `${name}${Date.now().toString(36)}`;
  const controlPlaneDatabase = `oryn_${runId}`;
  const controlPlaneUrl = withDatabase(infrastructure.postgresUrl, controlPlaneDatabase);
  const templateDatabase = `oryn_tpl_${runId}`;
  const redisPrefix = `oryn-${runId}`;
  const secretsDir = mkdtempSync(join(tmpdir(), "oryn-bench-"));
  console.log(`[bench] ${infrastructure.source}; control plane ${controlPlaneDatabase}`);

  const remove = () =>
    removeRun({
      postgresUrl: infrastructure.postgresUrl,
      controlPlaneDatabase,
      templateDatabase,
      redisUrl: infrastructure.redisUrl,
      redisPrefix,
    });
  await ensureDatabase(controlPlaneUrl);
  const controlPlane = connect(controlPlaneUrl, { max: 2 });
  await migrate(controlPlane, controlPlaneMigrations);
  // A start that fails (a service not healthy in time on a busy machine) leaves nothing behind.
  const oryn = await startOryn(
    {
      NODE_ENV: "test",
      LOG_LEVEL: "warn",
      DATABASE_URL: controlPlaneUrl,
      REDIS_URL: infrastructure.redisUrl,
      REDIS_PREFIX: redisPrefix,
      TENANT_DATABASE_URL: infrastructure.postgresUrl,
      TENANT_DATABASE_SERVER: `postgres://${new URL(infrastructure.postgresUrl).host}`,
      TENANT_TEMPLATE_DATABASE: templateDatabase,
      TENANT_DB_PASSWORD_SECRET: randomBytes(32).toString("base64url"),
      SECRETS_DIR: secretsDir,
      // The limiter is not what the benches measure: every bucket out of the way (status polls
      // count against each tenant's plan, and the plans' burst windows are small).
      RATE_LIMIT_IP_PER_MINUTE: "100000000",
      RATE_LIMIT_TENANT_PER_MINUTE: "100000000",
      RATE_LIMIT_TENANT_PER_SECOND: "100000000",
      ...settings,
    },
    overrides,
  ).catch(async (error: unknown) => {
    await controlPlane.end();
    await remove();
    rmSync(secretsDir, { recursive: true, force: true });
    await infrastructure.stop();
    throw error;
  });
  return {
    oryn,
    infrastructure,
    controlPlane,
    templateDatabase,
    async close() {
      await oryn.stop();
      await controlPlane.end();
      await remove();
      rmSync(secretsDir, { recursive: true, force: true });
      await infrastructure.stop();
    },
  };
}

/** Writes bench/results/<date><suffix>.json with the machine and command, and prints it. */
export function writeResults(
  suffix: string,
  report: { command: string; note: string; results: unknown; [extra: string]: unknown },
): void {
  const full = {
    date: new Date().toISOString(),
    machine: { cpus: cpus().length, model: cpus()[0]?.model, node: process.version },
    ...report,
  };
  const dir = join(import.meta.dirname, "..", "results");
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${full.date.slice(0, 10)}${suffix}.json`);
  writeFileSync(file, `${JSON.stringify(full, null, 2)}\n`);
  console.log(JSON.stringify(report.results, null, 2));
  console.log(`[bench] written to ${file}`);
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return (
    sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN
  );
}

/** Count, median and p95 of durations in milliseconds, to a tenth. */
export const summary = (values: number[]) => ({
  n: values.length,
  medianMs: Math.round(percentile(values, 50) * 10) / 10,
  p95Ms: Math.round(percentile(values, 95) * 10) / 10,
});
export { percentile };
