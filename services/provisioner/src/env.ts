import {
  baseEnv,
  bearerTokenPattern,
  controlPlaneEnv,
  exportEnv,
  isTenantCredentialShaped,
  nonNegativeInt,
  port,
  positiveInt,
  redisEnv,
  tenantDeletionEnv,
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
  ...tenantDeletionEnv,
  ...exportEnv,
  PORT: port
    .default(8083)
    .describe(
      "Internal port for `/healthz`, `/readyz`, `/metrics` and the queue board `/admin/queues`; never publish it.",
    ),
  // A job is some thirty short round trips to PostgreSQL, most of them a commit, and almost no
  // CPU of its own: at 4 a burst of signups queued behind the jobs' waits, not the machine's work.
  PROVISIONING_CONCURRENCY: positiveInt
    .default(16)
    .describe(
      "Provisioning jobs run at once in this process (each mostly waits on PostgreSQL round trips; the tenant server's admin pool holds twice as many connections, plus one).",
    ),
  TENANT_SPARE_DATABASES: nonNegativeInt
    .default(10)
    .describe(
      "The warm pool: ready spare tenant databases (cloned from the template, migrated) kept per accepting server, so a signup renames one instead of waiting for CREATE DATABASE; 0 turns it off.",
    ),
  TENANT_SPARE_CONCURRENCY: positiveInt
    .default(2)
    .describe(
      "Spares made at once while the pool refills (each a CREATE DATABASE and a migration, competing with signups that clone).",
    ),
  UNVERIFIED_TENANT_RECLAIM_SECONDS: positiveInt
    .default(14 * 24 * 3600)
    .describe(
      "A tenant none of whose owners has verified their email this long after signup is deleted (the grace period applies, and an operator can restore it): signups nobody confirms do not hold a database for ever.",
    ),
  PROVISIONING_SWEEP_SECONDS: positiveInt
    .default(30)
    .describe(
      "Interval of the provisioner's sweep, and the age after which a tenant waiting in `provisioning` is enqueued again.",
    ),
  TENANT_SERVER_DEFAULT_CAPACITY: positiveInt
    .default(1000)
    .describe(
      "Capacity (tenants) given to the TENANT_DATABASE_URL server when the provisioner registers it as `default`, on a first start with no server registered.",
    ),
  PROVISIONING_JOB_LOCK_SECONDS: positiveInt
    .default(30)
    .describe(
      "How long a running job's lock lasts without renewal: a worker that died (SIGKILL, OOM, a lost machine) leaves its job to another worker after this.",
    ),
  PG_BIN_DIR: z.string().min(1).optional().meta({
    description: "Where `pg_dump` and `pg_restore` are, for `pnpm oryn tenants move`.",
    unset: "found on PATH",
  }),
  OPERATOR_TOKEN: z
    .string()
    .min(32, "at least 32 characters")
    // Presented as a bearer token, so held to the characters one may have: a token with others
    // would start the provisioner and then be refused on every operator request.
    .regex(bearerTokenPattern, "letters, digits and -._~+/ only (then = padding)")
    // The gateway refuses bearer tokens shaped like a tenant's on the operator routes.
    .refine(
      (token) => !isTenantCredentialShaped(token),
      "must not hold the shape of a tenant credential (two dots between letters, as a JWT has, or oryn_)",
    )
    .optional()
    .meta({
      description:
        "The operator credential: the bearer token of the operator API (`/v1/operator/...`, through the gateway) and the password (user `operator`) of the queue board at `/admin/queues`; at least 32 characters, of letters, digits and `-._~+/` (a bearer token's, RFC 6750), e.g. `openssl rand -base64 32`.",
      secret: true,
      unset: "generated into SECRETS_DIR outside production",
    }),
});

export type ProvisionerConfig = z.output<typeof provisionerEnv>;
