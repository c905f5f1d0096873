import { parseConfig, runService } from "@oryn/shared";
import { createGatewayApp, createGatewayOperationsApp } from "./app.ts";
import { createGatewayDeps } from "./deps.ts";
import { gatewayEnv } from "./env.ts";

import { createLeanProxy } from "./proxy/lean-proxy.ts";

await runService({
  name: "gateway",
  config: () => parseConfig(gatewayEnv),
  deps: createGatewayDeps,
  async start({ config, deps, logger }, run) {
    // The forwarded routes' requests are answered on Node's request before hono sees them.
    const app = createGatewayApp(deps);
    const front = await createLeanProxy(deps);
    const server = await run.listen(
      { fetch: app.fetch, front },
      {
        port: config.PORT,
        host: config.HOST,
      },
    );
    const operations = await run.listen(createGatewayOperationsApp(deps), {
      port: config.OPS_PORT,
      host: config.HOST,
      portVariable: "OPS_PORT",
    });
    // Where `pnpm start` sends people first: the console, at the gateway's root.
    const host = ["0.0.0.0", "::", "127.0.0.1"].includes(config.HOST) ? "localhost" : config.HOST;
    const consoleUrl = `http://${host.includes(":") ? `[${host}]` : host}:${server.port}/`;
    logger.info(
      { port: server.port, opsPort: operations.port, host: config.HOST, console: consoleUrl },
      `gateway listening; open the console at ${consoleUrl}`,
    );
  },
});
