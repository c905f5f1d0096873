import { ApiError, type AppEnv, bearerToken, type TokenVerifier } from "@oryn/shared";
import type { MiddlewareHandler } from "hono";

/**
 * Puts the verified principal on the request when a good bearer token came with it, and does
 * nothing otherwise: the rate limiter needs to know the tenant before routes decide whether a
 * credential was required (they answer 401 through `principalOf`).
 */
export function identify(verify: TokenVerifier): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const header = c.req.header("authorization");
    if (header !== undefined) {
      try {
        c.set("principal", await verify(bearerToken(header)));
      } catch (error) {
        if (!(error instanceof ApiError)) throw error;
      }
    }
    await next();
  };
}
