import {
  connect,
  createMetrics,
  createTokenVerifier,
  type Logger,
  type Metrics,
  type Sql,
  type TokenVerifier,
  tenantDbPasswordSecret,
} from "@oryn/shared";
import { createRemoteJWKSet, type JWTVerifyGetKey } from "jose";
import type { WorkspaceConfig } from "./env.ts";
import { createTenantStatuses, type TenantStatuses } from "./tenants/tenant-gate.ts";
import { createTenantPools, type TenantPools } from "./tenants/tenant-pools.ts";

export type WorkspaceDeps = {
  logger: Logger;
  metrics: Metrics;
  controlPlane: Sql;
  pools: TenantPools;
  statuses: TenantStatuses;
  verify: TokenVerifier;
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
  const pools = createTenantPools({
    serverUrl: config.TENANT_DATABASE_SERVER,
    passwordSecret,
    maxConnectionsPerPool: config.TENANT_POOL_MAX,
    maxPools: config.TENANT_POOLS_MAX,
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
    metrics: createMetrics("workspace"),
    controlPlane,
    pools,
    statuses: createTenantStatuses(controlPlane, config.TENANT_STATUS_CACHE_MS),
    verify: createTokenVerifier({
      keys: verificationKeys,
      issuer: config.JWT_ISSUER,
      audience: config.JWT_AUDIENCE,
    }),
    async close() {
      await pools.closeAll();
      await controlPlane.end({ timeout: 5 });
    },
  };
}
