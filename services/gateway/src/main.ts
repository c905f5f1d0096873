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
    logger.info(
      { port: server.port, opsPort: operations.port, host: config.HOST },
      "gateway listening",
    );
  },
});
