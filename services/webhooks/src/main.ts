import { observeQueueDepth, parseConfig, runService } from "@oryn/shared";
import { createWebhooksApp } from "./app.ts";
import { startDeliveryWorker } from "./delivery/worker.ts";
import { createWebhooksDeps } from "./deps.ts";
import { startDispatcher } from "./dispatch/dispatcher.ts";
import { webhooksEnv } from "./env.ts";

await runService({
  name: "webhooks",
  config: () => parseConfig(webhooksEnv),
  deps: createWebhooksDeps,
  async start({ config, deps, logger }, run) {
    const worker = startDeliveryWorker(deps);
    const dispatcher = startDispatcher(deps);
    run.stopWith(() => dispatcher.stop());
    // Waits for the attempts in hand; the others stay queued for the next process.
    run.stopWith(() => worker.close());
    observeQueueDepth(deps.metrics, [deps.queues.get("webhooks")]);
    const server = await run.listen(createWebhooksApp(deps), {
      port: config.PORT,
      host: config.HOST,
    });
    logger.info(
      { port: server.port, allowPrivateTargets: config.WEBHOOKS_ALLOW_PRIVATE_TARGETS },
      "webhooks running",
    );
  },
});
