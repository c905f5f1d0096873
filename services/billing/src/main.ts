import { randomBytes } from "node:crypto";
import {
  ConfigError,
  createLogger,
  listen,
  loadDotEnv,
  observeQueueDepth,
  onShutdown,
  parseConfig,
  secretFromEnvOrDevFile,
  startTracing,
  withTimeout,
} from "@oryn/shared";
import { createBillingApp } from "./app.ts";
import { type BillingDeps, createBillingDeps } from "./deps.ts";
import { type BillingConfig, billingEnv, checkProductionSettings } from "./env.ts";
import { createBillingJobs } from "./jobs/billing-jobs.ts";

loadDotEnv();
let config: BillingConfig;
let deps: BillingDeps;
try {
  config = parseConfig(billingEnv);
  checkProductionSettings(config);
  const webhookSecret = secretFromEnvOrDevFile({
    name: "STRIPE_WEBHOOK_SECRET",
    value: config.STRIPE_WEBHOOK_SECRET,
    nodeEnv: config.NODE_ENV,
    secretsDir: config.SECRETS_DIR,
    generate: () => `whsec_${randomBytes(24).toString("base64url")}`,
  });
  deps = createBillingDeps(config, createLogger("billing", config.LOG_LEVEL), { webhookSecret });
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  console.error(`billing: ${error.message}`);
  process.exit(1);
}
// Before anything serves: every span from here on is exported when an endpoint is set.
const tracing = startTracing({ service: "billing", endpoint: config.OTEL_EXPORTER_OTLP_ENDPOINT });
const { logger } = deps;
if (!config.STRIPE_SECRET_KEY) {
  logger.warn("STRIPE_SECRET_KEY is not set: webhooks are recorded, but nothing calls Stripe");
}

const jobs = createBillingJobs(config, deps);
const worker = jobs.startWorker();
observeQueueDepth(deps.metrics, [jobs.queues.get("billing")]);

// One sweep at a time: a tick that finds one still running (Redis or the database slow) is skipped.
let sweeping: Promise<unknown> | undefined;
const runSweep = () => {
  sweeping ??= jobs
    .sweep()
    .catch((error: unknown) => logger.warn({ err: error }, "billing sweep failed"))
    .finally(() => {
      sweeping = undefined;
    });
};
const sweep = setInterval(runSweep, config.BILLING_SWEEP_SECONDS * 1000);
// Tenants that signed up while billing was down get their customers without waiting a tick.
runSweep();

const server = await listen(createBillingApp(deps), { port: config.PORT, host: config.HOST });
logger.info(
  { port: server.port, concurrency: config.BILLING_CONCURRENCY },
  "billing listening and working",
);

onShutdown(logger, [
  async () => {
    clearInterval(sweep);
    await withTimeout(sweeping ?? Promise.resolve(), 5000, "the running sweep").catch(() => {});
  },
  () => server.close(),
  // Waits for the jobs in hand to finish; the others stay queued for the next worker.
  () => worker.close(),
  () => jobs.close(),
  () => deps.close(),
  () => tracing.shutdown(),
]);
