import { randomBytes } from "node:crypto";
import { connect, migrate, tenantMigrations, withDatabase } from "@oryn/shared";
import { argon2idRate } from "../lib/argon2-rate.ts";
import type { BenchStack } from "../lib/bench-stack.ts";
import type { Scenario } from "../lib/scenario.ts";
import { sparesReady, spareTarget } from "../lib/spares.ts";
import { percentile, round, summary } from "../lib/stats.ts";

/**
 * 6. Provisioning: BENCH_CONCURRENT signups at once through the gateway, each polling until its
 * tenant is active (client side), and activated_at - created_at (server side); tenants per
 * second; then what cloning the template saves over creating and migrating a database. The
 * provisioner's warm pool holds BENCH_CONCURRENT spares (TENANT_SPARE_DATABASES overrides it), full
 * before the burst, so signups claim a ready database as they would in production. Before it all,
 * the machine's argon2id rate with the production parameters on every core (argon2-rate.ts).
 */
export const provisioning: Scenario = {
  name: "provisioning",
  title: "concurrent signups until active; template clone vs create-and-migrate",
  async run({ stack, settings }) {
    // What the machine's cores can hash with the production parameters, just before the burst
    // on the same quiet stack: the signups target is tenants active per second over this.
    const argon2id = await argon2idRate(settings.seconds);
    // Warm-up: the first provisioning prepares the template.
    await signUpUntilActive(stack, -1, 20);
    const since = new Date();
    const wallStart = performance.now();
    const client = await Promise.all(
      Array.from({ length: settings.concurrent }, (_, index) =>
        signUpUntilActive(stack, index, settings.pollMs),
      ),
    );
    const wallSeconds = (performance.now() - wallStart) / 1000;
    const server = await serverSide(stack, since);
    // The provisioner refills the pool it just spent: later scenarios are not measured meanwhile.
    const refillMs = await sparesReady(stack, spareTarget(settings.concurrent));
    const clone = await cloneVersusBuild(stack, settings.clones);
    return {
      concurrency: settings.concurrent,
      pollMs: settings.pollMs,
      client: summary(client),
      server: summary(server),
      tenantsPerSecond: round(settings.concurrent / wallSeconds, 1),
      argon2id,
      wallSeconds: round(wallSeconds, 1),
      warmPool: { spares: spareTarget(settings.concurrent), refillMs },
      ...clone,
    };
  },
};

/** One signup, then GET /v1/tenant every `pollMs` until it is active; the client's time. */
async function signUpUntilActive(stack: BenchStack, index: number, pollMs: number) {
  const started = performance.now();
  const slug = `b${index + 1}-${randomBytes(3).toString("hex")}`;
  const answer = await fetch(`${stack.oryn.gatewayUrl}/v1/signup`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      company: { name: slug, slug },
      owner: { email: `${slug}@bench.test`, password: "bench password 123", name: "B" },
    }),
  });
  if (answer.status !== 202) {
    throw new Error(`signup answered ${answer.status}: ${await answer.text()}`);
  }
  const { tokens } = (await answer.json()) as { tokens: { accessToken: string } };
  for (;;) {
    const tenant = await fetch(`${stack.oryn.gatewayUrl}/v1/tenant`, {
      headers: { authorization: `Bearer ${tokens.accessToken}` },
    });
    const { status } = (await tenant.json()) as { status: string };
    if (status === "active") return performance.now() - started;
    if (status !== "provisioning") throw new Error(`tenant ended ${status}`);
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}

async function serverSide(stack: BenchStack, since: Date): Promise<number[]> {
  const rows = await stack.controlPlane<{ ms: number }[]>`
    select extract(epoch from activated_at - created_at) * 1000 as ms
    from tenants where created_at >= ${since} and activated_at is not null`;
  return rows.map((row) => Number(row.ms));
}

/** Clone from the (now migrated) template vs an empty database plus the tenant migrations. */
async function cloneVersusBuild(stack: BenchStack, samples: number) {
  const admin = connect(stack.postgres.url, { max: 1 });
  const clone: number[] = [];
  const build: number[] = [];
  try {
    for (let index = 0; index < samples; index++) {
      const cloned = `${stack.templateDatabase}_clone_${index}`;
      let started = performance.now();
      await admin`create database ${admin(cloned)} template ${admin(stack.templateDatabase)}`;
      clone.push(performance.now() - started);
      const built = `${stack.templateDatabase}_build_${index}`;
      started = performance.now();
      await admin`create database ${admin(built)}`;
      const target = connect(withDatabase(stack.postgres.url, built), { max: 1 });
      await migrate(target, tenantMigrations);
      await target.end();
      build.push(performance.now() - started);
      for (const name of [cloned, built]) await admin`drop database ${admin(name)} with (force)`;
    }
  } finally {
    await admin.end();
  }
  return {
    templateClone: summary(clone),
    createAndMigrate: summary(build),
    cloneSpeedup: round(percentile(build, 50) / percentile(clone, 50), 2),
  };
}
