import { spawn } from "node:child_process";
import { join } from "node:path";
import { tenantDatabaseName } from "@oryn/shared";
import { freePort, placed } from "@oryn/testing/processes";
import { stopChild, untilAnswering } from "../lib/children.ts";
import { measureLoad, type Scenario } from "../lib/scenario.ts";

/**
 * The floor of a Node service reading a row: the same request as `workspace`, answered by a bare
 * @hono/node-server endpoint running the same query with postgres.js on the tenant's database
 * (`bench/floor-database.ts`). Workspace's CPU per answer above this one's is what its token
 * check, tenant gate, connection budget, logs and metrics cost; this one's above the bare
 * endpoint's is the PostgreSQL round trip in Node.
 */
export const databaseFloor: Scenario = {
  name: "database-floor",
  title: "GET /v1/projects/{id} from a bare @hono/node-server + postgres.js endpoint",
  async run(context) {
    const [tenant] = await context.tenants(1);
    if (!tenant) throw new Error("no tenant");
    const database = new URL(context.stack.postgres.url);
    database.pathname = `/${tenantDatabaseName(tenant.id)}`;
    const port = await freePort();
    const { command, args } = placed(
      process.execPath,
      [join(import.meta.dirname, "..", "floor-database.ts"), String(port), database.toString()],
      { cpus: context.settings.serverCpus },
    );
    const child = spawn(command, args, { stdio: ["ignore", "inherit", "inherit"] });
    context.stack.defer(() => stopChild(child));
    const url = `http://127.0.0.1:${port}`;
    await untilAnswering(url, child);
    const load = await measureLoad(context, url, [{ path: tenant.projectPath }]);
    await stopChild(child);
    return { path: "GET /v1/projects/{id}", load };
  },
};
