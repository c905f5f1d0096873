import type { Socket } from "node:net";
import {
  connect,
  type Sql,
  tenantDatabaseName,
  tenantRoleName,
  tenantRolePassword,
} from "@oryn/shared";

export type TenantPools = {
  /** The pool for a tenant's database, connecting as that tenant's own role. */
  get(tenantId: string): Sql;
  size(): number;
  closeAll(): Promise<void>;
};

/**
 * One postgres.js pool per tenant database, opened on first use (pools connect lazily, so a
 * burst of first requests shares one pool) and closed least-recently-used past `maxPools`.
 * Because each pool logs in as the tenant's role, a request routed to the wrong pool still meets
 * a database that refuses it.
 */
export function createTenantPools(options: {
  serverUrl: string;
  passwordSecret: string;
  maxConnectionsPerPool: number;
  maxPools: number;
  /** Where each tenant's server is (tenant-servers.ts); without it, always `serverUrl`. */
  socketFor?: (tenantId: string) => Promise<Socket>;
}): TenantPools {
  // A Map iterates in insertion order; re-inserting on use keeps the least recent first.
  const pools = new Map<string, Sql>();
  // Evicted pools finishing their last queries; closeAll waits for them too.
  const closing = new Set<Promise<void>>();
  return {
    get(tenantId) {
      const existing = pools.get(tenantId);
      if (existing) {
        pools.delete(tenantId);
        pools.set(tenantId, existing);
        return existing;
      }
      const pool = connect(options.serverUrl, {
        database: tenantDatabaseName(tenantId),
        username: tenantRoleName(tenantId),
        password: tenantRolePassword(options.passwordSecret, tenantId),
        max: options.maxConnectionsPerPool,
        idleTimeoutSeconds: 30,
        applicationName: "oryn-workspace",
        ...(options.socketFor && { socket: options.socketFor.bind(null, tenantId) }),
      });
      pools.set(tenantId, pool);
      if (pools.size > options.maxPools) {
        const [oldestId, oldest] = pools.entries().next().value as [string, Sql];
        pools.delete(oldestId);
        // Queries already running on it finish; new ones for that tenant open a new pool.
        const ended = oldest.end({ timeout: 5 }).finally(() => closing.delete(ended));
        closing.add(ended);
      }
      return pool;
    },
    size: () => pools.size,
    async closeAll() {
      const all = [...pools.values()];
      pools.clear();
      await Promise.all([...all.map((pool) => pool.end({ timeout: 5 })), ...closing]);
    },
  };
}
