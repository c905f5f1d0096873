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

// Events a crash left in outboxes (committed, not yet moved): found at start and then regularly.
let sweeping: Promise<unknown> = deps.events.sweep().catch((error) => {
  deps.logger.warn({ err: error }, "event outbox sweep failed");
});
const sweepTimer = setInterval(() => {
  sweeping = sweeping.then(() =>
    deps.events.sweep().catch((error) => {
      deps.logger.warn({ err: error }, "event outbox sweep failed");
    }),
  );
}, config.EVENT_OUTBOX_SWEEP_SECONDS * 1000);

onShutdown(deps.logger, [
  async () => {
    clearInterval(sweepTimer);
    await sweeping;
  },
  () => server.close(),
  () => deps.close(),
  () => tracing.shutdown(),
]);
