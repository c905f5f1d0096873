import type { Sql } from "@oryn/shared";
import { listServers } from "@oryn/shared/control-plane/tables/database-servers";
import type { ServerAdmins } from "../servers/admins.ts";
import { countReadySparesByServer } from "../spares/spare-databases.ts";

export type OperatorServer = {
  id: string;
  name: string;
  host: string;
  port: number;
  state: "accepting" | "draining";
  capacity: number;
  tenants: number;
  load: number;
  spares: number;
  reachable: boolean;
  connections: number | null;
};

/** A server that does not answer this fast is shown unreachable rather than holding the page. */
const probeTimeoutMs = 2_000;

/**
 * The registry with what placement weighs (tenants / capacity), the warm pool's ready spares, and
 * each server asked now how many connections its tenant databases hold, through the admin pool
 * the provisioner already keeps for it. The servers are asked at once, so one that is down costs
 * the page at most the probe's timeout.
 */
export async function serversWithLoad(
  controlPlane: Sql,
  admins: ServerAdmins,
): Promise<OperatorServer[]> {
  const [servers, spares] = await Promise.all([
    listServers(controlPlane),
    countReadySparesByServer(controlPlane),
  ]);
  return Promise.all(
    servers.map(async (server) => {
      const connections = await probe(admins, server);
      return {
        id: server.id,
        name: server.name,
        host: server.host,
        port: server.port,
        state: server.state,
        capacity: server.capacity,
        tenants: server.tenants,
        load: Math.round((server.tenants / server.capacity) * 10_000) / 10_000,
        spares: spares.find((row) => row.serverId === server.id)?.ready ?? 0,
        reachable: connections !== null,
        connections,
      };
    }),
  );
}

async function probe(
  admins: ServerAdmins,
  server: { id: string; host: string; port: number },
): Promise<number | null> {
  const { admin } = admins.forPlacement(server);
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<null>((resolve) => {
    timer = setTimeout(() => resolve(null), probeTimeoutMs);
  });
  try {
    const counted = admin<{ connections: number }[]>`
      select count(*)::int as connections from pg_stat_activity
      where datname like 'oryn\\_t\\_%'`.then(
      ([row]) => row?.connections ?? 0,
      () => null,
    );
    return await Promise.race([counted, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
