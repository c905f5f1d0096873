import type { MiddlewareHandler } from "hono";
import { ApiError } from "./errors.ts";
import type { AppEnv } from "./http.ts";
import { principalOf, type Role } from "./tokens.ts";

/** `owner` > `admin` > `member` (docs/api.md). */
const rank: Record<Role, number> = { member: 1, admin: 2, owner: 3 };

export function roleAtLeast(role: Role, minimum: Role): boolean {
  return rank[role] >= rank[minimum];
}

/**
 * Who may call a route: a role, `anyone` (no credential: signup, login) or `stripe` (a webhook
 * whose signature is its credential). Every route in every OpenAPI document declares one under
 * this extension; the security suite fails on a route without it.
 */
export const minRoleExtension = "x-oryn-min-role";

export function requireRole(minimum: Role): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const principal = principalOf(c);
    if (!roleAtLeast(principal.role, minimum)) {
      throw new ApiError("forbidden", { detail: `This needs the ${minimum} role or higher` });
    }
    await next();
  };
}

/**
 * Spread into `createRoute`: declares who may call the route in its OpenAPI entry and enforces
 * it, before the body is validated, from the same value, so the two cannot drift apart.
 */
export function access(minimum: Role) {
  const middleware: MiddlewareHandler<AppEnv>[] = [requireRole(minimum)];
  return { [minRoleExtension]: minimum, security: [{ bearer: [] }], middleware };
}

/** For routes without a bearer credential: `anyone`, or `stripe` (the signature is checked). */
export function publicAccess(audience: "anyone" | "stripe") {
  return { [minRoleExtension]: audience, security: [] };
}
