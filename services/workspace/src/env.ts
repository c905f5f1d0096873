import {
  baseEnv,
  controlPlaneEnv,
  nonNegativeInt,
  port,
  positiveInt,
  tenantPasswordEnv,
  tenantServerAdminEnv,
  tenantServerEnv,
  tokenVerifierEnv,
} from "@oryn/shared";
import { z } from "zod";

export const workspaceEnv = z
  .object({
    ...baseEnv,
    ...controlPlaneEnv,
    ...tenantServerEnv,
    ...tenantPasswordEnv,
    ...tokenVerifierEnv,
    PORT: port.default(8081).describe("HTTP port, reached through the gateway."),
    TENANT_POOL_MAX: positiveInt
      .default(5)
      .describe("Connections one tenant's pool may open; at most TENANT_CONNECTIONS_MAX."),
    TENANT_CONNECTIONS_MAX: positiveInt
      .default(50)
      .describe("Connections all tenant pools of the process may have open together (the budget)."),
    TENANT_POOLS_MAX: positiveInt
      .default(100)
      .describe(
        "Tenants with connections open at once; to make room, idle connections of the tenants seen least often lately are closed.",
      ),
    TENANT_POOL_IDLE_MS: positiveInt
      .default(30_000)
      .describe("A tenant connection idle for this long is closed (each on its own)."),
    TENANT_CONNECTION_WAIT_MS: nonNegativeInt
      .max(60_000)
      .default(2000)
      .describe(
        "How long a request waits for a connection within the budget before it is answered 503 with `Retry-After`; at most 60000.",
      ),
    TENANT_STATUS_CACHE_MS: nonNegativeInt
      .max(60_000)
      .default(2000)
      .describe(
        "How long a tenant's status, plan and server are cached: a plan change or suspension applies within this; at most 60000.",
      ),
    TENANT_STATUS_STALE_MS: nonNegativeInt
      .max(3_600_000)
      .default(300_000)
      .describe(
        "While the control plane cannot be read, a tenant's status and server read at most this long ago still serve its reads (writes answer 503); 0 refuses at once.",
      ),
    EVENT_OUTBOX_SWEEP_SECONDS: positiveInt
      .max(3600)
      .default(30)
      .describe(
        "How often the event outboxes of tenants this workspace process wrote recently are checked for events a crash left behind (between a write's commit and their move to the control plane's log). A process checks only its own marks; those of a process that stopped (crashed, restarted, removed) are taken over once three periods old, each by the one replica whose sweep claims it first, so such events reach the log within about four periods, or at the tenant's next write. Also how long a workspace trusts its own mark that a tenant is being written (one control-plane statement per tenant per period).",
      ),
  })
  .refine((env) => env.TENANT_POOL_MAX <= env.TENANT_CONNECTIONS_MAX, {
    path: ["TENANT_POOL_MAX"],
    message: "must not be more than TENANT_CONNECTIONS_MAX",
  });

export type WorkspaceConfig = z.output<typeof workspaceEnv>;

/** `pnpm audit:verify`: finds the tenant in the control plane, reads its database as the admin. */
export const auditVerifyEnv = z.object({ ...baseEnv, ...controlPlaneEnv, ...tenantServerAdminEnv });
