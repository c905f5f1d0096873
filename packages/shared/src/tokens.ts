import type { Context, MiddlewareHandler } from "hono";
import { type JWTVerifyGetKey, errors as joseErrors, jwtVerify } from "jose";
import { z } from "zod";
import { ApiError } from "./errors.ts";
import type { AppEnv } from "./http.ts";

export const roles = ["owner", "admin", "member"] as const;
export type Role = (typeof roles)[number];

/**
 * Who is calling: taken only from a verified credential, never from a header the client chose.
 * For an API key, `userId` is the key's id and `kind` is `api_key`. `membershipVersion` is the
 * membership version the token was issued under (see access revocations in the gateway).
 */
export type Principal = {
  userId: string;
  tenantId: string;
  role: Role;
  tokenId: string;
  kind: "user" | "api_key";
  membershipVersion: number;
};

/** Access tokens are JWTs of type `at+jwt` (RFC 9068), signed with EdDSA. */
export const accessTokenType = "at+jwt";
export const accessTokenAlgorithm = "EdDSA";

const claimsSchema = z.object({
  sub: z.uuid(),
  tid: z.uuid(),
  role: z.enum(roles),
  jti: z.string().min(1),
  kind: z.enum(["user", "api_key"]).default("user"),
  mv: z.number().int().nonnegative().default(0),
});

export type TokenVerifier = (token: string) => Promise<Principal>;

// jose's codes for a JWKS endpoint that timed out, answered non-200 (a generic JOSEError) or
// served something that is not a key set. Every other JOSE error is about the token itself.
const keySetTrouble = new Set(["ERR_JWKS_TIMEOUT", "ERR_JWKS_INVALID", "ERR_JOSE_GENERIC"]);

function unauthorized(): ApiError {
  return new ApiError("unauthorized", { detail: "The access token is invalid or expired" });
}

/**
 * Algorithm, issuer, audience and type are fixed here, not read from the token (RFC 8725), so a
 * token signed for something else, or with `alg: none`, is refused.
 */
export function createTokenVerifier(options: {
  keys: JWTVerifyGetKey;
  issuer: string;
  audience: string;
}): TokenVerifier {
  return async (token) => {
    try {
      const { payload } = await jwtVerify(token, options.keys, {
        algorithms: [accessTokenAlgorithm],
        issuer: options.issuer,
        audience: options.audience,
        typ: accessTokenType,
        requiredClaims: ["exp", "iat", "sub", "jti"],
      });
      const claims = claimsSchema.parse(payload);
      return {
        userId: claims.sub,
        tenantId: claims.tid,
        role: claims.role,
        tokenId: claims.jti,
        kind: claims.kind,
        membershipVersion: claims.mv,
      };
    } catch (error) {
      if (error instanceof z.ZodError) throw unauthorized();
      if (error instanceof joseErrors.JOSEError && !keySetTrouble.has(error.code))
        throw unauthorized();
      // The key set could not be fetched or read: our outage, not the caller's bad token.
      throw new ApiError("upstream_unavailable", {
        status: 503,
        detail: "The signing keys cannot be fetched",
        cause: error,
      });
    }
  };
}

export function bearerToken(header: string | undefined): string {
  const match = header?.match(/^Bearer ([A-Za-z0-9._~+/=-]+)$/i);
  if (!match?.[1]) throw new ApiError("unauthorized", { detail: "A Bearer token is required" });
  return match[1];
}

/** Verifies the bearer token and puts the principal on the request. */
export function authenticate(verify: TokenVerifier): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    c.set("principal", await verify(bearerToken(c.req.header("authorization"))));
    await next();
  };
}

/** The verified caller; a request that reached here without one is answered 401. */
export function principalOf(c: Context<AppEnv>): Principal {
  const principal = c.get("principal");
  if (!principal) throw new ApiError("unauthorized", { detail: "A Bearer token is required" });
  return principal;
}
