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

export const workspaceEnv = z
  .object({
    ...baseEnv,
    ...controlPlaneEnv,
    ...tenantServerEnv,
    ...tenantPasswordEnv,
    PORT: port.default(8081),
    /** The gateway's public keys; workspace verifies every token itself. */
    JWKS_URL: httpUrl.default("http://127.0.0.1:8080/.well-known/jwks.json"),
    JWT_ISSUER: z.string().min(1).default("oryn"),
    JWT_AUDIENCE: z.string().min(1).default("oryn-api"),
    /** Connections one tenant's pool may open. */
    TENANT_POOL_MAX: positiveInt.default(5),
    /** Connections all tenant pools of this process may have open together. */
    TENANT_CONNECTIONS_MAX: positiveInt.default(50),
    /** Tenant pools open at once; idle ones are closed, least recently used first, for room. */
    TENANT_POOLS_MAX: positiveInt.default(100),
    /** A tenant pool with nothing in flight for this long is closed. */
    TENANT_POOL_IDLE_MS: positiveInt.default(30_000),
    /** How long a request waits for a tenant connection before it is answered 503. */
    TENANT_CONNECTION_WAIT_MS: z.coerce.number().int().min(0).max(60_000).default(2000),
    /** How long a tenant's status and plan are cached before the control plane is asked again. */
    TENANT_STATUS_CACHE_MS: z.coerce.number().int().min(0).max(60_000).default(2000),
    /**
     * While the control plane cannot be read, a tenant's status and server read at most this
     * long ago are still used, for reads only (0: refuse at once).
     */
    TENANT_STATUS_STALE_MS: z.coerce.number().int().min(0).max(3_600_000).default(300_000),
  })
  .refine((env) => env.TENANT_POOL_MAX <= env.TENANT_CONNECTIONS_MAX, {
    path: ["TENANT_POOL_MAX"],
    message: "must not be more than TENANT_CONNECTIONS_MAX",
  });

export type WorkspaceConfig = z.output<typeof workspaceEnv>;
