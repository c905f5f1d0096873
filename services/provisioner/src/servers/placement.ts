import type { Sql } from "@oryn/shared";
import {
  anyServerRegistered,
  findServerAddress,
  lockAcceptingServers,
} from "@oryn/shared/control-plane/tables/database-servers";

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
    const [tenant] = await tx<{ serverId: string | null }[]>`
      select server_id from tenants where id = ${tenantId} for update`;
    if (!tenant) throw new Error(`no tenant ${tenantId}`);
    if (tenant.serverId) return (await findServerAddress(tx, tenant.serverId)) ?? null;
    const accepting = await lockAcceptingServers(tx);
    if (accepting.length === 0) {
      if (await anyServerRegistered(tx)) throw new Error("no database server is accepting tenants");
      return null;
    }
    const counts = await tx<{ serverId: string; tenants: number }[]>`
      select server_id, count(*)::int as tenants from tenants
      where server_id in ${tx(accepting.map((server) => server.id))} and status <> 'deleted'
      group by server_id`;
    const load = (server: { id: string; capacity: number }) =>
      (counts.find((row) => row.serverId === server.id)?.tenants ?? 0) / server.capacity;
    const chosen = accepting
      .filter((server) => load(server) < 1)
      .sort((a, b) => load(a) - load(b) || a.id.localeCompare(b.id))[0];
    if (!chosen) throw new Error("every accepting database server is full");
    await tx`update tenants set server_id = ${chosen.id}, updated_at = now() where id = ${tenantId}`;
    return (await findServerAddress(tx, chosen.id)) ?? null;
  });
}

/** The server a tenant is on, or null for a tenant from before servers were registered. */
export async function tenantPlacement(controlPlane: Sql, tenantId: string): Promise<Placement> {
  const [row] = await controlPlane<{ id: string; host: string; port: number }[]>`
    select s.id, s.host, s.port from tenants t join database_servers s on s.id = t.server_id
    where t.id = ${tenantId}`;
  return row ?? null;
}
