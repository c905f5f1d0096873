import {
  type AppEnv,
  Counter,
  closeRedis,
  connect,
  connectRedisForRequests,
  connectRequestQueues,
  createMetrics,
  createTokenVerifier,
  type Logger,
  type Metrics,
  type Queues,
  type RedisClient,
  type Sql,
  type TokenVerifier,
  webhookSecretsKey,
} from "@oryn/shared";
import type { Context } from "hono";
import { createRevocations, type Revocations } from "./access/revocations.ts";
import { createResetLimiter, type ResetLimiter } from "./accounts/reset-limiter.ts";
import type { AccountTokenSettings } from "./accounts/verification.ts";
import { type ApiKeyAuthenticator, createApiKeyAuthenticator } from "./api-keys/authenticator.ts";
import { createLoginLimiter, type LoginLimiter } from "./auth/login-limiter.ts";
import { type TxtReader, txtReader } from "./domains/dns-proof.ts";
import { clientAddress, clientIpResolver, trustedProxyList } from "./edge/client-ip.ts";
import type { GatewayConfig } from "./env.ts";
import { createMfaPolicy, type MfaPolicy } from "./mfa/policy.ts";
import { loadMfaSettings, type MfaSettings } from "./mfa/totp.ts";
import { createUpstream, type Upstream } from "./proxy/upstream.ts";
import { createRateLimits, type RateLimits } from "./rate-limit/rate-limits.ts";
import { createTenantPlans } from "./rate-limit/tenant-plans.ts";
import { createOidcClients, type OidcClients } from "./sso/oidc-client.ts";
import { type SsoSettings, ssoSettingsOf } from "./sso/settings.ts";
import type { TokenSettings } from "./tokens/issue-tokens.ts";
import { loadSigningKeys } from "./tokens/signing-keys.ts";

/** Everything the gateway's routes need, built once by `createGatewayDeps` (or by a test). */
export type GatewayDeps = {
  config: GatewayConfig;
  logger: Logger;
  metrics: Metrics;
  sql: Sql;
  redis: RedisClient;
  queues: Queues;
  tokens: TokenSettings;
  verify: TokenVerifier;
  rateLimits: RateLimits;
  loginLimiter: LoginLimiter;
  resetLimiter: ResetLimiter;
  /** Signups confirmed by mail, per address (SIGNUP_CONFIRMATION=email). */
  signupMailLimiter: ResetLimiter;
  accountTokens: AccountTokenSettings;
  revocations: Revocations;
  mfa: MfaSettings;
  mfaPolicy: MfaPolicy;
  apiKeys: ApiKeyAuthenticator;
  upstreams: { workspace: Upstream; billing: Upstream; provisioner: Upstream };
  /** The key that seals endpoints' signing secrets, and what URLs this deployment takes. */
  webhooks: { key: Buffer; policy: { production: boolean } };
  /** Enterprise sign-in's settings and the key its client secrets are sealed with. */
  sso: SsoSettings;
  /** OIDC clients of SSO connections, discovered at their issuers on first use. */
  oidc: OidcClients;
  /** Reads the TXT records that prove a tenant's domain (DNS_SERVERS). */
  readTxt: TxtReader;
  clientIp: (c: Context<AppEnv>) => string;
  /** The same rule from a socket's peer address and `X-Forwarded-For` (the lean proxy path). */
  clientAddress: (peer: string | undefined, forwarded: string | undefined) => string;
  /** Closes every client, in the order a graceful shutdown wants. */
  close(): Promise<void>;
};

export async function createGatewayDeps(
  config: GatewayConfig,
  logger: Logger,
): Promise<GatewayDeps> {
  const keys = await loadSigningKeys({
    value: config.JWT_SIGNING_KEYS,
    nodeEnv: config.NODE_ENV,
    secretsDir: config.SECRETS_DIR,
    issuer: config.JWT_ISSUER,
    audience: config.JWT_AUDIENCE,
    ttlSeconds: config.ACCESS_TOKEN_TTL_SECONDS,
  });
  const mfa = loadMfaSettings({
    logger,
    value: config.MFA_ENCRYPTION_KEY,
    nodeEnv: config.NODE_ENV,
    secretsDir: config.SECRETS_DIR,
    issuer: config.MFA_ISSUER,
  });
  const sso = ssoSettingsOf(config, mfa.key);
  const sql = connect(config.DATABASE_URL, {
    max: config.DATABASE_POOL_MAX,
    applicationName: "oryn-gateway",
  });
  // Rate limits fail fast when Redis is away; enqueueing a signup's job may wait a little.
  const redis = connectRedisForRequests(config.REDIS_URL);
  redis.on("error", (error) => logger.warn({ err: error }, "redis error"));
  const { queues, close: closeQueues } = connectRequestQueues(config, logger);
  const upstreams = {
    workspace: createUpstream("workspace", config.WORKSPACE_URL, {
      timeoutMs: config.UPSTREAM_TIMEOUT_MS,
      ejectMs: config.WORKSPACE_EJECT_MS,
    }),
    billing: createUpstream("billing", config.BILLING_URL, {
      timeoutMs: config.UPSTREAM_TIMEOUT_MS,
    }),
    provisioner: createUpstream("provisioner", config.PROVISIONER_URL, {
      timeoutMs: config.UPSTREAM_TIMEOUT_MS,
    }),
  };
  const metrics = createMetrics("gateway");
  const revocations = createRevocations({
    sql,
    logger,
    pollMs: config.REVOCATION_POLL_MS,
    accessTtlSeconds: config.ACCESS_TOKEN_TTL_SECONDS,
  });
  const trusted = trustedProxyList(trustedProxies(config, logger));
  // Tokens issued before a revocation are refused from the first request on.
  await revocations.refresh();
  return {
    config,
    logger,
    metrics,
    sql,
    redis,
    queues,
    webhooks: {
      key: webhookSecretsKey(config),
      policy: { production: config.NODE_ENV === "production" },
    },
    tokens: {
      keys,
      accessTtlSeconds: config.ACCESS_TOKEN_TTL_SECONDS,
      refreshTtlSeconds: config.REFRESH_TOKEN_TTL_SECONDS,
      refreshGraceSeconds: config.REFRESH_REUSE_GRACE_SECONDS,
    },
    verify: createTokenVerifier({
      keys: keys.verificationKeys,
      issuer: config.JWT_ISSUER,
      audience: config.JWT_AUDIENCE,
    }),
    rateLimits: createRateLimits({
      redis,
      prefix: config.REDIS_PREFIX,
      tenantPerMinute: config.RATE_LIMIT_TENANT_PER_MINUTE,
      tenantPerSecond: config.RATE_LIMIT_TENANT_PER_SECOND,
      decisions: new Counter({
        name: "oryn_rate_limit_decisions_total",
        help: "Rate-limit decisions by bucket (tenant, ip, session), outcome (allowed, limited, unlimited) and store (redis, memory)",
        labelNames: ["bucket", "outcome", "store"] as const,
        registers: [metrics.registry],
      }),
      logger,
      planOf: createTenantPlans(sql, config.PLAN_CACHE_TTL_MS),
      ipPerMinute: config.RATE_LIMIT_IP_PER_MINUTE,
      sessionPerMinute: config.RATE_LIMIT_SESSION_PER_MINUTE,
      operatorPerMinute: config.RATE_LIMIT_OPERATOR_PER_MINUTE,
      refusedPerMinute: config.RATE_LIMIT_REFUSED_PER_MINUTE,
      leaseMax: config.RATE_LIMIT_LEASE_MAX,
    }),
    loginLimiter: createLoginLimiter({
      redis,
      prefix: config.REDIS_PREFIX,
      consecutiveFailures: config.LOGIN_MAX_CONSECUTIVE_FAILURES,
      failureWindowSeconds: config.LOGIN_FAILURE_WINDOW_SECONDS,
      failuresPerIpPerDay: config.LOGIN_MAX_FAILURES_PER_IP_PER_DAY,
      account: {
        freeFailures: config.LOGIN_ACCOUNT_FREE_FAILURES,
        windowSeconds: config.LOGIN_ACCOUNT_FAILURE_WINDOW_SECONDS,
        maxLockSeconds: config.LOGIN_ACCOUNT_MAX_LOCK_SECONDS,
      },
      knownAddressSeconds: config.LOGIN_KNOWN_ADDRESS_SECONDS,
    }),
    resetLimiter: createResetLimiter({
      redis,
      prefix: config.REDIS_PREFIX,
      perAddressPerHour: config.PASSWORD_RESET_PER_ADDRESS_PER_HOUR,
      perIpPerHour: config.PASSWORD_RESET_PER_IP_PER_HOUR,
    }),
    signupMailLimiter: createResetLimiter({
      redis,
      prefix: config.REDIS_PREFIX,
      perAddressPerHour: config.SIGNUP_MAILS_PER_ADDRESS_PER_HOUR,
      name: "signup",
      what: "signups with this address",
    }),
    accountTokens: {
      verifyEmailTtlSeconds: config.EMAIL_VERIFICATION_TTL_SECONDS,
      resetPasswordTtlSeconds: config.PASSWORD_RESET_TTL_SECONDS,
      changeEmailTtlSeconds: config.EMAIL_CHANGE_TTL_SECONDS,
    },
    revocations,
    mfa,
    mfaPolicy: createMfaPolicy(sql, config.MFA_POLICY_CACHE_TTL_MS),
    sso,
    oidc: createOidcClients(sso),
    readTxt: txtReader(config.DNS_SERVERS),
    apiKeys: createApiKeyAuthenticator({ sql, keys, logger }),
    upstreams,
    clientIp: clientIpResolver(trusted),
    clientAddress: clientAddress(trusted),
    async close() {
      revocations.close();
      await Promise.all([
        upstreams.workspace.close(),
        upstreams.billing.close(),
        upstreams.provisioner.close(),
      ]);
      await closeQueues();
      await sql.end({ timeout: 5 });
      await closeRedis(redis);
    },
  };
}

/**
 * TRUSTED_PROXIES, or what the deprecated TRUST_PROXY=true now stands for: the loopback and
 * private ranges, where a load balancer of the usual deployment sits. It used to trust every
 * peer's header, which let any client choose its address.
 */
function trustedProxies(config: GatewayConfig, logger: Logger): string[] {
  if (config.TRUSTED_PROXIES.length > 0 || !config.TRUST_PROXY) return config.TRUSTED_PROXIES;
  logger.warn(
    "TRUST_PROXY is deprecated: trusting X-Forwarded-For from loopback and private addresses only; set TRUSTED_PROXIES to your proxies' addresses",
  );
  return ["loopback", "private"];
}
