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
import { createFrequencySketch } from "./frequency-sketch.ts";

export type TenantPools = {
  /**
   * Runs `work` with the tenant's pool once a connection is free for it, within the process's
   * budget; after `waitMs` without one, 503 `upstream_unavailable` with Retry-After. `work` must
   * use one connection at a time (sequential queries, or one transaction): the budget counts one
   * connection per running `work`.
   */
  run<T>(tenantId: string, work: (sql: Sql) => Promise<T>, options?: RunOptions): Promise<T>;
  /** Closes a tenant's pool now (a deleted tenant's); queries already running finish first. */
  close(tenantId: string): void;
  stats(): PoolStats;
  closeAll(): Promise<void>;
};

export type RunOptions = {
  /**
   * Work no request asked for (the event sweep): not counted as a use of the tenant in the
   * frequency sketch, so that it does not make a tenant look busy and keep its connection over
   * one that requests use. It still needs a connection within the budget like any other.
   */
  background?: boolean;
};

export type PoolStats = {
  /** Tenants with connections open or closing. */
  pools: number;
  /** Connections open or closing: what counts against the budget. */
  connections: number;
  inUse: number;
  waiting: number;
};

export type TenantPoolOptions = {
  serverUrl: string;
  passwordSecret: string;
  /** Connections one tenant may have open. */
  maxConnectionsPerPool: number;
  /** Connections all tenants of this process may have open together (the budget). */
  maxConnections: number;
  /** Tenants with connections open (or closing) at once. */
  maxPools: number;
  /** A connection idle for this long is closed. */
  idleMs: number;
  /** How long a request waits for a connection before it is answered 503. */
  waitMs: number;
  metrics?: Metrics;
  /** Where each tenant's server is (tenant-servers.ts); without it, always `serverUrl`. */
  socketFor?: (tenantId: string) => Promise<Socket>;
  /**
   * Opens one connection to a tenant's database: by default a postgres.js pool of one, to its
   * database as its role. The admission tests pass a fake one, to drive the budget without a
   * server.
   */
  connectTenant?: (tenantId: string) => Sql;
};

/** A tenant's connections: what the API calls its pool. */
type Tenant = {
  id: string;
  /** Idle connections, the one idle longest first. */
  idle: Connection[];
  /** Connections open (busy or idle); those closing are not in it. */
  open: number;
  busy: number;
  /** Connections closing, still counted in the budget until they have closed. */
  closing: number;
  /** Bumped by `close`: a connection of an older generation closes when its work ends. */
  generation: number;
};

type Connection = { tenant: Tenant; sql: Sql; idleSince: number; generation: number };

type Waiter = {
  tenantId: string;
  admit: (connection: Connection) => void;
  fail: (error: unknown) => void;
  timer: NodeJS.Timeout;
};

/**
 * Connections to tenant databases, each logging in as that tenant's own role, under a per-process
 * budget of open connections and of tenants with connections.
 *
 * Each connection is its own postgres.js pool of one, so that it can be opened and closed on its
 * own and the budget is exact: a connection counts from the moment it is decided until its
 * socket has closed, and postgres.js never closes or replaces one behind our back (no idle
 * timeout or max lifetime of its own).
 *
 * Which connections stay open is a cache policy, and a miss costs a new PostgreSQL session
 * (~10-15 ms of server CPU on the bench machine). With traffic skewed over many tenants (Zipf),
 * the best a budget of B can do for N tenants is to hold the B busiest: a share H(B)/H(N) of
 * requests then finds a connection. Three rules get close to that:
 * - Room for a tenant without a connection is made from idle connections only, and first from a
 *   tenant's second or later connection, one at a time: a busy tenant that grew while the budget
 *   was free gives its extra connections back before any other tenant loses its only one.
 * - Among tenants' only connections, the one of the tenant seen least often lately goes, by a
 *   frequency sketch that also remembers tenants without connections (frequency-sketch.ts): a
 *   tenant seen once in a while then evicts another rarely seen one, not a busy tenant whose
 *   connection happened to be idle.
 * - A tenant whose connections are all busy grows only from budget no tenant without a
 *   connection is waiting for; otherwise it waits for its own, which free up as its queries end.
 * Connections idle for `idleMs` are closed one by one.
 *
 * A tenant whose database is slow or down can hold at most `maxConnectionsPerPool` of the
 * budget, so it cannot starve the others; its own requests answer 503.
 */
export function createTenantPools(options: TenantPoolOptions): TenantPools {
  const tenants = new Map<string, Tenant>();
  const waiters: Waiter[] = [];
  const closing = new Set<Promise<void>>();
  let openConnections = 0;
  let closingConnections = 0;
  let shutDown = false;
  /** Connections running work. */
  const running = new Set<Connection>();
  // TinyLFU suggests ten samples per cache entry between halvings; under Zipf traffic over 1,000
  // tenants with a budget of 100, a simulation of this policy (1,000 requests between halvings,
  // 1.19 of the bound; 3,200: 1.07; 10,000: 1.04) showed that tenants near the edge of the
  // busiest B need more samples to be told apart from the rare ones. The sketch is 16 KiB then
  // (4 rows of 16 × budget two-byte counters).
  const sketch = createFrequencySketch({
    width: 16 * options.maxConnections,
    sampleSize: Math.max(1000, 100 * options.maxConnections),
  });

  const metrics = poolMetrics(options.metrics, () => stats());
  const freeSlots = () => options.maxConnections - openConnections - closingConnections;

  function stats(): PoolStats {
    return {
      pools: tenants.size,
      connections: openConnections + closingConnections,
      inUse: running.size,
      waiting: waiters.length,
    };
  }

  const connectTenant =
    options.connectTenant ?? ((tenantId) => connectTenantDatabase(options, tenantId));

  function tenantWithoutConnection(tenantId: string) {
    const tenant = tenants.get(tenantId);
    return !tenant || tenant.open === 0;
  }

  function tenantsWaitingWithoutConnection(): number {
    const waiting = new Set<string>();
    for (const waiter of waiters) {
      if (tenantWithoutConnection(waiter.tenantId)) waiting.add(waiter.tenantId);
    }
    return waiting.size;
  }

  /**
   * Free slots owed to tenants waiting without a connection: as many as those tenants, but no
   * more than can have one now (a tenant held back by TENANT_POOLS_MAX gains nothing from a slot
   * kept).
   */
  function slotsOwedToNewPools(): number {
    return Math.min(
      tenantsWaitingWithoutConnection(),
      Math.max(0, options.maxPools - tenants.size) + closingOnlyTenants(),
    );
  }

  /** Tenants whose last connections are closing: each will free a place among `maxPools`. */
  function closingOnlyTenants(): number {
    let count = 0;
    for (const tenant of tenants.values()) if (tenant.open === 0) count++;
    return count;
  }

  /**
   * A connection for this tenant, taken, or undefined. Synchronous: single-flight. `owed` is
   * `slotsOwedToNewPools`, or a caller's copy of it (pump counts it once per admission).
   */
  function tryAdmit(
    tenantId: string,
    owed: () => number = slotsOwedToNewPools,
  ): Connection | undefined {
    let tenant = tenants.get(tenantId);
    // The one used last: the others stay idle longer and are closed on the idle timeout, one by
    // one, when the tenant needs fewer connections than it had.
    const connection = tenant?.idle.pop();
    if (tenant && connection) {
      tenant.busy++;
      running.add(connection);
      return connection;
    }
    if (tenant && tenant.open > 0) {
      // A tenant grows only from slots no tenant without a connection is waiting for: a slot
      // freed by closing a connection for such a tenant, taken by a busy tenant's next request
      // instead, left that tenant waiting and made room be reclaimed again.
      // Closing connections count against the tenant's cap too: PostgreSQL still holds them
      // against its role's connection limit until they are gone.
      if (
        tenant.open + tenant.closing >= options.maxConnectionsPerPool ||
        freeSlots() - owed() <= 0
      ) {
        return undefined;
      }
    } else {
      if (freeSlots() <= 0) return undefined;
      // Its last connections still closing count against its cap as above.
      if (tenant && tenant.closing >= options.maxConnectionsPerPool) return undefined;
      if (!tenant && tenants.size >= options.maxPools) return undefined;
    }
    // Made before anything is counted or recorded: should it throw, no slot of the budget and no
    // tenant entry is left behind with it.
    const sql = connectTenant(tenantId);
    if (!tenant) {
      tenant = { id: tenantId, idle: [], open: 0, busy: 0, closing: 0, generation: 0 };
      tenants.set(tenantId, tenant);
      metrics?.opened.inc();
    }
    tenant.open++;
    tenant.busy++;
    openConnections++;
    metrics?.connectionsOpened.inc();
    const opened = { tenant, sql, idleSince: 0, generation: tenant.generation };
    running.add(opened);
    return opened;
  }

  function release(connection: Connection) {
    const tenant = connection.tenant;
    tenant.busy--;
    running.delete(connection);
    if (shutDown || connection.generation !== tenant.generation) {
      closeConnection(connection, shutDown ? "shutdown" : "tenant_gone");
    } else {
      connection.idleSince = performance.now();
      tenant.idle.push(connection);
    }
    pump();
  }

  type CloseReason = "idle" | "pressure" | "tenant_gone" | "shutdown";

  /** Closes an idle (or just released) connection; it counts until it has really closed. */
  function closeConnection(connection: Connection, reason: CloseReason) {
    const tenant = connection.tenant;
    const index = tenant.idle.indexOf(connection);
    if (index >= 0) tenant.idle.splice(index, 1);
    tenant.open--;
    tenant.closing++;
    openConnections--;
    closingConnections++;
    metrics?.connectionsClosed.inc({ reason });
    const ended: Promise<void> = connection.sql
      .end({ timeout: 5 })
      .catch(() => {})
      .finally(() => {
        tenant.closing--;
        closingConnections--;
        closing.delete(ended);
        if (tenant.open === 0 && tenant.closing === 0 && tenants.get(tenant.id) === tenant) {
          tenants.delete(tenant.id);
          metrics?.closed.inc({ reason });
        }
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
      let connection: Connection | undefined;
      try {
        connection = tryAdmit(waiter.tenantId, owedNow);
      } catch (error) {
        // Opening its connection threw (tryAdmit counted nothing): that waiter's failure, not
        // the failure of whichever request's release or close is pumping.
        waiters.splice(index, 1);
        clearTimeout(waiter.timer);
        waiter.fail(error);
        continue;
      }
      if (!connection) {
        index++;
        continue;
      }
      owed = undefined;
      waiters.splice(index, 1);
      clearTimeout(waiter.timer);
      waiter.admit(connection);
    }
    reclaim();
  }

  /**
   * Closes idle connections of tenants not waiting themselves until the slots (and places among
   * `maxPools`) being freed cover the tenants waiting without a connection. A tenant whose
   * connections are all busy is owed nothing: it waits for its own (see `tryAdmit`). Busy
   * connections are never closed for room.
   */
  function reclaim() {
    if (waiters.length === 0) return;
    const withoutConnection = new Set<string>();
    const waiting = new Set<string>();
    for (const waiter of waiters) {
      waiting.add(waiter.tenantId);
      if (tenantWithoutConnection(waiter.tenantId)) withoutConnection.add(waiter.tenantId);
    }
    const newPools = [...withoutConnection].filter((tenantId) => !tenants.has(tenantId)).length;
    let slotDeficit = withoutConnection.size - closingConnections - Math.max(0, freeSlots());
    let poolDeficit =
      newPools - closingOnlyTenants() - Math.max(0, options.maxPools - tenants.size);
    while (slotDeficit > 0 || poolDeficit > 0) {
      if (poolDeficit > 0) {
        // Only a tenant closed entirely makes a place among `maxPools`.
        const victim = leastValued(
          [...tenants.values()].filter(
            (tenant) => tenant.busy === 0 && tenant.open > 0 && !waiting.has(tenant.id),
          ),
        );
        if (!victim) return;
        slotDeficit -= victim.idle.length;
        poolDeficit--;
        for (const connection of [...victim.idle]) closeConnection(connection, "pressure");
        continue;
      }
      const victim = leastValuedConnection(waiting);
      if (!victim) return;
      slotDeficit--;
      closeConnection(victim, "pressure");
    }
  }

  /** The tenant seen least often lately (the sketch's estimate), the one idle longest among equals. */
  function leastValued(candidates: Tenant[]): Tenant | undefined {
    let least: Tenant | undefined;
    let leastSeen = Number.POSITIVE_INFINITY;
    for (const tenant of candidates) {
      const seen = sketch.estimate(tenant.id);
      if (seen < leastSeen || (seen === leastSeen && idleSince(tenant) < idleSince(least))) {
        least = tenant;
        leastSeen = seen;
      }
    }
    return least;
  }

  /**
   * The idle connection to close for room: a second or later connection of a tenant if there is
   * one (that tenant still has one), else the only one of the tenant seen least often lately.
   */
  function leastValuedConnection(waiting: Set<string>): Connection | undefined {
    const candidates = [...tenants.values()].filter(
      (tenant) => tenant.idle.length > 0 && !waiting.has(tenant.id),
    );
    const extra = leastValued(candidates.filter((tenant) => tenant.open > 1));
    return (extra ?? leastValued(candidates))?.idle[0];
  }

  function idleSince(tenant: Tenant | undefined): number {
    return tenant?.idle[0]?.idleSince ?? Number.POSITIVE_INFINITY;
  }

  function acquire(tenantId: string, background: boolean): Promise<Connection> {
    if (shutDown) return Promise.reject(unavailable("The service is shutting down"));
    if (!background) sketch.add(tenantId);
    const connection = tryAdmit(tenantId);
    if (connection) return Promise.resolve(connection);
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
      for (const tenant of [...tenants.values()]) {
        for (const connection of [...tenant.idle]) {
          if (now - connection.idleSince >= options.idleMs) closeConnection(connection, "idle");
        }
      }
    },
    Math.max(50, Math.min(options.idleMs / 2, 10_000)),
  );
  sweep.unref();

  return {
    async run(tenantId, work, options) {
      const connection = await acquire(tenantId, options?.background === true);
      try {
        return await inSpan(
          "tenant database",
          { "db.system.name": "postgresql", "oryn.tenant_id": tenantId },
          () => work(connection.sql),
        );
      } catch (error) {
        throw databaseUnavailable(error) ?? error;
      } finally {
        release(connection);
      }
    },
    close(tenantId) {
      const tenant = tenants.get(tenantId);
      if (!tenant) return;
      // Connections running work close when it ends; a later request opens new ones.
      tenant.generation++;
      for (const connection of [...tenant.idle]) closeConnection(connection, "tenant_gone");
    },
    stats,
    async closeAll() {
      shutDown = true;
      clearInterval(sweep);
      for (const waiter of waiters.splice(0)) {
        clearTimeout(waiter.timer);
        waiter.fail(unavailable("The service is shutting down"));
      }
      for (const tenant of [...tenants.values()]) {
        for (const connection of [...tenant.idle]) closeConnection(connection, "shutdown");
      }
      // Connections running work close once it ends, or after 5 s (postgres.js's timeout);
      // their `release` then only counts them closed.
      const ending = [...running].map((connection) => connection.sql.end({ timeout: 5 }));
      await Promise.all([...ending, ...closing].map((ended) => ended.catch(() => {})));
    },
  };
}

function connectTenantDatabase(options: TenantPoolOptions, tenantId: string): Sql {
  return connect(options.serverUrl, {
    database: tenantDatabaseName(tenantId),
    username: tenantRoleName(tenantId),
    password: tenantRolePassword(options.passwordSecret, tenantId),
    // One connection: createTenantPools opens and closes each on its own, within the budget.
    max: 1,
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
    "Tenant connections open or closing, out of TENANT_CONNECTIONS_MAX",
    (s) => s.connections,
  );
  gauge("tenant_connections_in_use", "Tenant connections running a query", (s) => s.inUse);
  gauge("tenant_connection_waiting", "Requests waiting for a tenant connection", (s) => s.waiting);
  return {
    opened: new Counter({
      name: "tenant_pools_opened_total",
      help: "Tenant pools opened (a tenant's first connection while it had none)",
      registers,
    }),
    closed: new Counter({
      name: "tenant_pools_closed_total",
      help: "Tenant pools closed (a tenant's last connection), by reason",
      labelNames: ["reason"] as const,
      registers,
    }),
    connectionsOpened: new Counter({
      name: "tenant_connections_opened_total",
      help: "Tenant database connections opened (each a new PostgreSQL session)",
      registers,
    }),
    connectionsClosed: new Counter({
      name: "tenant_connections_closed_total",
      help: "Tenant database connections closed, by reason",
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
