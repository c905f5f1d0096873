import {
  baseEnv,
  controlPlaneEnv,
  httpUrl,
  port,
  positiveInt,
  tenantPasswordEnv,
  tenantServerEnv,
} from "@oryn/shared";
import { z } from "zod";

export const workspaceEnv = z.object({
  ...baseEnv,
  ...controlPlaneEnv,
  ...tenantServerEnv,
  ...tenantPasswordEnv,
  PORT: port.default(8081),
  /** The gateway's public keys; workspace verifies every token itself. */
  JWKS_URL: httpUrl.default("http://127.0.0.1:8080/.well-known/jwks.json"),
  JWT_ISSUER: z.string().min(1).default("oryn"),
  JWT_AUDIENCE: z.string().min(1).default("oryn-api"),
  /** Connections in each tenant's pool. */
  TENANT_POOL_MAX: positiveInt.default(5),
  /** Tenant pools kept open at once; the least recently used is closed past this. */
  TENANT_POOLS_MAX: positiveInt.default(100),
  /** How long a tenant's status is cached before the control plane is asked again. */
  TENANT_STATUS_CACHE_MS: z.coerce.number().int().min(0).default(2000),
});

export type WorkspaceConfig = z.output<typeof workspaceEnv>;
