/**
 * Fault: Redis killed and restarted on the same port while the gateway is under load. The four
 * services run as real processes on a private Redis (the machine's shared one is never touched),
 * with a control plane of this file's own.
 *
 * Throughout, tenants well under their limit send a steady mix of reads, proxied reads and logins;
 * none of their requests may hang (each is given up after 5 s and counted) or be refused 429.
 * While Redis is down, limits are counted per process (a fresh tenant gets exactly its quota,
 * then 429, from the gateway's memory) and a signup still answers 202; once Redis is back,
 * counts go to Redis again (a tenant's key is there, refusals are decided from it) and the jobs
 * that Redis lost on the way are provisioned (the provisioner's sweep enqueues them again).
 * redis-outage.test.ts covers the same fallback in-process, one request at a time.
 */
import { connect, type Sql } from "@oryn/shared";
import { serviceEnv } from "@oryn/testing/context";
import { isolatedRun } from "@oryn/testing/isolated-run";
import { type Oryn, startOryn } from "@oryn/testing/processes";
import { startPrivateRedis } from "@oryn/testing/redis-server";
import { eventually, signUpAndWait, testPassword } from "@oryn/testing/wait";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { countedCaller } from "./counted-calls.ts";
import { recordFault } from "./report.ts";

/** Requests per tenant per minute: the light tenants send well under it in the whole test. */
const quota = 400;
let redis: Awaited<ReturnType<typeof startPrivateRedis>>;
let controlPlane: Awaited<ReturnType<typeof isolatedRun>>;
let oryn: Oryn;
let cp: Sql;

beforeAll(async () => {
  [redis, controlPlane] = await Promise.all([startPrivateRedis(), isolatedRun("redisrestart")]);
  oryn = await startOryn({
    ...serviceEnv(controlPlane),
    REDIS_URL: redis.url,
    RATE_LIMIT_TENANT_PER_MINUTE: String(quota),
    // Tenants whose job Redis lost are enqueued again by the sweep: often, so the test is short.
    PROVISIONING_SWEEP_SECONDS: "2",
  });
  cp = connect(controlPlane.controlPlaneUrl, { max: 2 });
}, 90_000);

afterAll(async () => {
  await oryn?.stop();
  await cp?.end();
  await redis?.stop();
  await controlPlane?.drop();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Sum of the gateway's rate-limit decisions whose labels match all of `labels`. */
async function decisions(labels: string[]): Promise<number> {
  const text = await (await fetch(`${oryn.gatewayOpsUrl}/metrics`)).text();
  return text
    .split("\n")
    .filter((line) => line.startsWith("oryn_rate_limit_decisions_total{"))
    .filter((line) => labels.every((label) => line.includes(label)))
    .reduce((sum, line) => sum + Number(line.split(" ").at(-1)), 0);
}

describe("Redis restarted while the gateway is under load", () => {
  it("hangs nothing, refuses no one under their limit, limits per process meanwhile and in Redis after, and provisions what was queued", async () => {
    const { call, counts } = countedCaller(oryn.gatewayUrl, { timeoutMs: 5_000 });
    const signup = (slug: string) =>
      call("POST", "/v1/signup", {
        body: {
          company: { name: `Company ${slug}`, slug },
          owner: { email: `owner@${slug}.test`, password: testPassword, name: "Owner" },
        },
      });
    const slug = () => `rr-${crypto.randomUUID().slice(0, 12)}`;
    const light = await Promise.all([0, 1, 2].map(() => signUpAndWait(call, { intervalMs: 300 })));
    // Two tenants that will go over their limit: one while Redis is down, one after it is back.
    // Signing up is counted against the IP, so their own budgets are whole until they send.
    const [overDuring, overAfter] = await Promise.all([signup(slug()), signup(slug())]);
    expect([overDuring?.status, overAfter?.status]).toEqual([202, 202]);

    // Light load: each tenant reads its tenant, its projects (through workspace), and now and
    // then logs in, about 6 requests a second, every answer recorded per tenant.
    const lightStatuses = new Map<string, number[]>(light.map((t) => [t.tenantId, []]));
    let loading = true;
    // Bounded in time too, so a failing test does not leave them sending.
    const loadDeadline = Date.now() + 120_000;
    const loads = light.map(async (tenant) => {
      const seen = lightStatuses.get(tenant.tenantId) as number[];
      for (let round = 0; loading && Date.now() < loadDeadline; round++) {
        const answer =
          round % 20 === 19
            ? await call("POST", "/v1/auth/login", {
                body: { email: `owner@${tenant.slug}.test`, password: testPassword },
              })
            : await call("GET", round % 2 ? "/v1/projects" : "/v1/tenant", {
                token: tenant.token,
              });
        seen.push(answer.status);
        await sleep(150);
      }
    });

    await sleep(1_500);
    expect(await decisions(['store="redis"', 'bucket="tenant"'])).toBeGreaterThan(0);
    // Enqueued just before Redis goes: a job the restart (no persistence) takes with it.
    const beforeStop = await signup(slug());
    expect(beforeStop.status).toBe(202);

    await redis.stop();
    const stoppedAt = Date.now();
    // A signup while Redis is away: answered (its enqueue gives up), the tenant kept.
    const duringSignup = await signup(slug());
    expect(duringSignup.status, JSON.stringify(duringSignup.json)).toBe(202);
    // Per process, from zero: exactly the quota served, then refused from memory.
    const duringStatuses: number[] = [];
    for (let sent = 0; sent < quota + 20; sent++) {
      const answer = await call("GET", "/v1/tenant", { token: overDuring.json.tokens.accessToken });
      // A hang fails here at once, rather than after the quota's worth of them.
      expect(answer.timedOut, `request ${sent} hung`).toBe(false);
      duringStatuses.push(answer.status);
    }
    expect(duringStatuses.filter((s) => s === 200)).toHaveLength(quota);
    expect(duringStatuses.filter((s) => s === 429)).toHaveLength(20);
    expect(await decisions(['store="memory"', 'outcome="limited"'])).toBeGreaterThanOrEqual(20);
    // The outage lasts a few seconds of light load at least.
    await sleep(Math.max(0, 4_000 - (Date.now() - stoppedAt)));
    const outageMs = Date.now() - stoppedAt;

    redis = await startPrivateRedis(redis.port);
    // The gateway's readiness pings Redis: ready again means it has reconnected.
    await eventually(
      () => fetch(`${oryn.gatewayOpsUrl}/readyz`).then((answer) => answer.status),
      (status) => status === 200,
      { timeoutMs: 20_000, intervalMs: 100 },
    );
    const redisLimitedBefore = await decisions(['store="redis"', 'outcome="limited"']);
    const afterStatuses: number[] = [];
    for (let sent = 0; sent < quota + 5; sent++) {
      const answer = await call("GET", "/v1/tenant", { token: overAfter.json.tokens.accessToken });
      // A hang fails here at once, rather than after the quota's worth of them.
      expect(answer.timedOut, `request ${sent} hung`).toBe(false);
      afterStatuses.push(answer.status);
    }
    expect(afterStatuses.filter((s) => s === 200)).toHaveLength(quota);
    expect(afterStatuses.filter((s) => s === 429)).toHaveLength(5);
    // Decided in Redis: the tenant's counter is there, and refusals were counted with it.
    const inspect = new Redis(redis.url);
    try {
      const keys = await inspect.keys(`*rl:tenant:free:${overAfter.json.tenant.id}`);
      expect(keys).toHaveLength(1);
      expect(Number(await inspect.get(keys[0] as string))).toBeGreaterThanOrEqual(quota);
    } finally {
      inspect.disconnect();
    }
    expect(await decisions(['store="redis"', 'outcome="limited"'])).toBeGreaterThan(
      redisLimitedBefore,
    );

    // What was queued when Redis went, and what was signed up while it was away, is provisioned.
    const queued = [beforeStop.json.tenant.id as string, duringSignup.json.tenant.id as string];
    await eventually(
      () => cp<{ status: string }[]>`select status from tenants where id in ${cp(queued)}`,
      (rows) => rows.length === 2 && rows.every((row) => row.status === "active"),
      { timeoutMs: 60_000, intervalMs: 250 },
    );

    await sleep(1_500);
    loading = false;
    await Promise.all(loads);

    // The light tenants, well under their limit, were served every time.
    const lightSent = [...lightStatuses.values()].map((statuses) => statuses.length);
    expect(Math.max(...lightSent)).toBeLessThan(quota - 60);
    for (const statuses of lightStatuses.values()) {
      expect(new Set(statuses)).toEqual(new Set([200]));
    }
    expect(counts.timeouts).toBe(0);
    expect(counts.clientErrors, JSON.stringify(counts.statuses)).toBe(0);

    recordFault({
      fault: "Redis restarted under gateway load",
      provoked: 1,
      requests: counts.requests,
      clientErrors: counts.clientErrors,
      dataLost: 0,
      crossTenantLeaks: 0,
      detail: {
        outageMs,
        statuses: counts.statuses,
        timeouts: counts.timeouts,
        lightTenantRequests: lightSent,
        bogus429: [...lightStatuses.values()].flat().filter((s) => s === 429).length,
        jobsLostWithRedisProvisionedAfter: queued.length,
      },
    });
  }, 180_000);
});
