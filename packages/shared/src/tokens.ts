import type { Context, MiddlewareHandler } from "hono";
import { type JWTVerifyGetKey, errors as joseErrors, jwtVerify } from "jose";
import { LRUCache } from "lru-cache";
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
  /**
   * The session (refresh-token family) a user's access token was issued in, when it says
   * (`sid`); absent for API keys and for tokens issued before sessions were named.
   */
  sessionId?: string;
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
  sid: z.uuid().optional(),
});

export type TokenVerifier = (token: string) => Promise<Principal>;

// jose's codes for a JWKS endpoint that timed out, answered non-200 (a generic JOSEError) or
// served something that is not a key set. Every other JOSE error is about the token itself.
const keySetTrouble = new Set(["ERR_JWKS_TIMEOUT", "ERR_JWKS_INVALID", "ERR_JOSE_GENERIC"]);

function unauthorized(): ApiError {
  return new ApiError("unauthorized", { detail: "The access token is invalid or expired" });
}

/**
 * Verified tokens are remembered, keyed by the whole token string, until their `exp` but at most
 * `maxAgeMs`: a client sends the same access token for minutes, and checking its EdDSA signature
 * again on every request was the largest single cost of a proxied request (a CPU profile put it
 * at 10–15% of the gateway's and of workspace's time). Any other string, a tampered token
 * included, misses and is verified in full. `maxAgeMs` bounds how long a process keeps accepting
 * a token after its signing key leaves the key set. Failures are never remembered.
 */
export type VerifiedTokenCache = { max: number; maxAgeMs: number };

export const defaultVerifiedTokenCache: VerifiedTokenCache = { max: 10_000, maxAgeMs: 60_000 };

/**
 * Algorithm, issuer, audience and type are fixed here, not read from the token (RFC 8725), so a
 * token signed for something else, or with `alg: none`, is refused.
 */
export function createTokenVerifier(options: {
  keys: JWTVerifyGetKey;
  issuer: string;
  audience: string;
  cache?: VerifiedTokenCache;
}): TokenVerifier {
  const settings = options.cache ?? defaultVerifiedTokenCache;
  const verified = new LRUCache<string, Principal>({ max: settings.max });
  return async (token) => {
    const known = verified.get(token);
    if (known) return known;
    const { principal, expiresAt } = await verifyInFull(token);
    const ttl = Math.min(expiresAt - Date.now(), settings.maxAgeMs);
    if (ttl > 0) verified.set(token, principal, { ttl });
    return principal;
  };

  async function verifyInFull(token: string): Promise<{ principal: Principal; expiresAt: number }> {
    try {
      const { payload } = await jwtVerify(token, options.keys, {
        algorithms: [accessTokenAlgorithm],
        issuer: options.issuer,
        audience: options.audience,
        typ: accessTokenType,
        requiredClaims: ["exp", "iat", "sub", "jti"],
      });
      const claims = claimsSchema.parse(payload);
      const principal: Principal = {
        userId: claims.sub,
        tenantId: claims.tid,
        role: claims.role,
        tokenId: claims.jti,
        kind: claims.kind,
        membershipVersion: claims.mv,
        ...(claims.sid ? { sessionId: claims.sid } : {}),
      };
      // `exp` is a required claim, checked by jwtVerify above.
      return { principal, expiresAt: (payload.exp ?? 0) * 1000 };
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
  }
}

/**
 * Whether a secret holds something of the shape of a tenant's credential: a JWT (three
 * dot-separated parts) or an `oryn_` key or SCIM token, anywhere in it. The gateway keeps such
 * bearers off the operator routes, so the operator secret (OPERATOR_TOKEN) may not take that
 * shape. Unanchored: a bearer may carry b64token punctuation around a tenant's token
 * (`<jwt>.`, `+<jwt>`, `<jwt>==`), which would otherwise pass for an operator secret and travel
 * to the provisioner with the tenant's token in it.
 */
export function isTenantCredentialShaped(secret: string): boolean {
  return secret.includes("oryn_") || /[\w-]\.[\w-]+\./.test(secret);
}

/**
 * What a bearer token may be made of: RFC 6750's b64token (letters, digits, `-._~+/`, then `=`
 * padding). Every credential we take fits it: JWTs and our `oryn_` keys and SCIM tokens are
 * base64url with dots and underscores, and OPERATOR_TOKEN is held to it when the provisioner
 * starts, so one strict rule serves every route and nothing else reaches a lookup or a hash.
 */
export const bearerTokenPattern = /^[A-Za-z0-9._~+/-]+=*$/;

/**
 * The token of an `Authorization: Bearer <token>` header (the scheme in any case, RFC 7235),
 * or undefined when the header is missing, another scheme or malformed. The one parser of
 * bearer credentials: each caller answers its own refusal (problem+json, SCIM error, or none).
 */
export function bearerOf(header: string | undefined): string | undefined {
  const match = /^Bearer +(\S+)$/i.exec(header ?? "");
  const token = match?.[1];
  return token !== undefined && bearerTokenPattern.test(token) ? token : undefined;
}

/** The bearer token of the header; 401 without one. */
export function bearerToken(header: string | undefined): string {
  const token = bearerOf(header);
  if (token === undefined)
    throw new ApiError("unauthorized", { detail: "A Bearer token is required" });
  return token;
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
