import { ApiError, type AppEnv, bearerToken, type TokenVerifier } from "@oryn/shared";
import type { MiddlewareHandler } from "hono";
import type { Revocations } from "../access/revocations.ts";
import { apiKeyPrefix } from "../api-keys/api-keys.ts";
import type { ApiKeyAuthenticator } from "../api-keys/authenticator.ts";

/**
 * Puts the verified principal on the request when a good credential came with it (an access
 * token that is not revoked, or a live API key), and does nothing otherwise: the rate limiter
 * needs to know the tenant before routes decide whether a credential was required (they answer
 * 401 through `principalOf`).
 */
export function identify(deps: {
  verify: TokenVerifier;
  revocations: Revocations;
  apiKeys: ApiKeyAuthenticator;
}): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const header = c.req.header("authorization");
    if (header !== undefined) {
      try {
        const credential = bearerToken(header);
        if (credential.startsWith(apiKeyPrefix)) {
          const principal = await deps.apiKeys.authenticate(credential);
          if (principal) c.set("principal", principal);
        } else {
          const principal = await deps.verify(credential);
          if (!deps.revocations.isRevoked(principal)) c.set("principal", principal);
        }
      } catch (error) {
        if (!(error instanceof ApiError)) throw error;
      }
    }
    await next();
  };
}
