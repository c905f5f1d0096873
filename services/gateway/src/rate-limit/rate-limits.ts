import {
  ApiError,
  type AppEnv,
  type Logger,
  type PlanName,
  planLimits,
  planNames,
} from "@oryn/shared";
import type { Context, MiddlewareHandler } from "hono";
import type { Redis } from "ioredis";
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from "rate-limiter-flexible";

export type Policy = {
  name: "tenant" | "ip" | "session";
  limiter: RateLimiterRedis;
  quota: number;
  windowSeconds: number;
};

/** The per-tenant policy of each plan; the IP and session policies are the same for all. */
export type RateLimits = {
  tenant: Record<PlanName, Policy>;
  ip: Policy;
  session: Policy;
  /** The plan a tenant is on, as the limits need it (cached briefly). */
  planOf(tenantId: string): Promise<PlanName>;
};

function policy(options: {
  name: Policy["name"];
  keyPrefix: string;
  redis: Redis;
  quota: number;
  windowSeconds: number;
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
    quota: options.quota,
    windowSeconds: options.windowSeconds,
  };
}

export function createRateLimits(options: {
  redis: Redis;
  prefix: string;
  /** Overrides every plan's rate when set (an operator's emergency brake, or a test's). */
  tenantPerMinute: number | undefined;
  ipPerMinute: number;
  sessionPerMinute: number;
  planOf(tenantId: string): Promise<PlanName>;
}): RateLimits {
  const perMinute = (name: Policy["name"], quota: number, bucket: string = name) =>
    policy({
      name,
      keyPrefix: `${options.prefix}:rl:${bucket}`,
      redis: options.redis,
      quota,
      windowSeconds: 60,
    });
  const tenant = Object.fromEntries(
    planNames.map((plan) => [
      plan,
      // One counter per plan: a plan change starts the tenant on its new plan's full quota.
      perMinute(
        "tenant",
        options.tenantPerMinute ?? planLimits[plan].requestsPerMinute,
        `tenant:${plan}`,
      ),
    ]),
  ) as Record<PlanName, Policy>;
  return {
    tenant,
    ip: perMinute("ip", options.ipPerMinute),
    session: perMinute("session", options.sessionPerMinute),
    planOf: options.planOf,
  };
}

/**
 * Which bucket a request is counted in. Signup, login and accepting an invitation (where
 * passwords are guessed) always
 * count against the client's IP, whatever token comes with them: otherwise one free signup's
 * token would lift the IP limit. Refresh and logout also go by IP, in a looser bucket of their
 * own: a refresh token cannot be guessed, and many users behind one NAT refresh every few
 * minutes. Elsewhere a verified credential's tenant pays, at its plan's rate, and a request
 * without one its IP.
 */
export async function bucketOf(
  limits: RateLimits,
  c: Context<AppEnv>,
  clientIp: (c: Context<AppEnv>) => string,
): Promise<{ policy: Policy; key: string }> {
  const path = c.req.path;
  if (passwordRoutes.has(path)) return { policy: limits.ip, key: clientIp(c) };
  if (sessionRoutes.has(path)) return { policy: limits.session, key: clientIp(c) };
  const principal = c.get("principal");
  if (principal) {
    return {
      policy: limits.tenant[await limits.planOf(principal.tenantId)],
      key: principal.tenantId,
    };
  }
  return { policy: limits.ip, key: clientIp(c) };
}

const passwordRoutes = new Set(["/v1/signup", "/v1/auth/login", "/v1/invitations/accept"]);
const sessionRoutes = new Set(["/v1/auth/refresh", "/v1/auth/logout"]);

/**
 * Counts the request in its bucket and sets the headers of draft-ietf-httpapi-ratelimit-headers
 * on the answer, errors included.
 */
export function rateLimit(
  limits: RateLimits,
  clientIp: (c: Context<AppEnv>) => string,
  logger: Logger,
): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const { policy, key } = await bucketOf(limits, c, clientIp);
    let state: RateLimiterRes;
    try {
      state = await policy.limiter.consume(key);
    } catch (rejection) {
      if (!(rejection instanceof RateLimiterRes)) {
        // Neither Redis nor the insurance limiter answered: serve rather than refuse wrongly.
        logger.error({ err: rejection }, "rate limiter failed; request let through");
        return next();
      }
      setHeaders(c, policy, rejection);
      const retryAfter = Math.max(1, Math.ceil(rejection.msBeforeNext / 1000));
      throw new ApiError("rate_limited", {
        detail: `Over the ${policy.name} limit of ${policy.quota} requests per ${policy.windowSeconds} s`,
        headers: { "retry-after": String(retryAfter) },
      });
    }
    setHeaders(c, policy, state);
    await next();
  };
}

function setHeaders(c: Context<AppEnv>, policy: Policy, state: RateLimiterRes): void {
  c.header("RateLimit-Policy", `"${policy.name}";q=${policy.quota};w=${policy.windowSeconds}`);
  c.header(
    "RateLimit",
    `"${policy.name}";r=${state.remainingPoints};t=${Math.ceil(state.msBeforeNext / 1000)}`,
  );
}
