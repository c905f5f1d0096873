import { createHash, timingSafeEqual } from "node:crypto";
import { ApiError, type AppEnv, bearerOf, minRoleExtension } from "@oryn/shared";
import type { MiddlewareHandler } from "hono";

/** The OpenAPI security scheme of the operator API: the operator token as a bearer credential. */
export const operatorScheme = "operatorToken";

/**
 * Checks `Authorization: Bearer <OPERATOR_TOKEN>` and logs every operator request with its
 * outcome. Both sides are hashed before the constant-time comparison, so neither the token's
 * length nor its prefix shows in the timing. The gateway refuses tenant credentials before they
 * get here, but this is the wall that counts: the provisioner does not take the gateway's word.
 */
export function requireOperator(token: string): MiddlewareHandler<AppEnv> {
  const expected = digest(token);
  return async (c, next) => {
    const presented = bearerOf(c.req.header("authorization"));
    const context = {
      operator: true,
      method: c.req.method,
      path: c.req.path,
      clientIp: c.req.header("x-forwarded-for"),
    };
    if (presented === undefined || !timingSafeEqual(digest(presented), expected)) {
      c.var.logger.warn(context, "operator credential refused");
      throw new ApiError("unauthorized", {
        detail: "Operator routes take the operator credential (OPERATOR_TOKEN)",
      });
    }
    await next();
    c.var.logger.info({ ...context, status: c.res.status }, "operator request");
  };
}

function digest(value: string): Buffer {
  return createHash("sha256").update(value).digest();
}

/**
 * Spread into `createRoute`, like `access(role)`: declares the route as the operators' in the
 * OpenAPI document (`x-oryn-min-role: operator`, the security suite's marker) and enforces it.
 */
export function operatorAccess(guard: MiddlewareHandler<AppEnv>) {
  return {
    [minRoleExtension]: "operator",
    security: [{ [operatorScheme]: [] }],
    middleware: [guard],
  };
}
