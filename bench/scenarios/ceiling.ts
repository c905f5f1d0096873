import { spawn } from "node:child_process";
import { join } from "node:path";
import { freePort, placed } from "@oryn/testing/processes";
import { stopChild, untilAnswering } from "../lib/children.ts";
import { measureLoad, type Scenario } from "../lib/scenario.ts";

/** 1. The ceiling: a bare @hono/node-server JSON endpoint on the servers' cores. */
export const ceiling: Scenario = {
  name: "ceiling",
  title: "bare @hono/node-server JSON endpoint",
  async run(context) {
    const port = await freePort();
    const { command, args } = placed(
      process.execPath,
      [join(import.meta.dirname, "..", "ceiling-server.ts"), String(port)],
      { cpus: context.settings.serverCpus },
    );
    const child = spawn(command, args, { stdio: ["ignore", "inherit", "inherit"] });
    context.stack.defer(() => stopChild(child));
    const url = `http://127.0.0.1:${port}`;
    await untilAnswering(url, child);
    const load = await measureLoad(context, url, [{ path: "/" }]);
    await stopChild(child);
    return { path: "GET /", load };
  },
};
