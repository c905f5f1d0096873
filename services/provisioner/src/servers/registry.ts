import type { Sql } from "@oryn/shared";
import {
  anyServerRegistered,
  type DatabaseServer,
  insertDefaultServer,
  insertServer,
  listServers,
  lockServerRegistry,
} from "@oryn/shared/control-plane/tables/database-servers";
import { placeUnplacedTenants } from "@oryn/shared/control-plane/tables/tenants";

export async function addServer(
  controlPlane: Sql,
  server: { name: string; host: string; port: number; capacity: number },
): Promise<DatabaseServer> {
  await insertServer(controlPlane, server);
  const added = (await listServers(controlPlane)).find((row) => row.name === server.name);
  if (!added) throw new Error(`server ${server.name} vanished`);
  return added;
}

/**
 * With no server registered, registers the TENANT_DATABASE_URL server as `default` and places
 * every tenant made before registration there (where they are). One transaction, under a lock on
 * the registry, so two provisioners starting together register it once.
 */
export async function ensureDefaultServer(
  controlPlane: Sql,
  adminUrl: string,
  capacity: number,
): Promise<void> {
  const url = new URL(adminUrl);
  await controlPlane.begin(async (tx) => {
    await lockServerRegistry(tx);
    if (await anyServerRegistered(tx)) return;
    const serverId = await insertDefaultServer(tx, {
      host: url.hostname,
      port: Number(url.port || 5432),
      capacity,
    });
    await placeUnplacedTenants(tx, serverId);
  });
}
