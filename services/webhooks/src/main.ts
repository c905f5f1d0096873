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
import { createWebhooksApp } from "./app.ts";
import { startDeliveryWorker } from "./delivery/worker.ts";
import { createWebhooksDeps, type WebhooksDeps } from "./deps.ts";
import { startDispatcher } from "./dispatch/dispatcher.ts";
import { webhooksEnv } from "./env.ts";

loadDotEnv();
let deps: WebhooksDeps;
try {
  const config = parseConfig(webhooksEnv);
  deps = createWebhooksDeps(config, createLogger("webhooks", config.LOG_LEVEL));
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  console.error(`webhooks: ${error.message}`);
  process.exit(1);
}
const { config, logger } = deps;
const tracing = startTracing({ service: "webhooks", endpoint: config.OTEL_EXPORTER_OTLP_ENDPOINT });

const worker = startDeliveryWorker(deps);
const dispatcher = startDispatcher(deps);
observeQueueDepth(deps.metrics, [deps.queues.get("webhooks")]);

const server = await listen(createWebhooksApp(deps), { port: config.PORT, host: config.HOST });
logger.info(
  { port: server.port, allowPrivateTargets: config.WEBHOOKS_ALLOW_PRIVATE_TARGETS },
  "webhooks running",
);

onShutdown(logger, [
  () => dispatcher.stop(),
  // Waits for the attempts in hand; the others stay queued for the next process.
  () => worker.close(),
  () => server.close(),
  () => deps.close(),
  () => tracing.shutdown(),
]);
