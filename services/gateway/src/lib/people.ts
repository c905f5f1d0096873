import { ApiError, type AppEnv, access, principalOf, type Role } from "@oryn/shared";
import type { MiddlewareHandler } from "hono";

/** Refuses API keys: what only a person may do (their own account, destroying the tenant). */
const requirePerson: MiddlewareHandler<AppEnv> = async (c, next) => {
  if (principalOf(c).kind !== "user") {
    throw new ApiError("forbidden", { detail: "Only a person can do this, not an API key" });
  }
  await next();
};

/**
 * `access(minimum)` for people only: an API key, whatever its role, gets 403. The OpenAPI entry
 * says so under `x-oryn-people-only`.
 */
export function personAccess(minimum: Role) {
  const base = access(minimum);
  return {
    ...base,
    "x-oryn-people-only": true,
    middleware: [...base.middleware, requirePerson],
  };
}
