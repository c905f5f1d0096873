import {
  ConfigError,
  createLogger,
  listen,
  loadDotEnv,
  onShutdown,
  parseConfig,
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

const server = await listen(createWorkspaceApp(deps), { port: config.PORT, host: config.HOST });
deps.logger.info({ port: server.port }, "workspace listening");

onShutdown(deps.logger, [() => server.close(), () => deps.close()]);
