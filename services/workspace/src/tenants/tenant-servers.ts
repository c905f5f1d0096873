import { connect as dial, type Socket } from "node:net";
import { cachedPerKey, type Sql } from "@oryn/shared";

export type TenantServers = {
  /** A connected socket to the server holding the tenant's database. */
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
  connectTimeoutMs?: number;
}): TenantServers {
  const fallbackUrl = new URL(options.fallbackUrl);
  const fallback = { host: fallbackUrl.hostname, port: Number(fallbackUrl.port || 5432) };
  const addresses = cachedPerKey(
    async (tenantId): Promise<Address> => {
      const [row] = await options.controlPlane<Address[]>`
        select s.host, s.port from tenants t join database_servers s on s.id = t.server_id
        where t.id = ${tenantId}`;
      return row ?? fallback;
    },
    { ttlMs: options.ttlMs },
  );

  return {
    async socketFor(tenantId) {
      const { host, port } = await addresses.get(tenantId);
      // postgres.js uses a custom socket as it comes: it must be connected, and a server that
      // does not answer must fail like a refused connection (a 503), not hang.
      return new Promise<Socket>((resolve, reject) => {
        const socket = dial({ host, port, timeout: options.connectTimeoutMs ?? 5000 });
        socket.once("connect", () => {
          socket.setTimeout(0);
          resolve(socket);
        });
        socket.once("timeout", () => {
          socket.destroy();
          reject(
            Object.assign(new Error(`connect timeout ${host}:${port}`), { code: "ETIMEDOUT" }),
          );
        });
        socket.once("error", reject);
      });
    },
  };
}
