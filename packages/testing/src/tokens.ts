import { randomUUID } from "node:crypto";
import { accessTokenAlgorithm, accessTokenType, type Role } from "@oryn/shared";
import { createLocalJWKSet, exportJWK, generateKeyPair, type JWTVerifyGetKey, SignJWT } from "jose";

export type TokenOptions = { role?: Role; userId?: string; audience?: string; expiresIn?: string };

export type TokenSigner = {
  /** The key set a service built in-process verifies access tokens with. */
  keys: JWTVerifyGetKey;
  /** An access token as the gateway issues it, for a user of `tenantId` (a member by default). */
  tokenFor(tenantId: string, options?: TokenOptions): Promise<string>;
};

/**
 * A key pair this test holds, standing in for the gateway's signing keys: a service built
 * in-process verifies with `keys`, and the test signs whatever token it needs (another role,
 * another audience, an expired one) without a gateway running.
 */
export async function tokenSigner(): Promise<TokenSigner> {
  const { publicKey, privateKey } = await generateKeyPair(accessTokenAlgorithm);
  const jwk = { ...(await exportJWK(publicKey)), kid: "test-key", alg: accessTokenAlgorithm };
  return {
    keys: createLocalJWKSet({ keys: [jwk] }),
    tokenFor(tenantId, options = {}) {
      return new SignJWT({ tid: tenantId, role: options.role ?? "member" })
        .setProtectedHeader({ alg: accessTokenAlgorithm, typ: accessTokenType, kid: "test-key" })
        .setSubject(options.userId ?? randomUUID())
        .setJti(randomUUID())
        .setIssuer("oryn")
        .setAudience(options.audience ?? "oryn-api")
        .setIssuedAt()
        .setExpirationTime(options.expiresIn ?? "5m")
        .sign(privateKey);
    },
  };
}
