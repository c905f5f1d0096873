import {
  baseEnv,
  controlPlaneEnv,
  exportEnv,
  port,
  positiveInt,
  redisEnv,
  tenantDeletionEnv,
  tenantMigrations,
  tenantPasswordEnv,
  tenantServerAdminEnv,
} from "@oryn/shared";
import { z } from "zod";
import { stepNames } from "./provisioning/steps.ts";

export const provisionerEnv = z.object({
  ...baseEnv,
  ...controlPlaneEnv,
  ...redisEnv,
  ...tenantServerAdminEnv,
  ...tenantPasswordEnv,
  ...tenantDeletionEnv,
  ...exportEnv,
  /** Internal port for /healthz, /readyz and /metrics only; the provisioner serves no public API. */
  PORT: port.default(8083),
  /** Provisioning jobs run at once in this process. */
  PROVISIONING_CONCURRENCY: positiveInt.default(4),
  /**
   * The warm pool: ready spare tenant databases (cloned from the template and migrated) kept per
   * accepting database server, so a signup renames one instead of waiting for CREATE DATABASE.
   * 0 turns the pool off: every tenant is cloned at signup, as before.
   */
  TENANT_SPARE_DATABASES: z.coerce.number().int().min(0).default(10),
  /** Spares made at once while refilling; each is a CREATE DATABASE and a migration. */
  TENANT_SPARE_CONCURRENCY: positiveInt.default(2),
  /** How often tenants left in `provisioning` without a job are enqueued again. */
  PROVISIONING_SWEEP_SECONDS: positiveInt.default(30),
  /**
   * Capacity given to the TENANT_DATABASE_URL server when the provisioner registers it as
   * `default` (on a first start with no database server registered).
   */
  TENANT_SERVER_DEFAULT_CAPACITY: positiveInt.default(1000),
  /**
   * How long a running job's lock lasts without renewal: a worker that died (SIGKILL, OOM, a lost
   * machine) holds its job this long before another worker takes it over from the step it was in.
   */
  PROVISIONING_JOB_LOCK_SECONDS: positiveInt.default(30),
  /** Where pg_dump and pg_restore are (for `pnpm oryn tenants move`); unset: found on PATH. */
  PG_BIN_DIR: z.string().min(1).optional(),
  /**
   * Secret: the password (user `operator`) of Bull Board at /admin/queues on this internal port.
   * Generated into SECRETS_DIR outside production; production refuses to start without it.
   */
  OPERATOR_TOKEN: z.string().min(32, "at least 32 characters").optional(),
  /**
   * Tests only (honoured only with NODE_ENV=test): the process SIGKILLs itself when a job reaches
   * this step, so a test can prove that provisioning survives a crash at every step;
   * `spare_claimed`: between recording a spare's claim and renaming it.
   */
  ORYN_TEST_CRASH_AT_STEP: z.enum([...stepNames, "spare_claimed"]).optional(),
  /**
   * Tests only (honoured only with NODE_ENV=test): tenant migrations from this directory instead
   * of packages/shared/src/migrations/tenant, so a test can add a migration without adding one
   * to the real history.
   */
  ORYN_TEST_TENANT_MIGRATIONS_DIR: z.string().min(1).optional(),
});

/** The tenant migration history this process applies. */
export function tenantMigrationsDir(config: ProvisionerConfig): string {
  return (
    (config.NODE_ENV === "test" ? config.ORYN_TEST_TENANT_MIGRATIONS_DIR : undefined) ??
    tenantMigrations
  );
}

export type ProvisionerConfig = z.output<typeof provisionerEnv>;
