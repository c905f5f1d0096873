/**
 * `pnpm bench`: signup-to-active through four real processes, and what cloning the template
 * saves over creating and migrating a database. Results go to bench/results/<date>.json.
 *
 * Uses the local PostgreSQL and Redis (or ORYN_TEST_POSTGRES_URL / ORYN_TEST_REDIS_URL) with a
 * control-plane database, template and Redis prefix of its own, removed at the end.
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
  tenantMigrations,
  withDatabase,
} from "@oryn/shared";
import { removeRun } from "../test/harness/cleanup.ts";
import { resolveInfrastructure } from "../test/harness/infrastructure.ts";
import { startOryn } from "../test/harness/processes.ts";

const sequential = Number(process.env.BENCH_SEQUENTIAL ?? 30);
const concurrent = Number(process.env.BENCH_CONCURRENT ?? 50);
const cloneSamples = Number(process.env.BENCH_CLONES ?? 10);

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return (
    sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN
  );
}
const summary = (values: number[]) => ({
  n: values.length,
  medianMs: Math.round(percentile(values, 50) * 10) / 10,
  p95Ms: Math.round(percentile(values, 95) * 10) / 10,
});

const infrastructure = await resolveInfrastructure();
const runId = `bench${Date.now().toString(36)}`;
const controlPlaneDatabase = `oryn_${runId}`;
const controlPlaneUrl = withDatabase(infrastructure.postgresUrl, controlPlaneDatabase);
const templateDatabase = `oryn_tpl_${runId}`;
const redisPrefix = `oryn-${runId}`;
const secretsDir = mkdtempSync(join(tmpdir(), "oryn-bench-"));
console.log(`[bench] ${infrastructure.source}; control plane ${controlPlaneDatabase}`);

await ensureDatabase(controlPlaneUrl);
const controlPlane = connect(controlPlaneUrl, { max: 2 });
await migrate(controlPlane, controlPlaneMigrations);

const oryn = await startOryn({
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
  RATE_LIMIT_IP_PER_MINUTE: "1000000",
  // Status polls count against each tenant's plan; the limiter is not what is measured here.
  RATE_LIMIT_TENANT_PER_MINUTE: "1000000",
  RATE_LIMIT_TENANT_PER_SECOND: "1000000",
  PROVISIONING_CONCURRENCY: process.env.PROVISIONING_CONCURRENCY ?? "4",
});

/** One signup, then GET /v1/tenant every `pollMs` until it is active; returns the client's view. */
async function signUpUntilActive(index: number, pollMs: number): Promise<number> {
  const started = performance.now();
  const slug = `b${index}-${randomBytes(3).toString("hex")}`;
  const answer = await fetch(`${oryn.gatewayUrl}/v1/signup`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      company: { name: slug, slug },
      owner: { email: `${slug}@bench.test`, password: "bench password 123", name: "B" },
    }),
  });
  if (answer.status !== 202)
    throw new Error(`signup answered ${answer.status}: ${await answer.text()}`);
  const { tokens } = (await answer.json()) as { tokens: { accessToken: string } };
  for (;;) {
    const tenant = await fetch(`${oryn.gatewayUrl}/v1/tenant`, {
      headers: { authorization: `Bearer ${tokens.accessToken}` },
    });
    const { status } = (await tenant.json()) as { status: string };
    if (status === "active") return performance.now() - started;
    if (status !== "provisioning") throw new Error(`tenant ended ${status}`);
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}

async function serverSide(since: Date): Promise<number[]> {
  const rows = await controlPlane<{ ms: number }[]>`
    select extract(epoch from activated_at - created_at) * 1000 as ms
    from tenants where created_at >= ${since} and activated_at is not null`;
  return rows.map((row) => Number(row.ms));
}

const results: Record<string, unknown> = {};
try {
  await signUpUntilActive(-1, 5); // warm-up: the first provisioning prepares the template

  let since = new Date();
  const one: number[] = [];
  for (let index = 0; index < sequential; index++) one.push(await signUpUntilActive(index, 5));
  results.sequentialSignups = { client: summary(one), server: summary(await serverSide(since)) };

  since = new Date();
  const wallStart = performance.now();
  // Polled every 50 ms here: 50 clients polling every 5 ms would themselves be the load.
  const many = await Promise.all(
    Array.from({ length: concurrent }, (_, index) => signUpUntilActive(1000 + index, 50)),
  );
  const wallSeconds = (performance.now() - wallStart) / 1000;
  results.concurrentSignups = {
    concurrency: concurrent,
    client: summary(many),
    server: summary(await serverSide(since)),
    tenantsPerSecond: Math.round((concurrent / wallSeconds) * 10) / 10,
  };

  // Clone from the (now migrated) template vs an empty database plus the tenant migrations.
  const admin = connect(infrastructure.postgresUrl, { max: 1 });
  const clone: number[] = [];
  const build: number[] = [];
  for (let index = 0; index < cloneSamples; index++) {
    const cloned = `oryn_${runId}_clone_${index}`;
    let started = performance.now();
    await admin`create database ${admin(cloned)} template ${admin(templateDatabase)}`;
    clone.push(performance.now() - started);
    const built = `oryn_${runId}_build_${index}`;
    started = performance.now();
    await admin`create database ${admin(built)}`;
    const target = connect(withDatabase(infrastructure.postgresUrl, built), { max: 1 });
    await migrate(target, tenantMigrations);
    await target.end();
    build.push(performance.now() - started);
    for (const name of [cloned, built]) await admin`drop database ${admin(name)} with (force)`;
  }
  await admin.end();
  results.templateClone = summary(clone);
  results.createAndMigrate = summary(build);
  results.cloneSpeedup = Math.round((percentile(build, 50) / percentile(clone, 50)) * 100) / 100;
} finally {
  await oryn.stop();
  await controlPlane.end();
  await removeRun({
    postgresUrl: infrastructure.postgresUrl,
    controlPlaneDatabase,
    templateDatabase,
    redisUrl: infrastructure.redisUrl,
    redisPrefix,
  });
  rmSync(secretsDir, { recursive: true, force: true });
  await infrastructure.stop();
}

const report = {
  date: new Date().toISOString(),
  machine: { cpus: cpus().length, model: cpus()[0]?.model, node: process.version },
  command: "pnpm bench",
  note: "client = POST /v1/signup until GET /v1/tenant (polled every 5 ms sequentially, 50 ms concurrently) says active; server = activated_at - created_at",
  results,
};
mkdirSync(join(import.meta.dirname, "results"), { recursive: true });
const file = join(import.meta.dirname, "results", `${report.date.slice(0, 10)}.json`);
writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
console.log(JSON.stringify(results, null, 2));
console.log(`[bench] written to ${file}`);
