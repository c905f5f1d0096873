import { spawn } from "node:child_process";
import { join } from "node:path";
import { freePort, placed } from "@oryn/testing/processes";
import { stopChild, untilAnswering } from "../lib/children.ts";
import { measureLoad, type Scenario } from "../lib/scenario.ts";

/**
 * The floor of a Node proxy hop: the same request as `gateway` and `nginx`, through a bare
 * node:http + undici Pool proxy in front of workspace (`bench/floor-proxy.ts`). The gateway's CPU
 * per answer above this one's is what authentication, limits, logs and metrics cost.
 */
export const proxyFloor: Scenario = {
  name: "proxy-floor",
  title: "GET /v1/projects/{id} through a bare node:http + undici proxy in front of workspace",
  async run(context) {
    const [tenant] = await context.tenants(1);
    if (!tenant) throw new Error("no tenant");
    const port = await freePort();
    const { command, args } = placed(
      process.execPath,
      [
        join(import.meta.dirname, "..", "floor-proxy.ts"),
        String(port),
        context.stack.oryn.services.workspace.url,
      ],
      { cpus: context.settings.serverCpus },
    );
    const child = spawn(command, args, { stdio: ["ignore", "inherit", "inherit"] });
    context.stack.defer(() => stopChild(child));
    const url = `http://127.0.0.1:${port}`;
    await untilAnswering(url, child);
    const load = await measureLoad(context, url, [
      { path: tenant.projectPath, token: tenant.token },
    ]);
    await stopChild(child);
    return { path: "GET /v1/projects/{id}", load };
  },
};
