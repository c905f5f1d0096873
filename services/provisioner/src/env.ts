import {
  baseEnv,
  controlPlaneEnv,
  port,
  positiveInt,
  redisEnv,
  tenantPasswordEnv,
  tenantServerAdminEnv,
} from "@oryn/shared";
import { z } from "zod";

export const provisionerEnv = z.object({
  ...baseEnv,
  ...controlPlaneEnv,
  ...redisEnv,
  ...tenantServerAdminEnv,
  ...tenantPasswordEnv,
  /** Internal port for /healthz, /readyz and /metrics only; the provisioner serves no public API. */
  PORT: port.default(8083),
  /** Provisioning jobs run at once in this process. */
  PROVISIONING_CONCURRENCY: positiveInt.default(4),
  /** How often tenants left in `provisioning` without a job are enqueued again. */
  PROVISIONING_SWEEP_SECONDS: positiveInt.default(30),
});

export type ProvisionerConfig = z.output<typeof provisionerEnv>;
