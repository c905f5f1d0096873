import type { Socket } from "node:net";
import {
  ApiError,
  connect,
  inSpan,
  isDatabaseUnavailable,
  type Metrics,
  type Sql,
  tenantDatabaseName,
  tenantRoleName,
  tenantRolePassword,
} from "@oryn/shared";
import { Counter, Gauge } from "prom-client";

export type TenantPools = {
  /**
   * Runs `work` with the tenant's pool once a connection is free for it, within the process's
   * budget; after `waitMs` without one, 503 `upstream_unavailable` with Retry-After. `work` must
   * use one connection at a time (sequential queries, or one transaction): the budget counts one
   * connection per running `work`.
   */
  run<T>(tenantId: string, work: (sql: Sql) => Promise<T>): Promise<T>;
  /** Closes a tenant's pool now (a deleted tenant's); queries already running finish first. */
  close(tenantId: string): void;
  stats(): PoolStats;
  closeAll(): Promise<void>;
};

export type PoolStats = {
  /** Pools open, including those closing. */
  pools: number;
  /** Connections the pools may hold open: each pool's share of the budget. */
  connections: number;
  inUse: number;
  waiting: number;
};

export type TenantPoolOptions = {
  serverUrl: string;
  passwordSecret: string;
  /** Connections one tenant's pool may open. */
  maxConnectionsPerPool: number;
  /** Connections all tenant pools of this process may have open together. */
  maxConnections: number;
  /** Pools open at once. */
  maxPools: number;
  /** A pool with nothing in flight for this long is closed. */
  idleMs: number;
  /** How long a request waits for a connection before it is answered 503. */
  waitMs: number;
  metrics?: Metrics;
  /** Where each tenant's server is (tenant-servers.ts); without it, always `serverUrl`. */
  socketFor?: (tenantId: string) => Promise<Socket>;
  /**
   * Opens one tenant's pool; by default a postgres.js pool of its database as its role. The
   * admission tests pass a fake one, to drive the budget without a server.
   */
  connectTenant?: (tenantId: string) => Sql;
};

type Pool = {
  tenantId: string;
  sql: Sql;
  /** Connections this pool may open: its share of the budget, kept until the pool closes. */
  slots: number;
  /** Running `work` calls, never more than `slots`. */
  busy: number;
  lastUsed: number;
  /** Requests admitted, decayed with a half-life of `useHalfLifeMs`, as of `lastUsed`. */
  uses: number;
};

/**
 * How fast a pool's count of uses fades. Room is made by closing the idle pool used least
 * (recently weighted), not the one used longest ago: with traffic skewed over many tenants (Zipf),
 * closing by recency alone let a stream of rarely seen tenants push out the pools of the busy
 * ones, each of which then paid for a new connection (~10-15 ms of PostgreSQL CPU on the bench
 * machine). A tenant that goes quiet loses its standing within a few half-lives.
 */
const useHalfLifeMs = 30_000;

function usesNow(pool: Pool, now: number): number {
  return pool.uses * 2 ** (-(now - pool.lastUsed) / useHalfLifeMs);
}

type Waiter = {
  tenantId: string;
  admit: (pool: Pool) => void;
  fail: (error: ApiError) => void;
  timer: NodeJS.Timeout;
};

/**
 * One postgres.js pool per tenant database, each logging in as that tenant's own role, under a
 * per-process budget of open connections and open pools.
 *
 * Why the budget is exact: postgres.js opens a connection only when a query finds none idle,
 * and here a pool never runs more `work` than its `slots`, while its connections are never
 * closed on a timer of their own (no idle timeout or max lifetime in postgres.js: a closing
 * connection would otherwise briefly overlap its replacement). So a pool's open connections
 * never exceed its slots, and the slots of all pools, open or closing, never exceed
 * `maxConnections`. Slots return to the budget only when the whole pool has closed: when it has
 * been idle for `idleMs`, or at once when a tenant without a pool is waiting and it has nothing
 * in flight (least used first: see `useHalfLifeMs`).
 *
 * A tenant whose database is slow or down can hold at most `maxConnectionsPerPool` of the
 * budget, so it cannot starve the others; its own requests answer 503.
 */
export function createTenantPools(options: TenantPoolOptions): TenantPools {
  // Map order is use order: a used pool is re-inserted, so the least recently used comes first.
  const pools = new Map<string, Pool>();
  const waiters: Waiter[] = [];
  const closing = new Set<Promise<void>>();
  let heldSlots = 0;
  let closingSlots = 0;
  let closingPools = 0;
  let shutDown = false;

  const metrics = poolMetrics(options.metrics, () => stats());
  const freeSlots = () => options.maxConnections - heldSlots - closingSlots;
  const openPools = () => pools.size + closingPools;

  function stats(): PoolStats {
    let inUse = 0;
    for (const pool of pools.values()) inUse += pool.busy;
    return {
      pools: openPools(),
      connections: heldSlots + closingSlots,
      inUse,
      waiting: waiters.length,
    };
  }

  const connectTenant =
    options.connectTenant ?? ((tenantId) => connectTenantDatabase(options, tenantId));

  function openPool(tenantId: string): Pool {
    const pool: Pool = {
      tenantId,
      sql: connectTenant(tenantId),
      slots: 0,
      busy: 0,
      lastUsed: performance.now(),
      uses: 0,
    };
    pools.set(tenantId, pool);
    metrics?.opened.inc();
    return pool;
  }

  function tenantsWaitingWithoutPool(): number {
    const tenants = new Set<string>();
    for (const waiter of waiters) if (!pools.has(waiter.tenantId)) tenants.add(waiter.tenantId);
    return tenants.size;
  }

  /**
   * Free slots owed to tenants waiting without a pool: as many as those tenants, but no more than
   * can open a pool now (a tenant held back by TENANT_POOLS_MAX gains nothing from a slot kept).
   */
  function slotsOwedToNewPools(): number {
    return Math.min(tenantsWaitingWithoutPool(), Math.max(0, options.maxPools - openPools()));
  }

  /**
   * A pool with a free slot for this tenant, taken, or undefined. Synchronous: single-flight.
   * `owed` is `slotsOwedToNewPools`, or a caller's copy of it (pump counts it once per admission,
   * not once per waiter).
   */
  function tryAdmit(tenantId: string, owed: () => number = slotsOwedToNewPools): Pool | undefined {
    let pool = pools.get(tenantId);
    if (pool && pool.busy >= pool.slots) {
      // A pool grows only from slots no tenant without a pool is waiting for: a slot freed by
      // closing a pool for such a tenant, taken by a busy pool's second request instead, left
      // that tenant waiting and made room be reclaimed again, closing one more pool.
      if (pool.slots >= options.maxConnectionsPerPool || freeSlots() - owed() <= 0) {
        return undefined;
      }
      pool.slots++;
      heldSlots++;
    }
    if (!pool) {
      if (openPools() >= options.maxPools || freeSlots() <= 0) return undefined;
      pool = openPool(tenantId);
      pool.slots = 1;
      heldSlots++;
    }
    pool.busy++;
    const now = performance.now();
    pool.uses = usesNow(pool, now) + 1;
    pool.lastUsed = now;
    pools.delete(tenantId);
    pools.set(tenantId, pool);
    return pool;
  }

  function closePool(pool: Pool, reason: "idle" | "pressure" | "tenant_gone" | "shutdown") {
    if (pools.get(pool.tenantId) !== pool) return;
    pools.delete(pool.tenantId);
    const slots = pool.slots;
    heldSlots -= slots;
    closingSlots += slots;
    closingPools++;
    metrics?.closed.inc({ reason });
    // The slots stay counted until every connection of the pool has really closed.
    const ended: Promise<void> = pool.sql
      .end({ timeout: 5 })
      .catch(() => {})
      .finally(() => {
        closingSlots -= slots;
        closingPools--;
        closing.delete(ended);
        pump();
      });
    closing.add(ended);
  }

  /** Lets in whoever can go now, oldest first; then frees room for the rest if it can. */
  function pump() {
    let owed: number | undefined;
    const owedNow = () => {
      owed ??= slotsOwedToNewPools();
      return owed;
    };
    for (let index = 0; index < waiters.length; ) {
      const waiter = waiters[index] as Waiter;
      const pool = tryAdmit(waiter.tenantId, owedNow);
      if (!pool) {
        index++;
        continue;
      }
      owed = undefined;
      waiters.splice(index, 1);
      clearTimeout(waiter.timer);
      waiter.admit(pool);
    }
    reclaim();
  }

  /**
   * Closes idle pools (nothing in flight), least used first (see `useHalfLifeMs`; the least
   * recently used first among equals), until the slots and pools being freed cover those waiting.
   * Pools with work in flight are never closed for room.
   */
  function reclaim() {
    if (waiters.length === 0) return;
    const waitingTenants = new Set(waiters.map((waiter) => waiter.tenantId));
    // Only a tenant with no pool at all is owed room. One whose pool is busy waits for its own
    // connections, which free up as its queries finish: closing another tenant's pool to give it
    // one more made pools churn under a budget many tenants share (each closed pool is a tenant
    // whose next request pays for a new connection).
    const withoutPool = tenantsWaitingWithoutPool();
    let slotDeficit = withoutPool - closingSlots - Math.max(0, freeSlots());
    let poolDeficit = withoutPool - closingPools - Math.max(0, options.maxPools - openPools());
    if (slotDeficit <= 0 && poolDeficit <= 0) return;
    const now = performance.now();
    // Map order is least recently used first, and the sort is stable: recency breaks ties.
    const idle = [...pools.values()]
      .filter((pool) => pool.busy === 0 && !waitingTenants.has(pool.tenantId))
      .map((pool) => ({ pool, uses: usesNow(pool, now) }))
      .sort((a, b) => a.uses - b.uses);
    for (const { pool } of idle) {
      if (slotDeficit <= 0 && poolDeficit <= 0) break;
      slotDeficit -= pool.slots;
      poolDeficit--;
      closePool(pool, "pressure");
    }
  }

  function acquire(tenantId: string): Promise<Pool> {
    if (shutDown) return Promise.reject(unavailable("The service is shutting down"));
    const pool = tryAdmit(tenantId);
    if (pool) return Promise.resolve(pool);
    metrics?.waits.inc();
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        tenantId,
        admit: resolve,
        fail: reject,
        timer: setTimeout(() => {
          const index = waiters.indexOf(waiter);
          if (index >= 0) waiters.splice(index, 1);
          metrics?.timeouts.inc();
          waiter.fail(
            unavailable("Every tenant database connection of this process is busy; retry shortly"),
          );
        }, options.waitMs),
      };
      waiters.push(waiter);
      reclaim();
    });
  }

  const sweep = setInterval(
    () => {
      const now = performance.now();
      for (const pool of [...pools.values()]) {
        if (pool.busy === 0 && now - pool.lastUsed >= options.idleMs) closePool(pool, "idle");
      }
    },
    Math.max(50, Math.min(options.idleMs / 2, 10_000)),
  );
  sweep.unref();

  return {
    async run(tenantId, work) {
      const pool = await acquire(tenantId);
      try {
        return await inSpan(
          "tenant database",
          { "db.system.name": "postgresql", "oryn.tenant_id": tenantId },
          () => work(pool.sql),
        );
      } catch (error) {
        throw databaseUnavailable(error) ?? error;
      } finally {
        pool.busy--;
        const now = performance.now();
        pool.uses = usesNow(pool, now);
        pool.lastUsed = now;
        pump();
      }
    },
    close(tenantId) {
      const pool = pools.get(tenantId);
      if (pool) closePool(pool, "tenant_gone");
    },
    stats,
    async closeAll() {
      shutDown = true;
      clearInterval(sweep);
      for (const waiter of waiters.splice(0)) {
        clearTimeout(waiter.timer);
        waiter.fail(unavailable("The service is shutting down"));
      }
      for (const pool of [...pools.values()]) closePool(pool, "shutdown");
      await Promise.all([...closing]);
    },
  };
}

function connectTenantDatabase(options: TenantPoolOptions, tenantId: string): Sql {
  return connect(options.serverUrl, {
    database: tenantDatabaseName(tenantId),
    username: tenantRoleName(tenantId),
    password: tenantRolePassword(options.passwordSecret, tenantId),
    max: options.maxConnectionsPerPool,
    // Never closed one by one: see createTenantPools. The pool as a whole closes when idle.
    idleTimeoutSeconds: 0,
    maxLifetimeSeconds: null,
    applicationName: "oryn-workspace",
    // Pools open and close as tenants come and go: the array-type query postgres.js would
    // run on each new connection was ~40% of opening one (tenant queries send no arrays).
    fetchTypes: false,
    ...(options.socketFor && { socket: options.socketFor.bind(null, tenantId) }),
  });
}

function unavailable(detail: string): ApiError {
  return new ApiError("upstream_unavailable", {
    status: 503,
    detail,
    headers: { "retry-after": "1" },
  });
}

/** The tenant's database cannot be reached, or refuses its role: 503 for this tenant only. */
function databaseUnavailable(error: unknown): ApiError | undefined {
  if (!isDatabaseUnavailable(error, { tenant: true })) return undefined;
  return new ApiError("upstream_unavailable", {
    status: 503,
    detail: "The tenant's database is unavailable",
    headers: { "retry-after": "5" },
    cause: error,
  });
}

function poolMetrics(metrics: Metrics | undefined, stats: () => PoolStats) {
  if (!metrics) return undefined;
  const registers = [metrics.registry];
  const gauge = (name: string, help: string, pick: (stats: PoolStats) => number) =>
    new Gauge({
      name,
      help,
      registers,
      collect() {
        this.set(pick(stats()));
      },
    });
  gauge("tenant_pools_open", "Tenant connection pools open (or closing)", (s) => s.pools);
  gauge(
    "tenant_connections_budgeted",
    "Connections the open tenant pools may hold, out of TENANT_CONNECTIONS_MAX",
    (s) => s.connections,
  );
  gauge("tenant_connections_in_use", "Tenant connections running a query", (s) => s.inUse);
  gauge("tenant_connection_waiting", "Requests waiting for a tenant connection", (s) => s.waiting);
  return {
    opened: new Counter({
      name: "tenant_pools_opened_total",
      help: "Tenant pools opened",
      registers,
    }),
    closed: new Counter({
      name: "tenant_pools_closed_total",
      help: "Tenant pools closed, by reason",
      labelNames: ["reason"] as const,
      registers,
    }),
    waits: new Counter({
      name: "tenant_connection_waits_total",
      help: "Requests that had to wait for a tenant connection",
      registers,
    }),
    timeouts: new Counter({
      name: "tenant_connection_wait_timeouts_total",
      help: "Requests answered 503 after waiting TENANT_CONNECTION_WAIT_MS for a connection",
      registers,
    }),
  };
}
