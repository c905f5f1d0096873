import {
  ConfigError,
  createLogger,
  listen,
  loadDotEnv,
  onShutdown,
  parseConfig,
  startTracing,
} from "@oryn/shared";
import { createGatewayApp } from "./app.ts";
import { createGatewayDeps, type GatewayDeps } from "./deps.ts";
import { gatewayEnv } from "./env.ts";
import { createGatewayOperationsApp } from "./operations-app.ts";

loadDotEnv();
let deps: GatewayDeps;
try {
  const config = parseConfig(gatewayEnv);
  deps = await createGatewayDeps(config, createLogger("gateway", config.LOG_LEVEL));
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  console.error(`gateway: ${error.message}`);
  process.exit(1);
}
// Before anything serves: every span from here on is exported when an endpoint is set.
const tracing = startTracing({
  service: "gateway",
  endpoint: deps.config.OTEL_EXPORTER_OTLP_ENDPOINT,
});

const server = await listen(createGatewayApp(deps), {
  port: deps.config.PORT,
  host: deps.config.HOST,
});
const operations = await listen(createGatewayOperationsApp(deps), {
  port: deps.config.OPS_PORT,
  host: deps.config.HOST,
  portVariable: "OPS_PORT",
});
deps.logger.info(
  { port: server.port, opsPort: operations.port, host: deps.config.HOST },
  "gateway listening",
);

onShutdown(deps.logger, [
  () => server.close(),
  () => operations.close(),
  () => deps.close(),
  () => tracing.shutdown(),
]);
