import {
  ApiError,
  type AppEnv,
  bearerToken,
  type Principal,
  type TokenVerifier,
} from "@oryn/shared";
import type { MiddlewareHandler } from "hono";
import type { Revocations } from "../access/revocations.ts";
import { apiKeyPrefix } from "../api-keys/api-keys.ts";
import type { ApiKeyAuthenticator } from "../api-keys/authenticator.ts";

type IdentifyDeps = {
  verify: TokenVerifier;
  revocations: Revocations;
  apiKeys: ApiKeyAuthenticator;
};

/**
 * Puts the verified principal on the request when a good credential came with it (an access
 * token that is not revoked, or a live API key), and does nothing otherwise: the rate limiter
 * needs to know the tenant before routes decide whether a credential was required (they answer
 * 401 through `principalOf`).
 */
export function identify(deps: IdentifyDeps): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const principal = await principalFrom(deps, c.req.header("authorization"));
    if (principal) c.set("principal", principal);
    await next();
  };
}

/**
 * The principal an `Authorization` header stands for, or undefined when it is missing, malformed,
 * unknown, expired or revoked. The one rule, for the hono middleware and the lean proxy path.
 */
export async function principalFrom(
  deps: IdentifyDeps,
  header: string | undefined,
): Promise<Principal | undefined> {
  if (header === undefined) return undefined;
  try {
    const credential = bearerToken(header);
    if (credential.startsWith(apiKeyPrefix)) return await deps.apiKeys.authenticate(credential);
    const principal = await deps.verify(credential);
    return deps.revocations.isRevoked(principal) ? undefined : principal;
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    return undefined;
  }
}
