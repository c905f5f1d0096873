import { randomBytes } from "node:crypto";
import { loadavg } from "node:os";
import {
  closeRedis,
  connect,
  connectRedisForWorker,
  createQueues,
  migrate,
  tenantMigrations,
  withDatabase,
} from "@oryn/shared";
import { argon2idRate } from "../lib/argon2-rate.ts";
import type { BenchStack } from "../lib/bench-stack.ts";
import { cpuSnapshot, otherProcesses, readProcesses } from "../lib/cpu-time.ts";
import type { Scenario } from "../lib/scenario.ts";
import { sparesReady, spareTarget } from "../lib/spares.ts";
import { isLoadGenerator, stackProcessGroups } from "../lib/stack-processes.ts";
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
    const groups = stackProcessGroups(stack);
    const processesBefore = readProcesses();
    const wallStart = performance.now();
    const signups = await Promise.all(
      Array.from({ length: settings.concurrent }, (_, index) =>
        signUpUntilActive(stack, index, settings.pollMs),
      ),
    );
    const client = signups.map((signup) => signup.activeMs);
    const wallSeconds = (performance.now() - wallStart) / 1000;
    const processesAfter = readProcesses();
    // Spares the pool made while the burst ran (the provisioner's sweep refills regardless of
    // claims): each a CREATE DATABASE and a migration competing with the signups for the cores.
    const [made] = await stack.controlPlane<{ count: number }[]>`
      select count(*)::int as count from spare_databases where created_at >= ${since}`;
    const server = await serverSide(stack, since);
    const phases = await phasesOf(stack, signups);
    // The provisioner refills the pool it just spent: later scenarios are not measured meanwhile.
    const refillMs = await sparesReady(stack, spareTarget(settings.concurrent));
    const clone = await cloneVersusBuild(stack, settings.clones);
    return {
      concurrency: settings.concurrent,
      pollMs: settings.pollMs,
      client: summary(client),
      // Where the client's time went: until the signup answered (the password hash, queued
      // behind the others, and the gateway's transaction), then polling until active.
      answered: summary(signups.map((signup) => signup.answeredMs)),
      answeredToActive: summary(signups.map((signup) => signup.activeMs - signup.answeredMs)),
      polls: signups.reduce((sum, signup) => sum + signup.polls, 0),
      server: summary(server),
      phases,
      sparesMadeDuringBurst: made?.count ?? 0,
      tenantsPerSecond: round(settings.concurrent / wallSeconds, 1),
      argon2id,
      wallSeconds: round(wallSeconds, 1),
      // Where the cores went during the burst: CPU milliseconds per signup by process group (the
      // gateway's includes its argon2 threads), and what else ran on the machine meanwhile.
      cpuMsPerSignup: cpuMsPer(
        cpuSnapshot(groups, processesBefore),
        cpuSnapshot(groups, processesAfter),
        settings.concurrent,
      ),
      alsoRan: {
        ...otherProcesses(processesBefore, processesAfter, wallSeconds, groups, isLoadGenerator),
        loadAverageAtEnd: round(loadavg()[0] ?? 0, 2),
      },
      warmPool: { spares: spareTarget(settings.concurrent), refillMs },
      ...clone,
    };
  },
};

/**
 * One signup, then GET /v1/tenant every `pollMs` until it is active; the client's times (to the
 * answer, to active) and how many times it asked.
 */
async function signUpUntilActive(stack: BenchStack, index: number, pollMs: number) {
  const started = performance.now();
  const startedAt = Date.now();
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
  const { tokens, tenant: made } = (await answer.json()) as {
    tokens: { accessToken: string };
    tenant: { id: string };
  };
  const answeredMs = performance.now() - started;
  for (let polls = 1; ; polls++) {
    const tenant = await fetch(`${stack.oryn.gatewayUrl}/v1/tenant`, {
      headers: { authorization: `Bearer ${tokens.accessToken}` },
    });
    const { status } = (await tenant.json()) as { status: string };
    if (status === "active") {
      return {
        tenantId: made.id,
        startedAt,
        answeredMs,
        activeMs: performance.now() - started,
        polls,
      };
    }
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

type Signup = Awaited<ReturnType<typeof signUpUntilActive>>;

/**
 * Each signup's milestones, in ms from its request: its transaction began (tenants.created_at:
 * the password hashed and a connection taken), the answer, the provisioning job enqueued, taken
 * by a worker and finished (BullMQ's own times), the tenant active (activated_at), seen active.
 */
async function phasesOf(stack: BenchStack, signups: Signup[]) {
  const rows = await stack.controlPlane<{ id: string; created: number; activated: number }[]>`
    select id, extract(epoch from created_at) * 1000 as created,
      extract(epoch from activated_at) * 1000 as activated
    from tenants where id in ${stack.controlPlane(signups.map((signup) => signup.tenantId))}`;
  const byId = new Map(rows.map((row) => [row.id, row]));
  const redis = connectRedisForWorker(stack.redisUrl);
  const queues = createQueues(redis, stack.redisPrefix);
  const at: Record<string, number[]> = {
    transactionBegan: [],
    answered: [],
    jobEnqueued: [],
    jobTaken: [],
    jobFinished: [],
    activated: [],
    seenActive: [],
  };
  try {
    const queue = queues.get("provisioning");
    for (const signup of signups) {
      const row = byId.get(signup.tenantId);
      const job = await queue.getJob(signup.tenantId);
      const since = (epochMs: number | undefined) =>
        epochMs === undefined ? Number.NaN : epochMs - signup.startedAt;
      at.transactionBegan?.push(since(row && Number(row.created)));
      at.answered?.push(signup.answeredMs);
      at.jobEnqueued?.push(since(job?.timestamp));
      at.jobTaken?.push(since(job?.processedOn));
      at.jobFinished?.push(since(job?.finishedOn));
      at.activated?.push(since(row && Number(row.activated)));
      at.seenActive?.push(signup.activeMs);
    }
  } finally {
    await queues.close();
    await closeRedis(redis);
  }
  return Object.fromEntries(Object.entries(at).map(([name, values]) => [name, summary(values)]));
}

/** CPU milliseconds per signup by process group between two snapshots. */
function cpuMsPer(
  before: Map<string, number>,
  after: Map<string, number>,
  signups: number,
): Record<string, number> {
  const perSignup: Record<string, number> = {};
  for (const [group, seconds] of after) {
    const used = seconds - (before.get(group) ?? 0);
    if (used > 0) perSignup[group] = round((used * 1000) / signups, 2);
  }
  return perSignup;
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
