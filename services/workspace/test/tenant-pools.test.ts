import {
  ConfigError,
  connect,
  parseConfig,
  tenantDatabaseName,
  tenantRoleName,
} from "@oryn/shared";
import { serviceEnv, testRun } from "@oryn/testing/context";
import { activeTenant, provisioningDeps } from "@oryn/testing/tenants";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { workspaceEnv } from "../src/env.ts";
import { workspaceInProcess } from "./fixtures.ts";

const run = testRun();
const provisioning = provisioningDeps(run);
const superuser = connect(run.postgresUrl, { max: 2 });
let tenants: string[];

beforeAll(async () => {
  tenants = [];
  for (let index = 0; index < 3; index++) tenants.push(await activeTenant(provisioning));
});
afterAll(async () => {
  await superuser.end();
  await provisioning.close();
});

type Workspace = Awaited<ReturnType<typeof workspaceInProcess>>;

async function metric(workspace: Workspace, name: string): Promise<number> {
  const text = await workspace.deps.metrics.registry.metrics();
  const line = text
    .split("\n")
    .find((row) => row.startsWith(`${name}{`) || row.startsWith(`${name} `));
  return Number(line?.split(" ").at(-1) ?? Number.NaN);
}

async function connectionsTo(tenantId: string): Promise<number> {
  const [row] = await superuser<{ count: number }[]>`
    select count(*)::int as count from pg_stat_activity
    where datname = ${tenantDatabaseName(tenantId)} and application_name = 'oryn-workspace'`;
  return row?.count ?? 0;
}

/** Waits until a `pg_sleep` run through the workspace's pools holds its connection. */
async function sleepHasItsConnection(workspace: Workspace): Promise<void> {
  for (const deadline = Date.now() + 5_000; workspace.deps.pools.stats().inUse < 1; ) {
    if (Date.now() > deadline) throw new Error("the sleep never got its connection");
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe("tenant pools", () => {
  it("opens one pool for a burst of first requests", async () => {
    const workspace = await workspaceInProcess();
    try {
      const token = await workspace.tokenFor(tenants[0] as string);
      const answers = await Promise.all(
        Array.from({ length: 20 }, () => workspace.call("GET", "/v1/projects", { token })),
      );
      expect(answers.every((answer) => answer.status === 200)).toBe(true);
      expect(await metric(workspace, "tenant_pools_opened_total")).toBe(1);
      expect(await connectionsTo(tenants[0] as string)).toBeLessThanOrEqual(5);
    } finally {
      await workspace.close();
    }
  });

  it("answers 503 with Retry-After when the budget stays used past the wait, then serves again", async () => {
    const workspace = await workspaceInProcess({
      TENANT_CONNECTIONS_MAX: "1",
      TENANT_POOL_MAX: "1",
      TENANT_CONNECTION_WAIT_MS: "200",
    });
    try {
      const [busy, waiting] = tenants as [string, string];
      // The one connection of the budget, held by another tenant's work: three seconds, so the
      // refused request reaches its 200 ms wait well within them on a loaded machine.
      const holding = workspace.deps.pools.run(busy, (sql) => sql`select pg_sleep(3)`);
      // The sleep has the connection before the other tenant asks.
      await sleepHasItsConnection(workspace);
      const token = await workspace.tokenFor(waiting);
      const refused = await workspace.call("GET", "/v1/projects", { token });
      expect(refused.status).toBe(503);
      expect(refused.json.code).toBe("upstream_unavailable");
      expect(refused.headers.get("retry-after")).toBe("1");
      expect(await metric(workspace, "tenant_connection_wait_timeouts_total")).toBe(1);
      await holding;
      // The idle pool is closed for room as soon as someone waits, and the waiter gets in.
      expect((await workspace.call("GET", "/v1/projects", { token })).status).toBe(200);
      // The closed pool's backends leave pg_stat_activity a moment after their Terminate.
      const until = Date.now() + 5_000;
      while ((await connectionsTo(busy)) > 0 && Date.now() < until) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect(await connectionsTo(busy)).toBe(0);
      expect(workspace.deps.pools.stats()).toMatchObject({ pools: 1, connections: 1 });
    } finally {
      await workspace.close();
    }
  });

  it("answers 503 for a tenant whose database refuses connections, and serves the others", async () => {
    const workspace = await workspaceInProcess();
    const [down, up] = tenants as [string, string];
    await superuser`alter role ${superuser(tenantRoleName(down))} connection limit 0`;
    try {
      const [refused, served] = await Promise.all([
        workspace.call("GET", "/v1/projects", { token: await workspace.tokenFor(down) }),
        workspace.call("GET", "/v1/projects", { token: await workspace.tokenFor(up) }),
      ]);
      expect(refused.status).toBe(503);
      expect(refused.json).toMatchObject({
        code: "upstream_unavailable",
        detail: "The tenant's database is unavailable",
      });
      expect(refused.headers.get("retry-after")).toBe("5");
      expect(served.status).toBe(200);
    } finally {
      await superuser`alter role ${superuser(tenantRoleName(down))} connection limit 50`;
      await workspace.close();
    }
  });

  it("closes the pool of a tenant that is deleted, and of one left idle", async () => {
    // Idle for a second: with 150 ms, a stall of that long between the answer and the count of
    // connections (a loaded machine) let the idle sweep close the pool the count expects open.
    const workspace = await workspaceInProcess({ TENANT_POOL_IDLE_MS: "1000" });
    try {
      const gone = await activeTenant(provisioning);
      const token = await workspace.tokenFor(gone);
      expect((await workspace.call("GET", "/v1/projects", { token })).status).toBe(200);
      expect(await connectionsTo(gone)).toBe(1);
      await provisioning.controlPlane`update tenants set status = 'deleting' where id = ${gone}`;
      expect((await workspace.call("GET", "/v1/projects", { token })).status).toBe(404);
      await expect.poll(() => connectionsTo(gone), { timeout: 5000 }).toBe(0);
      // The server ends the backend before the client's close resolves: until then the pool
      // still counts as closing (CI once counted 2 pools below).
      await expect.poll(() => workspace.deps.pools.stats().pools, { timeout: 5000 }).toBe(0);

      const idle = tenants[2] as string;
      const idleToken = await workspace.tokenFor(idle);
      expect((await workspace.call("GET", "/v1/projects", { token: idleToken })).status).toBe(200);
      expect(workspace.deps.pools.stats().pools).toBe(1);
      await expect.poll(() => workspace.deps.pools.stats().pools, { timeout: 5000 }).toBe(0);
      await expect.poll(() => connectionsTo(idle), { timeout: 5000 }).toBe(0);
      expect(await metric(workspace, "tenant_pools_closed_total")).toBeGreaterThan(0);
    } finally {
      await workspace.close();
    }
  });

  it("makes room by closing the idle pool used least, not the one used longest ago", async () => {
    const workspace = await workspaceInProcess({
      TENANT_CONNECTIONS_MAX: "2",
      TENANT_POOLS_MAX: "2",
      TENANT_POOL_MAX: "1",
    });
    try {
      const [busy, once, newcomer] = tenants as [string, string, string];
      const use = (tenantId: string) => workspace.deps.pools.run(tenantId, (sql) => sql`select 1`);
      for (let index = 0; index < 10; index++) await use(busy);
      // The tenant seen once is now the most recently used, the busy one the least.
      await use(once);
      await use(newcomer);

      expect(await connectionsTo(busy)).toBe(1);
      expect(await connectionsTo(once)).toBe(0);
      expect(await connectionsTo(newcomer)).toBe(1);
      await use(busy);
      expect(await metric(workspace, "tenant_pools_opened_total")).toBe(3);
      expect(await metric(workspace, "tenant_pools_closed_total")).toBe(1);
    } finally {
      await workspace.close();
    }
  });

  it("gives a slot freed for a tenant without a pool to that tenant, not to a busy pool growing", async () => {
    const workspace = await workspaceInProcess({
      TENANT_CONNECTIONS_MAX: "2",
      TENANT_POOLS_MAX: "2",
      TENANT_POOL_MAX: "2",
      TENANT_CONNECTION_WAIT_MS: "10000",
    });
    try {
      const [busy, idle, newcomer] = tenants as [string, string, string];
      const pools = workspace.deps.pools;
      // Long enough that the newcomer's connection is made well within it on a loaded machine.
      const sleeping = pools.run(busy, (sql) => sql`select pg_sleep(3)`).then(() => "sleep");
      await sleepHasItsConnection(workspace);
      await pools.run(idle, (sql) => sql`select 1`);
      // The budget is full: the busy tenant's second request waits to grow its pool, and then a
      // tenant without a pool asks; the idle pool is closed to make room for the latter.
      const growing = pools.run(busy, (sql) => sql`select 1`);
      const served = pools.run(newcomer, (sql) => sql`select 1`).then(() => "newcomer");

      expect(await Promise.race([served, sleeping])).toBe("newcomer");
      await Promise.all([growing, sleeping]);
      expect(await metric(workspace, "tenant_pools_closed_total")).toBe(1);
    } finally {
      await workspace.close();
    }
  });

  it("refuses a per-pool maximum above the process budget at start, naming it", () => {
    expect(() =>
      parseConfig(workspaceEnv, {
        ...serviceEnv(run),
        TENANT_POOL_MAX: "10",
        TENANT_CONNECTIONS_MAX: "5",
      }),
    ).toThrow(/TENANT_POOL_MAX: must not be more than TENANT_CONNECTIONS_MAX/);
    expect(() =>
      parseConfig(workspaceEnv, { ...serviceEnv(run), TENANT_CONNECTION_WAIT_MS: "soon" }),
    ).toThrow(ConfigError);
  });
});
