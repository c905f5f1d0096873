import type { RedisClient } from "@oryn/shared";
import {
  ApiError,
  type AppEnv,
  type Counter,
  type Logger,
  type PlanName,
  type Principal,
  planLimits,
  planNames,
} from "@oryn/shared";
import type { Context, MiddlewareHandler } from "hono";
import { RateLimiterMemory, RateLimiterRedis, type RateLimiterRes } from "rate-limiter-flexible";
import { type LeasedWindow, leasedWindow, leaseSize } from "./leases.ts";
import {
  closestToLimit,
  longestRefusal,
  policyHeader,
  rateLimitHeader,
  retryAfterSeconds,
} from "./rate-limit-headers.ts";

/** One window of one bucket: `quota` requests per `windowSeconds`, counted through leases. */
export type Policy = {
  name: string;
  limiter: RateLimiterRedis;
  window: LeasedWindow;
  quota: number;
  windowSeconds: number;
};

/**
 * A tenant's bucket has a burst window (per second) and a sustained one (per minute), at its
 * plan's rates; a request must fit both. IPs (anonymous requests) and sessions (refresh,
 * logout) have one window of a minute, at the configured rates.
 */
export type RateLimits = {
  tenant: Record<PlanName, Policy[]>;
  ip: Policy[];
  session: Policy[];
  /** The operator API, per client IP (docs/operations.md#the-operator-api). */
  operator: Policy[];
  /**
   * Requests answered 401 or 403 that a tenant is not charged for, per minute: past it, refused
   * requests count like any other, so hammering a forbidden route is still limited.
   */
  refused: Policy;
  /** The plan a tenant is on, as the limits need it (cached briefly). */
  planOf(tenantId: string): Promise<PlanName>;
  /**
   * Decisions by bucket, outcome (allowed, limited, or unlimited: let through because no
   * limiter answered) and store (redis, or memory: the per-process fallback while Redis is away).
   */
  decisions: Counter<"bucket" | "outcome" | "store">;
  /** Where the counts are kept right now. */
  store(): "redis" | "memory";
};

function policy(options: {
  name: string;
  keyPrefix: string;
  redis: RedisClient;
  quota: number;
  windowSeconds: number;
  leaseMax: number;
}): Policy {
  const limiter = new RateLimiterRedis({
    storeClient: options.redis,
    keyPrefix: options.keyPrefix,
    points: options.quota,
    duration: options.windowSeconds,
    // While Redis is unreachable each process limits on its own rather than failing requests.
    insuranceLimiter: new RateLimiterMemory({
      points: options.quota,
      duration: options.windowSeconds,
    }),
  });
  return {
    name: options.name,
    limiter,
    // A key over its limit is refused from its lease until its window ends: a client hammering
    // while limited costs no Redis round trip.
    window: leasedWindow(
      limiter,
      options.quota,
      leaseSize(options.quota, options.leaseMax),
      () => options.redis.status === "ready",
    ),
    quota: options.quota,
    windowSeconds: options.windowSeconds,
  };
}

export function createRateLimits(options: {
  redis: RedisClient;
  prefix: string;
  /** Override every plan's rates when set (an operator's emergency brake, or a test's). */
  tenantPerMinute: number | undefined;
  tenantPerSecond: number | undefined;
  ipPerMinute: number;
  sessionPerMinute: number;
  operatorPerMinute: number;
  refusedPerMinute: number;
  /** Most points one gateway takes from Redis at a time for a window (see `leasedWindow`). */
  leaseMax: number;
  planOf(tenantId: string): Promise<PlanName>;
  decisions: Counter<"bucket" | "outcome" | "store">;
  logger: Logger;
}): RateLimits {
  const window = (name: string, bucket: string, quota: number, windowSeconds: number) =>
    policy({
      name,
      keyPrefix: `${options.prefix}:rl:${bucket}`,
      redis: options.redis,
      quota,
      windowSeconds,
      leaseMax: options.leaseMax,
    });
  const tenant = Object.fromEntries(
    planNames.map((plan) => [
      plan,
      // Counters per plan: a plan change starts the tenant on its new plan's full quota.
      [
        window(
          "tenant-burst",
          `tenant:${plan}:s`,
          options.tenantPerSecond ?? planLimits[plan].requestsPerSecond,
          1,
        ),
        window(
          "tenant",
          `tenant:${plan}`,
          options.tenantPerMinute ?? planLimits[plan].requestsPerMinute,
          60,
        ),
      ],
    ]),
  ) as Record<PlanName, Policy[]>;
  return {
    tenant,
    ip: [window("ip", "ip", options.ipPerMinute, 60)],
    session: [window("session", "session", options.sessionPerMinute, 60)],
    operator: [window("operator", "operator", options.operatorPerMinute, 60)],
    refused: window("tenant-refused", "tenant-refused", options.refusedPerMinute, 60),
    planOf: options.planOf,
    decisions: options.decisions,
    store: fallbackWatch(options.redis, options.logger),
  };
}

/**
 * rate-limiter-flexible moves to its insurance limiter by itself when a Redis command fails; this
 * says which store is in use (ioredis is `ready` only while connected) and logs each switch.
 */
function fallbackWatch(redis: RedisClient, logger: Logger): () => "redis" | "memory" {
  let last: "redis" | "memory" = "redis";
  return () => {
    const now = redis.status === "ready" ? "redis" : "memory";
    if (now !== last) {
      if (now === "memory") logger.warn("Redis unavailable: rate limits are counted per process");
      else logger.info("Redis is back: rate limits are counted in Redis again");
      last = now;
    }
    return now;
  };
}

export type Bucket = {
  kind: "tenant" | "ip" | "session" | "operator";
  policies: Policy[];
  key: string;
};

/**
 * Which bucket a request is counted in. Signup, login, a login's second factor and accepting an
 * invitation (where passwords and codes are guessed) always count against the client's IP, whatever token comes with them:
 * otherwise one free signup's token would lift the IP limit. Refresh and logout also go by IP, in
 * a looser bucket of their own: a refresh token cannot be guessed, and many users behind one NAT
 * refresh every few minutes. Elsewhere a verified credential's tenant pays, at its plan's rate,
 * and a request without one its IP.
 */
export async function bucketOf(
  limits: RateLimits,
  c: Context<AppEnv>,
  clientIp: (c: Context<AppEnv>) => string,
): Promise<Bucket> {
  return bucketFor(limits, c.req.path, c.get("principal"), () => clientIp(c));
}

/** `bucketOf` for callers without a hono context (the lean proxy path). */
export async function bucketFor(
  limits: RateLimits,
  path: string,
  principal: Principal | undefined,
  clientIp: () => string,
): Promise<Bucket> {
  if (passwordRoutes.has(path)) return { kind: "ip", policies: limits.ip, key: clientIp() };
  // Whatever credential comes along: a tenant's token is refused there and must not be charged
  // to the tenant, and a wrong operator token is counted like a right one.
  if (path.startsWith(operatorRoutes)) {
    return { kind: "operator", policies: limits.operator, key: clientIp() };
  }
  if (sessionRoutes.has(path)) {
    return { kind: "session", policies: limits.session, key: clientIp() };
  }
  if (principal) {
    const plan = await limits.planOf(principal.tenantId);
    return { kind: "tenant", policies: limits.tenant[plan], key: principal.tenantId };
  }
  return { kind: "ip", policies: limits.ip, key: clientIp() };
}

const passwordRoutes = new Set([
  "/v1/signup",
  "/v1/signup/confirm",
  "/v1/auth/login",
  "/v1/auth/mfa",
  "/v1/invitations/accept",
]);
const operatorRoutes = "/v1/operator/";
const sessionRoutes = new Set(["/v1/auth/refresh", "/v1/auth/logout"]);

type Outcome = { policy: Policy; state: RateLimiterRes; refused: boolean };

/**
 * What counting one request decided: the `RateLimit-Policy` and `RateLimit` header values the
 * answer carries, and the 429 to answer with when a window refused it.
 */
export type Decision = {
  policy: string;
  rateLimit?: string;
  refusal?: ApiError;
  /** No limiter answered: the request goes through uncounted, and nothing is given back. */
  uncounted?: true;
};

/**
 * Counts the request in every window of its bucket and sets the headers of
 * draft-ietf-httpapi-ratelimit-headers on the answer, errors included: `RateLimit-Policy` lists
 * the bucket's windows, `RateLimit` the one closest to running out. A tenant's request answered
 * 401 or 403 is given back, up to `refused` a minute: a tenant does not pay for requests it was
 * refused, but cannot send unlimited refused ones either.
 */
export function rateLimit(
  limits: RateLimits,
  clientIp: (c: Context<AppEnv>) => string,
  logger: Logger,
): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const bucket = await bucketOf(limits, c, clientIp);
    const decision = await countRequest(limits, bucket, logger);
    c.header("RateLimit-Policy", decision.policy);
    if (decision.rateLimit !== undefined) c.header("RateLimit", decision.rateLimit);
    if (decision.refusal) throw decision.refusal;
    if (decision.uncounted) return next();
    await next();
    await settleRefused(limits, bucket, c.res.status);
  };
}

/**
 * Counts one request in its bucket (the rule of `rateLimit`, for the hono middleware and the lean
 * proxy path alike). When neither Redis nor the insurance limiter answers, the request is let
 * through without a `RateLimit` header.
 */
export async function countRequest(
  limits: RateLimits,
  bucket: Bucket,
  logger: Logger,
): Promise<Decision> {
  const policy = policyHeader(bucket.policies);
  let outcomes: Outcome[];
  try {
    // A window already over its limit was noted in memory: refuse now, asking Redis nothing
    // (not even for the bucket's other windows).
    const blocked = inMemoryBlock(bucket);
    outcomes = blocked ? [blocked] : await consumeAll(bucket);
  } catch (error) {
    // Neither Redis nor the insurance limiter answered: serve rather than refuse wrongly.
    limits.decisions.inc({ bucket: bucket.kind, outcome: "unlimited", store: limits.store() });
    logger.error({ err: error }, "rate limiter failed; request let through");
    return { policy, uncounted: true };
  }

  const refused = outcomes.filter((outcome) => outcome.refused);
  if (refused.length > 0) {
    const worst = longestRefusal(refused);
    limits.decisions.inc({ bucket: bucket.kind, outcome: "limited", store: limits.store() });
    const retryAfter = retryAfterSeconds(worst.state.msBeforeNext);
    return {
      policy,
      rateLimit: rateLimitHeader(worst),
      refusal: new ApiError("rate_limited", {
        detail: `Over the ${worst.policy.name} limit of ${worst.policy.quota} requests per ${worst.policy.windowSeconds} s`,
        headers: { "retry-after": String(retryAfter) },
      }),
    };
  }
  limits.decisions.inc({ bucket: bucket.kind, outcome: "allowed", store: limits.store() });
  return { policy, rateLimit: rateLimitHeader(closestToLimit(outcomes)) };
}

/** Once the answer's status is known: a tenant's request refused 401 or 403 is given back. */
export async function settleRefused(
  limits: RateLimits,
  bucket: Bucket,
  status: number,
): Promise<void> {
  if (bucket.kind === "tenant" && (status === 401 || status === 403)) {
    const free = await limits.refused.window.take(bucket.key).then(
      (outcome) => !outcome.refused,
      () => false,
    );
    if (free) await Promise.allSettled(bucket.policies.map((p) => p.window.giveBack(bucket.key)));
  }
}

/** Counts the request in every window of the bucket; a window over its limit is `refused`. */
function consumeAll(bucket: Bucket): Promise<Outcome[]> {
  return Promise.all(
    bucket.policies.map((policy) =>
      policy.window.take(bucket.key).then((outcome) => ({ policy, ...outcome })),
    ),
  );
}

function inMemoryBlock(bucket: Bucket): Outcome | undefined {
  for (const policy of bucket.policies) {
    const state = policy.window.spent(bucket.key);
    if (state) return { policy, state, refused: true };
  }
  return undefined;
}
