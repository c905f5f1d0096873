import { ApiError, type Sql } from "@oryn/shared";
import { describe, expect, it } from "vitest";
import { createTenantPools, type TenantPoolOptions } from "../src/tenants/tenant-pools.ts";

/**
 * Admission to tenant pools under the process's budget, with a fake connector: which tenant gets
 * a connection, which waits, which pool is closed for room. The real pools against PostgreSQL
 * are tenant-pools.test.ts and test/tenant-pools-300.test.ts.
 */

type FakePool = { tenantId: string; ended: boolean; finishEnd(): void };

function fakeConnector() {
  const opened: FakePool[] = [];
  let endsAtOnce = true;
  const connectTenant = (tenantId: string): Sql => {
    let finish = () => {};
    const ended = new Promise<void>((resolve) => {
      finish = resolve;
    });
    const pool: FakePool = { tenantId, ended: false, finishEnd: () => finish() };
    opened.push(pool);
    return {
      end() {
        pool.ended = true;
        if (endsAtOnce) finish();
        return ended;
      },
    } as unknown as Sql;
  };
  return {
    connectTenant,
    opened,
    /** Closing pools stay open until `finishEnd` (their connections still count). */
    holdEnds() {
      endsAtOnce = false;
    },
    endedTenants: () => opened.filter((pool) => pool.ended).map((pool) => pool.tenantId),
  };
}

function pools(options: Partial<TenantPoolOptions>) {
  const connector = fakeConnector();
  const tenantPools = createTenantPools({
    serverUrl: "postgres://unused",
    passwordSecret: "unused",
    maxConnectionsPerPool: 2,
    maxConnections: 10,
    maxPools: 10,
    idleMs: 60_000,
    waitMs: 60_000,
    connectTenant: connector.connectTenant,
    ...options,
  });
  return { connector, tenantPools };
}

/** A request holding a connection of `tenantId` until released. */
function hold(tenantPools: ReturnType<typeof createTenantPools>, tenantId: string) {
  let release = () => {};
  const request = {
    running: false,
    release: () => release(),
    done: tenantPools.run(tenantId, async () => {
      request.running = true;
      await new Promise<void>((resolve) => {
        release = resolve;
      });
    }),
  };
  return request;
}

/** Lets admissions, closes and their callbacks that are due run. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

describe("tenant pool admission", () => {
  it("runs no more of one tenant's work than its pool's share, on one pool, and queues the rest", async () => {
    const { connector, tenantPools } = pools({ maxConnectionsPerPool: 2 });
    const requests = [1, 2, 3].map(() => hold(tenantPools, "a"));
    await settle();
    expect(requests.map((request) => request.running)).toEqual([true, true, false]);
    expect(tenantPools.stats()).toEqual({ pools: 1, connections: 2, inUse: 2, waiting: 1 });
    requests[0]?.release();
    await settle();
    expect(requests[2]?.running).toBe(true);
    expect(connector.opened.map((pool) => pool.tenantId)).toEqual(["a"]);
    for (const request of requests) request.release();
    await Promise.all(requests.map((request) => request.done));
    await tenantPools.closeAll();
  });

  it("keeps every tenant within the process's budget, and counts a closing pool until it has closed", async () => {
    const { connector, tenantPools } = pools({ maxConnections: 2, maxConnectionsPerPool: 2 });
    connector.holdEnds();
    const a = [hold(tenantPools, "a"), hold(tenantPools, "a")];
    const b = hold(tenantPools, "b");
    await settle();
    expect(b.running).toBe(false);
    expect(tenantPools.stats()).toMatchObject({ connections: 2, inUse: 2, waiting: 1 });

    for (const request of a) request.release();
    await Promise.all(a.map((request) => request.done));
    await settle();
    // a's pool is idle and b has none: a's is closed for room, but its connections count
    // until they have closed.
    expect(connector.endedTenants()).toEqual(["a"]);
    expect(b.running).toBe(false);
    expect(tenantPools.stats()).toMatchObject({ connections: 2, waiting: 1 });

    connector.opened[0]?.finishEnd();
    await settle();
    expect(b.running).toBe(true);
    b.release();
    await b.done;
    connector.opened[1]?.finishEnd();
    await tenantPools.closeAll();
  });

  it("gives a slot freed for a tenant without a pool to that tenant, not to a busy pool's next request", async () => {
    const { connector, tenantPools } = pools({
      maxConnections: 2,
      maxConnectionsPerPool: 2,
      maxPools: 2,
    });
    const a1 = hold(tenantPools, "a");
    const c = hold(tenantPools, "c");
    await settle();
    const a2 = hold(tenantPools, "a"); // queued first: a's pool is at its one slot, budget full
    const b = hold(tenantPools, "b");
    await settle();
    expect([a2.running, b.running]).toEqual([false, false]);

    c.release();
    await c.done;
    await settle();
    expect(connector.endedTenants()).toEqual(["c"]);
    expect(b.running).toBe(true);
    expect(a2.running).toBe(false);

    for (const request of [a1, a2, b]) request.release();
    await settle();
    await tenantPools.closeAll();
  });

  it("closes the idle pool used least, not the one used longest ago", async () => {
    const { connector, tenantPools } = pools({ maxPools: 2, maxConnectionsPerPool: 1 });
    for (let use = 0; use < 5; use++) await tenantPools.run("busy", async () => {});
    await tenantPools.run("rare", async () => {});
    // "busy" was used longest ago, "rare" least: room for a third tenant comes from "rare".
    await tenantPools.run("new", async () => {});
    expect(connector.endedTenants()).toEqual(["rare"]);
    await tenantPools.closeAll();
  });

  it("answers 503 with Retry-After to a request that waited too long, and fails waiters at shutdown", async () => {
    const { tenantPools } = pools({ maxConnections: 1, waitMs: 20 });
    const a = hold(tenantPools, "a");
    await settle();
    const late = await tenantPools.run("b", async () => "ran").catch((error: unknown) => error);
    expect(late).toBeInstanceOf(ApiError);
    expect(late).toMatchObject({
      code: "upstream_unavailable",
      status: 503,
      headers: { "retry-after": "1" },
    });

    const waiting = tenantPools.run("a", async () => "ran").catch((error: unknown) => error);
    await settle();
    const closed = tenantPools.closeAll();
    expect(await waiting).toMatchObject({ code: "upstream_unavailable", status: 503 });
    a.release();
    await closed;
    await expect(tenantPools.run("a", async () => "ran")).rejects.toMatchObject({ status: 503 });
  });
});
