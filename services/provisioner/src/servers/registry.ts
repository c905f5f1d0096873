import type { Sql } from "@oryn/shared";
import type { Row } from "@oryn/shared/control-plane/schema";

export type DatabaseServer = Pick<
  Row<"database_servers">,
  "id" | "name" | "host" | "port" | "capacity" | "state"
> & {
  /** Tenants placed on it (any status but deleted). */
  tenants: number;
};

export async function listServers(controlPlane: Sql): Promise<DatabaseServer[]> {
  return controlPlane<DatabaseServer[]>`
    select s.id, s.name, s.host, s.port, s.capacity, s.state,
           (select count(*)::int from tenants t where t.server_id = s.id and t.status <> 'deleted') as tenants
    from database_servers s order by s.name`;
}

export async function addServer(
  controlPlane: Sql,
  server: { name: string; host: string; port: number; capacity: number },
): Promise<DatabaseServer> {
  await controlPlane`
    insert into database_servers (name, host, port, capacity)
    values (${server.name}, ${server.host}, ${server.port}, ${server.capacity})`;
  const added = (await listServers(controlPlane)).find((row) => row.name === server.name);
  if (!added) throw new Error(`server ${server.name} vanished`);
  return added;
}

/** Draining keeps a server's tenants where they are and sends no new ones to it. */
export async function setServerState(
  controlPlane: Sql,
  name: string,
  state: DatabaseServer["state"],
): Promise<boolean> {
  const rows =
    await controlPlane`update database_servers set state = ${state} where name = ${name}`;
  return rows.count === 1;
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
    await tx`lock table database_servers in share row exclusive mode`;
    const [any] = await tx`select 1 from database_servers limit 1`;
    if (any) return;
    const [server] = await tx<{ id: string }[]>`
      insert into database_servers (name, host, port, capacity)
      values ('default', ${url.hostname}, ${Number(url.port || 5432)}, ${capacity})
      returning id`;
    await tx`update tenants set server_id = ${server?.id ?? null} where server_id is null`;
  });
}
