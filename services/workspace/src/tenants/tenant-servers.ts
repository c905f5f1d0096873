import { connect as dial, type Socket } from "node:net";
import { Duplex } from "node:stream";
import { cachedPerKey, type Sql } from "@oryn/shared";
import { findTenantServer } from "@oryn/shared/control-plane/tables/tenants";

export type TenantServers = {
  /**
   * A socket to the server holding the tenant's database: connected, still connecting, or one
   * that fails. Never a rejection: postgres.js never frees a connection whose socket did.
   */
  socketFor(tenantId: string): Promise<Socket>;
};

type Address = { host: string; port: number };

/**
 * Where each tenant's database lives, from the control plane's placement (tenants.server_id →
 * database_servers host and port; workspace may read nothing else of the registry), cached for
 * `ttlMs`. A tenant placed before servers were registered has no server_id: it is on
 * TENANT_DATABASE_SERVER. Resolved per connection, so a pool follows its tenant's server.
 */
export function createTenantServers(options: {
  controlPlane: Sql;
  fallbackUrl: string;
  ttlMs: number;
  /** While the control plane cannot be read, an address read within this long is used. */
  staleMs: number;
  connectTimeoutMs?: number;
}): TenantServers {
  const fallbackUrl = new URL(options.fallbackUrl);
  const fallback = { host: fallbackUrl.hostname, port: Number(fallbackUrl.port || 5432) };
  const addresses = cachedPerKey(
    async (tenantId): Promise<Address> =>
      (await findTenantServer(options.controlPlane, tenantId)) ?? fallback,
    { ttlMs: options.ttlMs },
  );

  return {
    async socketFor(tenantId) {
      // postgres.js strands a connection whose socket function rejects: it is never closed, so
      // after TENANT_POOL_MAX failures (a server down for a moment) the pool has no connection
      // left and its queries wait forever. So this never rejects: it hands over a socket that
      // is still connecting, whose failure (refused, timed out) postgres.js sees as it would on
      // a socket of its own: the query fails (503) and the connection is free to try again.
      let address: Address;
      try {
        address = (await addresses.getOrStale(tenantId, options.staleMs)).value;
      } catch (error) {
        return failedSocket(error);
      }
      const timeoutMs = options.connectTimeoutMs ?? 5000;
      // A server that does not answer must fail like a refused connection, not hang.
      const socket = dial({ host: address.host, port: address.port, timeout: timeoutMs });
      socket.once("connect", () => socket.setTimeout(0));
      socket.once("timeout", () => {
        socket.destroy(
          Object.assign(new Error(`connect timeout ${address.host}:${address.port}`), {
            code: "ETIMEDOUT",
          }),
        );
      });
      return socket;
    },
  };
}

/**
 * A stand-in socket that fails with `error` once postgres.js has taken it (its listeners are on
 * by the next turn of the event loop); writes before then go nowhere.
 */
function failedSocket(error: unknown): Socket {
  const stream = new Duplex({
    read() {},
    write(_chunk, _encoding, done) {
      done();
    },
  });
  setImmediate(() => stream.destroy(error instanceof Error ? error : new Error(String(error))));
  return stream as unknown as Socket;
}
