import { randomBytes } from "node:crypto";
import {
  ConfigError,
  connect,
  createLogger,
  createMetrics,
  listen,
  loadDotEnv,
  onShutdown,
  parseConfig,
  secretFromEnvOrDevFile,
} from "@oryn/shared";
import { createBillingApp } from "./app.ts";
import { billingEnv } from "./env.ts";
import { createStripeClient } from "./stripe-client.ts";

loadDotEnv();
let config: ReturnType<typeof parseConfig<typeof billingEnv>>;
let webhookSecret: string;
try {
  config = parseConfig(billingEnv);
  webhookSecret = secretFromEnvOrDevFile({
    name: "STRIPE_WEBHOOK_SECRET",
    value: config.STRIPE_WEBHOOK_SECRET,
    nodeEnv: config.NODE_ENV,
    secretsDir: config.SECRETS_DIR,
    generate: () => `whsec_${randomBytes(24).toString("base64url")}`,
  });
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  console.error(`billing: ${error.message}`);
  process.exit(1);
}

const logger = createLogger("billing", config.LOG_LEVEL);
const sql = connect(config.DATABASE_URL, {
  max: config.DATABASE_POOL_MAX,
  applicationName: "oryn-billing",
});
const app = createBillingApp({
  logger,
  metrics: createMetrics("billing"),
  sql,
  stripe: createStripeClient({
    secretKey: config.STRIPE_SECRET_KEY,
    apiBase: config.STRIPE_API_BASE,
  }),
  webhookSecret,
  toleranceSeconds: config.STRIPE_WEBHOOK_TOLERANCE_SECONDS,
});
const server = await listen(app, { port: config.PORT, host: config.HOST });
logger.info({ port: server.port }, "billing listening");

onShutdown(logger, [() => server.close(), () => sql.end({ timeout: 5 })]);
