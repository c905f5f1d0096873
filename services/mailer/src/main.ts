import {
  ConfigError,
  createLogger,
  listen,
  loadDotEnv,
  observeQueueDepth,
  onShutdown,
  parseConfig,
  startTracing,
} from "@oryn/shared";
import { createMailerApp } from "./app.ts";
import { startMailWorker } from "./delivery/worker.ts";
import { createMailerDeps, type MailerDeps } from "./deps.ts";
import { mailerEnv } from "./env.ts";

loadDotEnv();
let deps: MailerDeps;
try {
  const config = parseConfig(mailerEnv);
  deps = createMailerDeps(config, createLogger("mailer", config.LOG_LEVEL));
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  console.error(`mailer: ${error.message}`);
  process.exit(1);
}
const { config, logger } = deps;
// Before anything works: every span from here on is exported when an endpoint is set.
const tracing = startTracing({ service: "mailer", endpoint: config.OTEL_EXPORTER_OTLP_ENDPOINT });

const worker = startMailWorker(deps);
observeQueueDepth(deps.metrics, [deps.queues.get("mail")]);

const server = await listen(createMailerApp(deps), { port: config.PORT, host: config.HOST });
logger.info(
  { port: server.port, destination: deps.transport.destination, from: deps.settings.from },
  "mailer running",
);

onShutdown(logger, [
  // Waits for the messages in hand; the others stay queued for the next mailer.
  () => worker.close(),
  () => server.close(),
  () => deps.close(),
  () => tracing.shutdown(),
]);
