import type { Sql } from "@oryn/shared";
import {
  listServerAddresses,
  unregisteredServer,
} from "@oryn/shared/control-plane/tables/database-servers";
import type { ServerAdmin, ServerAdmins } from "../servers/admins.ts";

/** A tenant database server as a fleet migration sees it: a name for reports, admin access. */
export type FleetServer = { name: string; target: ServerAdmin };

/**
 * Every registered server, and the TENANT_DATABASE_URL server when it is not registered (tenants
 * from before the registry live there, and their clones come from its template).
 */
export async function fleetServers(
  controlPlane: Sql,
  admins: ServerAdmins,
): Promise<FleetServer[]> {
  const servers = (await listServerAddresses(controlPlane)).map((server) => ({
    name: server.name,
    target: admins.forPlacement(server),
  }));
  const fallback = admins.forPlacement(null);
  if (!servers.some((server) => server.target.admin === fallback.admin)) {
    servers.push({ name: unregisteredServer, target: fallback });
  }
  return servers;
}
