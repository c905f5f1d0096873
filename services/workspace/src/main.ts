import {
  ConfigError,
  createLogger,
  listen,
  loadDotEnv,
  onShutdown,
  parseConfig,
  startTracing,
} from "@oryn/shared";
import { createWorkspaceApp } from "./app.ts";
import { createWorkspaceDeps, type WorkspaceDeps } from "./deps.ts";
import { workspaceEnv } from "./env.ts";

loadDotEnv();
let deps: WorkspaceDeps;
let config: ReturnType<typeof parseConfig<typeof workspaceEnv>>;
try {
  config = parseConfig(workspaceEnv);
  deps = createWorkspaceDeps(config, createLogger("workspace", config.LOG_LEVEL));
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  console.error(`workspace: ${error.message}`);
  process.exit(1);
}
// Before anything serves: every span from here on is exported when an endpoint is set.
const tracing = startTracing({
  service: "workspace",
  endpoint: config.OTEL_EXPORTER_OTLP_ENDPOINT,
});

const server = await listen(createWorkspaceApp(deps), { port: config.PORT, host: config.HOST });
deps.logger.info({ port: server.port }, "workspace listening");

onShutdown(deps.logger, [() => server.close(), () => deps.close(), () => tracing.shutdown()]);
