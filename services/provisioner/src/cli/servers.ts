import { listServers, setServerState } from "@oryn/shared/control-plane/tables/database-servers";
import { addServer } from "../servers/registry.ts";
import type { CliContext } from "./context.ts";
import { printAnswer } from "./output.ts";

/**
 * `oryn servers list | add <name> --host H --port P --capacity N | drain <name> | accept <name>`.
 * Only where a server is and how many tenants it takes: its admin credentials are those of
 * TENANT_DATABASE_URL, never stored.
 */
export async function serversCommand(
  context: CliContext,
  args: string[],
  flags: { json: boolean; host?: string; port?: string; capacity?: string },
): Promise<number> {
  const [action, name] = args;
  switch (action) {
    case "list": {
      const servers = await listServers(context.controlPlane);
      printAnswer(flags.json, servers, () =>
        servers.map(
          (server) =>
            `${server.name}\t${server.host}:${server.port}\t${server.state}\t${server.tenants}/${server.capacity} tenants`,
        ),
      );
      return 0;
    }
    case "add": {
      const port = Number(flags.port ?? 5432);
      const capacity = Number(flags.capacity);
      if (
        !name ||
        !flags.host ||
        !Number.isInteger(port) ||
        !Number.isInteger(capacity) ||
        capacity < 1
      ) {
        console.error(
          "usage: pnpm oryn servers add <name> --host <host> [--port 5432] --capacity <n>",
        );
        return 2;
      }
      const server = await addServer(context.controlPlane, {
        name,
        host: flags.host,
        port,
        capacity,
      });
      printAnswer(flags.json, server, () => [
        `added ${server.name} (${server.host}:${server.port})`,
      ]);
      return 0;
    }
    case "drain":
    case "accept": {
      if (!name) {
        console.error(`usage: pnpm oryn servers ${action} <name>`);
        return 2;
      }
      const state = action === "drain" ? "draining" : "accepting";
      const found = await setServerState(context.controlPlane, name, state);
      printAnswer(flags.json, { name, state, found }, () => [
        found ? `${name} is ${state}` : `no server named ${name}`,
      ]);
      return found ? 0 : 1;
    }
    default:
      console.error("usage: pnpm oryn servers list|add|drain|accept");
      return 2;
  }
}
