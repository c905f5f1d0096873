import type { Sql } from "@oryn/shared";
import {
  anyServerRegistered,
  findServerAddress,
  lockAcceptingServers,
} from "@oryn/shared/control-plane/tables/database-servers";
import {
  countTenantsOnServers,
  findTenantServer,
  lockTenantServer,
  setTenantServer,
} from "@oryn/shared/control-plane/tables/tenants";

export type Placement = { id: string; host: string; port: number } | null;

/**
 * Puts a tenant on the accepting server with the lowest tenants / capacity, once: a tenant that
 * has a server keeps it (a retried job must not move a half-made database). The accepting rows
 * are locked FOR UPDATE while counting, so concurrent placements take turns and each sees the
 * others' choices — without that, a burst of signups would all pick the same emptiest server.
 * Answers null when no server is registered at all (the TENANT_DATABASE_URL server).
 */
export async function placeTenant(controlPlane: Sql, tenantId: string): Promise<Placement> {
  return controlPlane.begin(async (tx) => {
    const tenant = await lockTenantServer(tx, tenantId);
    if (!tenant) throw new Error(`no tenant ${tenantId}`);
    if (tenant.serverId) return (await findServerAddress(tx, tenant.serverId)) ?? null;
    const accepting = await lockAcceptingServers(tx);
    if (accepting.length === 0) {
      if (await anyServerRegistered(tx)) throw new Error("no database server is accepting tenants");
      return null;
    }
    const counts = await countTenantsOnServers(
      tx,
      accepting.map((server) => server.id),
    );
    const load = (server: { id: string; capacity: number }) =>
      (counts.find((row) => row.serverId === server.id)?.tenants ?? 0) / server.capacity;
    const chosen = accepting
      .filter((server) => load(server) < 1)
      .sort((a, b) => load(a) - load(b) || a.id.localeCompare(b.id))[0];
    if (!chosen) throw new Error("every accepting database server is full");
    await setTenantServer(tx, tenantId, chosen.id);
    return (await findServerAddress(tx, chosen.id)) ?? null;
  });
}

/** The server a tenant is on, or null for a tenant from before servers were registered. */
export async function tenantPlacement(controlPlane: Sql, tenantId: string): Promise<Placement> {
  return (await findTenantServer(controlPlane, tenantId)) ?? null;
}
