/**
 * `pnpm bench`: signup-to-active through four real processes, and what cloning the template
 * saves over creating and migrating a database. Results go to bench/results/<date>.json.
 *
 * Uses the local PostgreSQL and Redis (or ORYN_TEST_POSTGRES_URL / ORYN_TEST_REDIS_URL) with a
 * control-plane database, template and Redis prefix of its own, removed at the end.
 */
import { randomBytes } from "node:crypto";
import { connect, migrate, tenantMigrations, withDatabase } from "@oryn/shared";
import { percentile, startBenchStack, summary, writeResults } from "./lib/bench-stack.ts";

const sequential = Number(process.env.BENCH_SEQUENTIAL ?? 30);
const concurrent = Number(process.env.BENCH_CONCURRENT ?? 50);
const cloneSamples = Number(process.env.BENCH_CLONES ?? 10);

// The warm pool holds enough spares for the concurrent burst by default, and is full before each
// timed phase: the figure is signup-to-active with a ready pool (TENANT_SPARE_DATABASES=0: none).
const spareTarget = Number(process.env.TENANT_SPARE_DATABASES ?? Math.max(concurrent, sequential));
const stack = await startBenchStack("bench", {
  ...(process.env.PROVISIONING_CONCURRENCY
    ? { PROVISIONING_CONCURRENCY: process.env.PROVISIONING_CONCURRENCY }
    : {}),
  TENANT_SPARE_DATABASES: String(spareTarget),
  TENANT_SPARE_CONCURRENCY: process.env.TENANT_SPARE_CONCURRENCY ?? "2",
});
const { oryn, infrastructure, controlPlane, templateDatabase } = stack;

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

/** Waits until the pool holds `spareTarget` ready spares; answers how long that took. */
async function poolFull(): Promise<number> {
  const started = performance.now();
  for (;;) {
    const [row] = await controlPlane<{ ready: number }[]>`
      select count(*)::int as ready from spare_databases where state = 'ready' and tenant_id is null`;
    if ((row?.ready ?? 0) >= spareTarget) return Math.round(performance.now() - started);
    if (performance.now() - started > 600_000) throw new Error("the spare pool did not fill");
    await new Promise((resolve) => setTimeout(resolve, 200));
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

  results.spares = { target: spareTarget, firstFillMs: await poolFull() };

  let since = new Date();
  const one: number[] = [];
  for (let index = 0; index < sequential; index++) one.push(await signUpUntilActive(index, 5));
  results.sequentialSignups = { client: summary(one), server: summary(await serverSide(since)) };

  (results.spares as Record<string, number>).refillBeforeBurstMs = await poolFull();
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
    const cloned = `${templateDatabase}_clone_${index}`;
    let started = performance.now();
    await admin`create database ${admin(cloned)} template ${admin(templateDatabase)}`;
    clone.push(performance.now() - started);
    const built = `${templateDatabase}_build_${index}`;
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
  await stack.close();
}

writeResults("", {
  command: "pnpm bench",
  note: "client = POST /v1/signup until GET /v1/tenant (polled every 5 ms sequentially, 50 ms concurrently) says active; server = activated_at - created_at",
  results,
});
