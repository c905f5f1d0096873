import { startBenchServer } from "../lib/own-services.ts";
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
    const proxy = await startBenchServer(context, "floor-proxy.ts", [
      context.stack.oryn.services.workspace.url,
    ]);
    const load = await measureLoad(context, proxy.url, [
      { path: tenant.projectPath, token: tenant.token },
    ]);
    await proxy.stop();
    return { path: "GET /v1/projects/{id}", load };
  },
};
