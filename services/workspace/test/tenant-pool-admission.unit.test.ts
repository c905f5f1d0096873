import { ApiError, type Sql } from "@oryn/shared";
import fc from "fast-check";
import { afterEach, describe, expect, it, vi } from "vitest";
import { createTenantPools, type TenantPoolOptions } from "../src/tenants/tenant-pools.ts";

/**
 * Admission to tenant pools under the process's budget, with a fake connector: which tenant gets
 * a connection, which waits, which pool is closed for room. The real pools against PostgreSQL
 * are tenant-pools.test.ts and test/tenant-pools-300.test.ts.
 */

/** One fake connection (createTenantPools opens each tenant connection on its own). */
type FakePool = { tenantId: string; ended: boolean; finished: boolean; finishEnd(): void };

function fakeConnector() {
  const opened: FakePool[] = [];
  let endsAtOnce = true;
  const connectTenant = (tenantId: string): Sql => {
    let finish = () => {};
    const ended = new Promise<void>((resolve) => {
      finish = resolve;
    });
    const pool: FakePool = {
      tenantId,
      ended: false,
      finished: false,
      finishEnd: () => {
        pool.finished = true;
        finish();
      },
    };
    opened.push(pool);
    return {
      end() {
        pool.ended = true;
        if (endsAtOnce) pool.finishEnd();
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
    /** Connections not closed yet, as PostgreSQL would count them. */
    live: () => opened.filter((pool) => !pool.finished),
    /** Lets every connection that was asked to close finish closing. */
    finishEnds() {
      for (const pool of opened) if (pool.ended && !pool.finished) pool.finishEnd();
    },
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
    released: false,
    release: () => {
      request.released = true;
      release();
    },
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
    expect(connector.opened.map((pool) => pool.tenantId)).toEqual(["a", "a"]);
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
    // a's connections are idle and b has none: one of a's is closed for room, but it counts
    // until it has closed.
    expect(connector.endedTenants()).toEqual(["a"]);
    expect(b.running).toBe(false);
    expect(tenantPools.stats()).toMatchObject({ connections: 2, waiting: 1 });

    connector.finishEnds();
    await settle();
    expect(b.running).toBe(true);
    b.release();
    await b.done;
    const closed = tenantPools.closeAll();
    await settle();
    connector.finishEnds();
    await closed;
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

  it("does not count background work as a use: a tenant only swept makes room before one a request used", async () => {
    const { connector, tenantPools } = pools({ maxPools: 2, maxConnectionsPerPool: 1 });
    await tenantPools.run("served", async () => {});
    // The event sweep's relays, five of them, and the most recent use.
    for (let use = 0; use < 5; use++) {
      await tenantPools.run("swept", async () => {}, { background: true });
    }
    await tenantPools.run("new", async () => {});
    expect(connector.endedTenants()).toEqual(["swept"]);
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

  it("remembers how often a tenant was seen after its connection closed, and keeps it over a rarer one", async () => {
    const { connector, tenantPools } = pools({ maxConnections: 2, maxConnectionsPerPool: 1 });
    for (let use = 0; use < 5; use++) await tenantPools.run("often", async () => {});
    for (let use = 0; use < 2; use++) await tenantPools.run("rare", async () => {});
    tenantPools.close("often");
    await settle();
    // Back with a new connection, the newest of the two: still the one seen more often.
    await tenantPools.run("often", async () => {});
    await tenantPools.run("newcomer", async () => {});
    expect(connector.endedTenants()).toEqual(["often", "rare"]);
    await tenantPools.closeAll();
  });

  it("gives a tenant's connections back one at a time: a busy tenant keeps one when another needs room", async () => {
    const { connector, tenantPools } = pools({ maxConnections: 3, maxConnectionsPerPool: 3 });
    const burst = [hold(tenantPools, "busy"), hold(tenantPools, "busy"), hold(tenantPools, "busy")];
    await settle();
    for (const request of burst) request.release();
    await Promise.all(burst.map((request) => request.done));
    await tenantPools.run("other", async () => {});
    await tenantPools.run("third", async () => {});
    expect(connector.endedTenants()).toEqual(["busy", "busy"]);
    expect(tenantPools.stats()).toMatchObject({ pools: 3, connections: 3 });
    // Its remaining connection serves it without a new one.
    await tenantPools.run("busy", async () => {});
    expect(connector.opened.filter((pool) => pool.tenantId === "busy")).toHaveLength(3);
    await tenantPools.closeAll();
  });

  describe("with a fake clock", () => {
    afterEach(() => {
      vi.useRealTimers();
    });

    it("closes connections idle for idleMs one by one, keeping those still used", async () => {
      vi.useFakeTimers({ toFake: ["setInterval", "clearInterval", "performance"] });
      const { connector, tenantPools } = pools({ maxConnectionsPerPool: 2, idleMs: 1000 });
      const burst = [hold(tenantPools, "a"), hold(tenantPools, "a")];
      await settle();
      for (const request of burst) request.release();
      await Promise.all(burst.map((request) => request.done));
      // One request at a time from here on: one of the two connections is enough.
      for (let step = 0; step < 6; step++) {
        vi.advanceTimersByTime(400);
        await tenantPools.run("a", async () => {});
      }
      await settle();
      expect(connector.endedTenants()).toEqual(["a"]);
      expect(tenantPools.stats()).toMatchObject({ pools: 1, connections: 1 });
      vi.advanceTimersByTime(2000);
      await settle();
      expect(connector.endedTenants()).toEqual(["a", "a"]);
      expect(tenantPools.stats()).toMatchObject({ pools: 0, connections: 0 });
      await tenantPools.closeAll();
    });

    it("fails only the waiter whose connection could not be opened, not the request that made room", async () => {
      // A connector that throws, as the real one does for an id that is not a tenant's.
      const connector = fakeConnector();
      const { tenantPools } = pools({
        maxConnectionsPerPool: 1,
        maxConnections: 1,
        connectTenant: (tenantId) => {
          if (tenantId === "bad") throw new Error("not a tenant id");
          return connector.connectTenant(tenantId);
        },
      });
      let finish = () => {};
      const holding = tenantPools.run(
        "a",
        () => new Promise<void>((resolve) => (finish = resolve)),
      );
      await Promise.resolve();
      const waiting = tenantPools.run("bad", async () => "never");
      finish();
      // "a" made room for it by releasing its connection; its own answer is unharmed.
      await expect(holding).resolves.toBeUndefined();
      await expect(waiting).rejects.toThrow("not a tenant id");
      expect(tenantPools.stats()).toMatchObject({ connections: 0, waiting: 0, inUse: 0 });
      await tenantPools.closeAll();
    });

    it("forgets in time: halving makes a tenant that went quiet lose to one busy lately", async () => {
      vi.useFakeTimers({ toFake: ["setInterval", "clearInterval", "performance"] });
      // A budget of 2: the sketch halves at 1,000 requests (its smallest sample), then every 500.
      const { connector, tenantPools } = pools({ maxConnections: 2, maxConnectionsPerPool: 1 });
      for (let use = 0; use < 40; use++) await tenantPools.run("old", async () => {});
      // Spread over many tenants, so that the sketch halves several times.
      for (let use = 0; use < 3000; use++) {
        await tenantPools.run(`passing-${use % 500}`, async () => {});
        if (use % 500 === 0) await tenantPools.run("old", async () => {});
      }
      for (let use = 0; use < 10; use++) await tenantPools.run("lately", async () => {});
      await tenantPools.run("old", async () => {});
      // Room for a newcomer comes from "old" (40 uses, long ago), not "lately" (10, just now).
      const ended = connector.endedTenants().length;
      await tenantPools.run("newcomer", async () => {});
      expect(connector.endedTenants().slice(ended)).toEqual(["old"]);
      await tenantPools.closeAll();
    });
  });

  it("never exceeds the budget, nor a tenant's share, and serves every request, under any interleaving", async () => {
    type Step =
      | { kind: "request"; tenant: number }
      | { kind: "finish"; pick: number }
      | { kind: "closed"; pick: number }
      | { kind: "gone"; tenant: number };
    const step: fc.Arbitrary<Step> = fc.oneof(
      fc.record({ kind: fc.constant("request" as const), tenant: fc.integer({ min: 0, max: 5 }) }),
      fc.record({ kind: fc.constant("finish" as const), pick: fc.nat() }),
      fc.record({ kind: fc.constant("closed" as const), pick: fc.nat() }),
      fc.record({ kind: fc.constant("gone" as const), tenant: fc.integer({ min: 0, max: 5 }) }),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.array(step, { maxLength: 60 }),
        fc.record({
          maxConnections: fc.integer({ min: 1, max: 5 }),
          maxConnectionsPerPool: fc.integer({ min: 1, max: 3 }),
          maxPools: fc.integer({ min: 1, max: 4 }),
        }),
        async (steps, sizes) => {
          const perPool = Math.min(sizes.maxConnectionsPerPool, sizes.maxConnections);
          const { connector, tenantPools } = pools({ ...sizes, maxConnectionsPerPool: perPool });
          connector.holdEnds();
          const requests: ReturnType<typeof hold>[] = [];
          const check = () => {
            const live = connector.live();
            expect(live.length).toBeLessThanOrEqual(sizes.maxConnections);
            expect(tenantPools.stats().connections).toBe(live.length);
            expect(new Set(live.map((pool) => pool.tenantId)).size).toBeLessThanOrEqual(
              sizes.maxPools,
            );
            for (const tenantId of new Set(live.map((pool) => pool.tenantId))) {
              const open = live.filter((pool) => pool.tenantId === tenantId && !pool.ended);
              expect(open.length).toBeLessThanOrEqual(perPool);
            }
          };
          for (const next of steps) {
            if (next.kind === "request") requests.push(hold(tenantPools, `t${next.tenant}`));
            if (next.kind === "gone") tenantPools.close(`t${next.tenant}`);
            if (next.kind === "finish") {
              const running = requests.filter((request) => request.running && !request.released);
              running[next.pick % Math.max(1, running.length)]?.release();
            }
            if (next.kind === "closed") {
              const ending = connector.opened.filter((pool) => pool.ended && !pool.finished);
              ending[next.pick % Math.max(1, ending.length)]?.finishEnd();
            }
            await settle();
            check();
          }
          // No starvation: with work finishing and connections closing, every request gets in.
          for (let round = 0; requests.some((request) => !request.released); round++) {
            expect(round).toBeLessThan(1000);
            for (const request of requests) if (request.running) request.release();
            connector.finishEnds();
            await settle();
            check();
          }
          await Promise.all(requests.map((request) => request.done));
          const closed = tenantPools.closeAll();
          await settle();
          connector.finishEnds();
          await closed;
          expect(connector.live()).toEqual([]);
        },
      ),
      { numRuns: 200 },
    );
  });
});
