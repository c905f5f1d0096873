import { startBenchServer } from "../lib/own-services.ts";
import { measureLoad, type Scenario } from "../lib/scenario.ts";

/** 1. The ceiling: a bare @hono/node-server JSON endpoint on the servers' cores. */
export const ceiling: Scenario = {
  name: "ceiling",
  title: "bare @hono/node-server JSON endpoint",
  async run(context) {
    const server = await startBenchServer(context, "ceiling-server.ts");
    const load = await measureLoad(context, server.url, [{ path: "/" }]);
    await server.stop();
    return { path: "GET /", load };
  },
};
