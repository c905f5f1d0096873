import type { Logger, Metrics, Sql, TokenVerifier } from "@oryn/shared";
import type { TenantStatuses } from "./tenants/tenant-gate.ts";
import type { TenantPools } from "./tenants/tenant-pools.ts";

export type WorkspaceDeps = {
  logger: Logger;
  metrics: Metrics;
  controlPlane: Sql;
  pools: TenantPools;
  statuses: TenantStatuses;
  verify: TokenVerifier;
};
