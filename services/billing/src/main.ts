import { randomBytes } from "node:crypto";
import { observeQueueDepth, parseConfig, runService, secretFromEnvOrDevFile } from "@oryn/shared";
import { createBillingApp } from "./app.ts";
import { createBillingDeps } from "./deps.ts";
import { billingEnv, checkProductionSettings } from "./env.ts";
import { createBillingJobs } from "./jobs/billing-jobs.ts";

await runService({
  name: "billing",
  config() {
    const config = parseConfig(billingEnv);
    checkProductionSettings(config);
    return config;
  },
  deps(config, logger) {
    const webhookSecret = secretFromEnvOrDevFile({
      name: "STRIPE_WEBHOOK_SECRET",
      value: config.STRIPE_WEBHOOK_SECRET,
      nodeEnv: config.NODE_ENV,
      secretsDir: config.SECRETS_DIR,
      generate: () => `whsec_${randomBytes(24).toString("base64url")}`,
    });
    return createBillingDeps(config, logger, { webhookSecret });
  },
  async start({ config, deps, logger }, run) {
    if (!config.STRIPE_SECRET_KEY) {
      logger.warn("STRIPE_SECRET_KEY is not set: webhooks are recorded, but nothing calls Stripe");
    }
    const jobs = createBillingJobs(config, deps);
    const worker = jobs.startWorker();
    observeQueueDepth(deps.metrics, [jobs.queues.get("billing")]);
    const sweep = run.every("billing sweep", config.BILLING_SWEEP_SECONDS * 1000, () =>
      jobs.sweep(),
    );
    // Tenants that signed up while billing was down get their customers without waiting a tick.
    sweep.runNow();

    const server = await run.listen(createBillingApp(deps), {
      port: config.PORT,
      host: config.HOST,
    });
    // Waits for the jobs in hand to finish; the others stay queued for the next worker.
    run.stopWith(() => worker.close());
    run.stopWith(() => jobs.close());
    logger.info(
      { port: server.port, concurrency: config.BILLING_CONCURRENCY },
      "billing listening and working",
    );
  },
});
