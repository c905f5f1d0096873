import { observeQueueDepth, parseConfig, runService } from "@oryn/shared";
import { createMailerApp } from "./app.ts";
import { startMailWorker } from "./delivery/worker.ts";
import { createMailerDeps } from "./deps.ts";
import { mailerEnv } from "./env.ts";

await runService({
  name: "mailer",
  config: () => parseConfig(mailerEnv),
  deps: createMailerDeps,
  async start({ config, deps, logger }, run) {
    const worker = startMailWorker(deps);
    // Waits for the messages in hand; the others stay queued for the next mailer.
    run.stopWith(() => worker.close());
    observeQueueDepth(deps.metrics, [deps.queues.get("mail")]);
    const server = await run.listen(createMailerApp(deps), {
      port: config.PORT,
      host: config.HOST,
    });
    logger.info(
      { port: server.port, destination: deps.transport.destination, from: deps.settings.from },
      "mailer running",
    );
  },
});
