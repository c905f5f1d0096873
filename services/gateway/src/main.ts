import { parseConfig, runService } from "@oryn/shared";
import { createGatewayApp } from "./app.ts";
import { createGatewayDeps } from "./deps.ts";
import { gatewayEnv } from "./env.ts";
import { createGatewayOperationsApp } from "./operations-app.ts";

await runService({
  name: "gateway",
  config: () => parseConfig(gatewayEnv),
  deps: createGatewayDeps,
  async start({ config, deps, logger }, run) {
    const server = await run.listen(createGatewayApp(deps), {
      port: config.PORT,
      host: config.HOST,
    });
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
