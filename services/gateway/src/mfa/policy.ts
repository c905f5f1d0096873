import {
  ApiError,
  type AppEnv,
  cachedPerKey,
  type KeyedCache,
  type Principal,
  type Sql,
} from "@oryn/shared";
import type { MiddlewareHandler } from "hono";
import { mustEnrolTotp } from "./factors.ts";

/**
 * A tenant's requirement of a second factor (`PATCH /v1/tenant {mfaRequired}`), enforced at the
 * gateway for every route it serves or forwards: a person without an active factor, in a tenant
 * that requires one, gets 403 `mfa_required` everywhere but their own account (`/v1/me/**`, where
 * they enrol) and `/v1/auth/**`. API keys are not people and are not asked.
 *
 * The answer per (tenant, person) is cached for `ttlMs`; this process forgets it at once when it
 * changes it (enrolment, the tenant's setting), other gateways within `ttlMs`. While the control
 * plane cannot answer, the last answer (up to `staleMs` old) stands, so a person already working
 * keeps working through a control-plane restart as workspace's reads do; with no answer known the
 * request is refused (503), never let through.
 */
export type MfaPolicy = {
  mustEnrol(tenantId: string, userId: string): Promise<boolean>;
  /**
   * Drops what is cached about a person (after enrolling or disabling: every tenant of theirs) or
   * a tenant (after its setting changed), so the change applies here at once; the rest of the
   * cache, and its last answers for an outage, stay.
   */
  forget(scope: { userId: string } | { tenantId: string }): void;
};

/** How long a last answer may stand in for the control plane: a restart, not an outage of days. */
const staleMs = 5 * 60_000;

export function createMfaPolicy(sql: Sql, ttlMs: number): MfaPolicy {
  const load = async (key: string): Promise<boolean> => {
    const [tenantId, userId] = key.split(":");
    return mustEnrolTotp(sql, tenantId ?? "", userId ?? "");
  };
  const known: KeyedCache<boolean> = cachedPerKey(load, { ttlMs, maxEntries: 100_000 });
  return {
    async mustEnrol(tenantId, userId) {
      return (await known.getOrStale(`${tenantId}:${userId}`, staleMs)).value;
    },
    forget(scope) {
      known.forget((key) =>
        "userId" in scope ? key.endsWith(`:${scope.userId}`) : key.startsWith(`${scope.tenantId}:`),
      );
    },
  };
}

/** Paths a person may use before enrolling: their own account, and signing in and out. */
function exempt(path: string): boolean {
  return path === "/v1/me" || path.startsWith("/v1/me/") || path.startsWith("/v1/auth/");
}

export function requireMfaWhereTenantDoes(policy: MfaPolicy): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    await assertMfaWhereTenantDoes(policy, c.get("principal"), c.req.path);
    await next();
  };
}

/**
 * Throws 403 `mfa_required` for a person who must enrol first, and 503 when that cannot be known:
 * the one rule, for the hono middleware and the lean proxy path.
 */
export async function assertMfaWhereTenantDoes(
  policy: MfaPolicy,
  principal: Principal | undefined,
  path: string,
): Promise<void> {
  if (principal?.kind !== "user" || exempt(path)) return;
  let mustEnrol: boolean;
  try {
    mustEnrol = await policy.mustEnrol(principal.tenantId, principal.userId);
  } catch (error) {
    // Closed, not open: a tenant that requires a second factor must not lose it to an outage.
    throw new ApiError("upstream_unavailable", {
      status: 503,
      detail: "The control plane is unavailable",
      cause: error,
    });
  }
  if (mustEnrol) {
    throw new ApiError("mfa_required", {
      detail: "This tenant requires two-factor authentication: turn it on at POST /v1/me/mfa/totp",
    });
  }
}
