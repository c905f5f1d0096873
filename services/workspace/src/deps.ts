import {
  connect,
  createMetrics,
  createTokenVerifier,
  type Logger,
  type Metrics,
  portAccepts,
  type ReadinessChecks,
  type Sql,
  type TokenVerifier,
  tenantDbPasswordSecret,
} from "@oryn/shared";
import { createRemoteJWKSet, type JWTVerifyGetKey } from "jose";
import type { WorkspaceConfig } from "./env.ts";
import { createEventRelay, type EventRelay } from "./events/relay.ts";
import { createTenantStates, type TenantStates } from "./tenants/tenant-gate.ts";
import { createTenantPools, type TenantPools } from "./tenants/tenant-pools.ts";
import { createTenantServers } from "./tenants/tenant-servers.ts";

export type WorkspaceDeps = {
  logger: Logger;
  metrics: Metrics;
  controlPlane: Sql;
  pools: TenantPools;
  /** Moves tenants' event outboxes into the control plane's log. */
  events: EventRelay;
  /** Status and plan of each tenant, from the control plane, cached briefly. */
  tenants: TenantStates;
  verify: TokenVerifier;
  /** What /readyz asks: the control plane, the tenant server, and the gateway's keys. */
  readiness: ReadinessChecks;
  close(): Promise<void>;
};

/** `keys` defaults to the gateway's JWKS; tests may hand in a local key set. */
export function createWorkspaceDeps(
  config: WorkspaceConfig,
  logger: Logger,
  keys?: JWTVerifyGetKey,
): WorkspaceDeps {
  const passwordSecret = tenantDbPasswordSecret(config);
  const controlPlane = connect(config.DATABASE_URL, {
    max: config.DATABASE_POOL_MAX,
    applicationName: "oryn-workspace",
  });
  const metrics = createMetrics("workspace");
  const pools = createTenantPools({
    serverUrl: config.TENANT_DATABASE_SERVER,
    passwordSecret,
    maxConnectionsPerPool: config.TENANT_POOL_MAX,
    maxConnections: config.TENANT_CONNECTIONS_MAX,
    maxPools: config.TENANT_POOLS_MAX,
    idleMs: config.TENANT_POOL_IDLE_MS,
    waitMs: config.TENANT_CONNECTION_WAIT_MS,
    metrics,
    socketFor: createTenantServers({
      controlPlane,
      fallbackUrl: config.TENANT_DATABASE_SERVER,
      ttlMs: config.TENANT_STATUS_CACHE_MS,
      staleMs: config.TENANT_STATUS_STALE_MS,
    }).socketFor,
  });
  const events = createEventRelay({
    pools,
    controlPlane,
    logger,
    markSeconds: config.EVENT_OUTBOX_SWEEP_SECONDS,
  });
  // Fetched lazily and cached; a token with an unknown kid refetches (at most every 30 s).
  const verificationKeys =
    keys ??
    createRemoteJWKSet(new URL(config.JWKS_URL), {
      timeoutDuration: 2000,
      cooldownDuration: 30_000,
    });
  return {
    logger,
    metrics,
    controlPlane,
    pools,
    events,
    tenants: createTenantStates(
      controlPlane,
      config.TENANT_STATUS_CACHE_MS,
      config.TENANT_STATUS_STALE_MS,
    ),
    readiness: {
      controlPlane: () => controlPlane`select 1`,
      tenantServer: portAccepts(config.TENANT_DATABASE_SERVER),
      ...(keys ? {} : { signingKeys: () => fetchOk(config.JWKS_URL) }),
    },
    verify: createTokenVerifier({
      keys: verificationKeys,
      issuer: config.JWT_ISSUER,
      audience: config.JWT_AUDIENCE,
    }),
    async close() {
      await events.settle();
      await pools.closeAll();
      await controlPlane.end({ timeout: 5 });
    },
  };
}

async function fetchOk(url: string): Promise<void> {
  const answer = await fetch(url, { signal: AbortSignal.timeout(2000) });
  if (!answer.ok) throw new Error(`${url} answered ${answer.status}`);
}
