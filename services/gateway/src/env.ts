import {
  baseEnv,
  controlPlaneEnv,
  exportEnv,
  httpUrl,
  port,
  positiveInt,
  redisEnv,
  tenantDeletionEnv,
  unsetWhenEmpty,
} from "@oryn/shared";
import { z } from "zod";

export const gatewayEnv = z
  .object({
    ...baseEnv,
    ...controlPlaneEnv,
    ...redisEnv,
    ...tenantDeletionEnv,
    ...exportEnv,
    PORT: port.default(8080),
    /** Internal port for /healthz, /readyz and /metrics; do not publish it. */
    OPS_PORT: port.default(9080),
    WORKSPACE_URL: httpUrl.default("http://127.0.0.1:8081"),
    BILLING_URL: httpUrl.default("http://127.0.0.1:8082"),
    /** Private signing keys as a JWK Set (JSON); the first key signs, all verify. Secret. */
    JWT_SIGNING_KEYS: z.string().optional(),
    JWT_ISSUER: z.string().min(1).default("oryn"),
    JWT_AUDIENCE: z.string().min(1).default("oryn-api"),
    ACCESS_TOKEN_TTL_SECONDS: positiveInt.max(3600).default(600),
    REFRESH_TOKEN_TTL_SECONDS: positiveInt.default(30 * 24 * 3600),
    /**
     * A refresh token used again within this many seconds yields the same successor instead of
     * revoking its family: two tabs, or a retry after a lost answer, refresh at once.
     */
    REFRESH_REUSE_GRACE_SECONDS: z.coerce.number().int().min(0).max(60).default(10),
    /** How often each gateway reads access revocations (removed members, changed roles). */
    REVOCATION_POLL_MS: positiveInt.min(100).max(30_000).default(1000),
    INVITATION_TTL_SECONDS: positiveInt.default(7 * 24 * 3600),
    /** Failed logins in a row for one email from one IP before it is locked out for the window. */
    LOGIN_MAX_CONSECUTIVE_FAILURES: positiveInt.default(5),
    LOGIN_FAILURE_WINDOW_SECONDS: positiveInt.default(15 * 60),
    /** Failed logins from one IP, whatever the email, per day. */
    LOGIN_MAX_FAILURES_PER_IP_PER_DAY: positiveInt.default(100),
    /**
     * Requests per minute per tenant for every plan, overriding the plans' own rates
     * (packages/shared/src/plans.ts). Unset, each tenant gets its plan's rate.
     */
    RATE_LIMIT_TENANT_PER_MINUTE: unsetWhenEmpty(positiveInt.optional()),
    /** Like RATE_LIMIT_TENANT_PER_MINUTE, for the burst window (requests per second). */
    RATE_LIMIT_TENANT_PER_SECOND: unsetWhenEmpty(positiveInt.optional()),
    /** How long a tenant's plan is cached for the rate limits: a plan change applies within it. */
    PLAN_CACHE_TTL_MS: positiveInt.max(60_000).default(5_000),
    /** Requests per minute per client IP on signup, login, and any /v1 request without a token. */
    RATE_LIMIT_IP_PER_MINUTE: positiveInt.default(60),
    /** Requests per minute per tenant answered 401/403 that are not charged to the tenant. */
    RATE_LIMIT_REFUSED_PER_MINUTE: positiveInt.default(120),
    /** Requests per minute per client IP on refresh and logout. */
    RATE_LIMIT_SESSION_PER_MINUTE: positiveInt.default(600),
    /**
     * Browser origins allowed to call the API (CORS), comma-separated, e.g.
     * `https://app.example.com,https://admin.example.com`. Empty: no CORS headers at all.
     */
    CORS_ORIGINS: z
      .string()
      .default("")
      .transform((value) =>
        value
          .split(",")
          .map((origin) => origin.trim())
          .filter(Boolean),
      )
      .pipe(
        z.array(
          z.url({ protocol: /^https?$/ }).refine((url) => !url.endsWith("/"), "no trailing slash"),
        ),
      ),
    /** Largest request body accepted, in bytes. */
    BODY_LIMIT_BYTES: positiveInt.default(1024 * 1024),
    UPSTREAM_TIMEOUT_MS: positiveInt.default(10_000),
    /** Trust X-Forwarded-For from a load balancer in front (only when there is one). */
    TRUST_PROXY: z
      .enum(["true", "false"])
      .default("false")
      .transform((value) => value === "true"),
  })
  .refine((config) => config.PORT === 0 || config.OPS_PORT !== config.PORT, {
    path: ["OPS_PORT"],
    message: "must differ from PORT: operations endpoints are not served on the public port",
  });

export type GatewayConfig = z.output<typeof gatewayEnv>;
