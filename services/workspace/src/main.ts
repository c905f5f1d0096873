import {
  ConfigError,
  connect,
  createLogger,
  createMetrics,
  createTokenVerifier,
  listen,
  loadDotEnv,
  onShutdown,
  parseConfig,
  secretFromEnvOrDevFile,
} from "@oryn/shared";
import { createRemoteJWKSet } from "jose";
import { createWorkspaceApp } from "./app.ts";
import { workspaceEnv } from "./env.ts";
import { createTenantStatuses } from "./tenants/tenant-gate.ts";
import { createTenantPools } from "./tenants/tenant-pools.ts";

loadDotEnv();
let config: ReturnType<typeof parseConfig<typeof workspaceEnv>>;
let passwordSecret: string;
try {
  config = parseConfig(workspaceEnv);
  passwordSecret = secretFromEnvOrDevFile({
    name: "TENANT_DB_PASSWORD_SECRET",
    value: config.TENANT_DB_PASSWORD_SECRET,
    nodeEnv: config.NODE_ENV,
    secretsDir: config.SECRETS_DIR,
  });
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  console.error(`workspace: ${error.message}`);
  process.exit(1);
}

const logger = createLogger("workspace", config.LOG_LEVEL);
const controlPlane = connect(config.DATABASE_URL, {
  max: config.DATABASE_POOL_MAX,
  applicationName: "oryn-workspace",
});
const pools = createTenantPools({
  serverUrl: config.TENANT_DATABASE_URL,
  passwordSecret,
  maxConnectionsPerPool: config.TENANT_POOL_MAX,
  maxPools: config.TENANT_POOLS_MAX,
});
// Fetched lazily and cached; a token with an unknown kid refetches (at most every 30 s).
const keys = createRemoteJWKSet(new URL(config.JWKS_URL), {
  timeoutDuration: 2000,
  cooldownDuration: 30_000,
});

const app = createWorkspaceApp({
  logger,
  metrics: createMetrics("workspace"),
  controlPlane,
  pools,
  statuses: createTenantStatuses(controlPlane, config.TENANT_STATUS_CACHE_MS),
  verify: createTokenVerifier({ keys, issuer: config.JWT_ISSUER, audience: config.JWT_AUDIENCE }),
});
const server = await listen(app, { port: config.PORT, host: config.HOST });
logger.info({ port: server.port }, "workspace listening");

onShutdown(logger, [
  () => server.close(),
  () => pools.closeAll(),
  () => controlPlane.end({ timeout: 5 }),
]);
