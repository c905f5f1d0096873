import { generateKeyPairSync, hkdfSync, randomBytes } from "node:crypto";
import {
  accessTokenAlgorithm,
  accessTokenType,
  ConfigError,
  type Role,
  secretFromEnvOrDevFile,
} from "@oryn/shared";
import {
  type CryptoKey,
  createLocalJWKSet,
  importJWK,
  type JSONWebKeySet,
  type JWK,
  SignJWT,
} from "jose";
import { z } from "zod";

const privateJwk = z.object({
  kty: z.literal("OKP"),
  crv: z.literal("Ed25519"),
  kid: z.string().min(1),
  x: z.string().min(1),
  d: z.string().min(1),
});
const privateJwkSet = z.object({ keys: z.array(privateJwk).min(1) });

export type AccessClaims = {
  userId: string;
  tenantId: string;
  role: Role;
  tokenId: string;
  kind: "user" | "api_key";
  membershipVersion: number;
  /** Shorter than the configured lifetime, for the internal tokens standing in for API keys. */
  ttlSeconds?: number;
};

export type SigningKeys = {
  /** Signs an access token with the newest key. */
  sign(claims: AccessClaims): Promise<string>;
  /**
   * Keys that derive refresh-token successors (see `successorOf`), one per signing key, the
   * current one first: rotating the signing keys rotates these too.
   */
  refreshTokenKeys: Buffer[];
  /** The `kid` of the key that signs. */
  signingKid: string;
  /** The public keys, for `/.well-known/jwks.json` and for local verification. */
  jwks: JSONWebKeySet;
  verificationKeys: ReturnType<typeof createLocalJWKSet>;
};

/** A new Ed25519 key set, as the development secret file holds it. */
export function generateSigningKeySet(): string {
  const { privateKey } = generateKeyPairSync("ed25519");
  const jwk = privateKey.export({ format: "jwk" });
  const kid = `${new Date().toISOString().slice(0, 10)}-${randomBytes(4).toString("hex")}`;
  return JSON.stringify({ keys: [{ ...jwk, kid, alg: accessTokenAlgorithm, use: "sig" }] });
}

export async function loadSigningKeys(options: {
  value: string | undefined;
  nodeEnv: "development" | "test" | "production";
  secretsDir: string;
  issuer: string;
  audience: string;
  ttlSeconds: number;
}): Promise<SigningKeys> {
  const raw = secretFromEnvOrDevFile({
    name: "JWT_SIGNING_KEYS",
    value: options.value,
    nodeEnv: options.nodeEnv,
    secretsDir: options.secretsDir,
    generate: generateSigningKeySet,
  });
  let parsed: z.output<typeof privateJwkSet>;
  try {
    parsed = privateJwkSet.parse(JSON.parse(raw));
  } catch {
    throw new ConfigError(
      "Invalid configuration:\n  JWT_SIGNING_KEYS: must be a JWK Set of Ed25519 private keys",
    );
  }
  const [current] = parsed.keys;
  if (!current) throw new ConfigError("Invalid configuration:\n  JWT_SIGNING_KEYS: no key");
  const signingKey = (await importJWK(
    { ...current, alg: accessTokenAlgorithm },
    accessTokenAlgorithm,
  )) as CryptoKey;
  const publicKeys: JWK[] = parsed.keys.map(({ kty, crv, kid, x }) => ({
    kty,
    crv,
    kid,
    x,
    alg: accessTokenAlgorithm,
    use: "sig",
  }));
  const jwks = { keys: publicKeys };
  return {
    jwks,
    verificationKeys: createLocalJWKSet(jwks),
    signingKid: current.kid,
    refreshTokenKeys: parsed.keys.map((key) =>
      Buffer.from(
        hkdfSync("sha256", Buffer.from(key.d, "base64url"), "", "oryn refresh-token successor", 32),
      ),
    ),
    sign: (claims) =>
      new SignJWT({
        tid: claims.tenantId,
        role: claims.role,
        mv: claims.membershipVersion,
        ...(claims.kind === "api_key" ? { kind: "api_key" } : {}),
      })
        .setProtectedHeader({ alg: accessTokenAlgorithm, kid: current.kid, typ: accessTokenType })
        .setSubject(claims.userId)
        .setJti(claims.tokenId)
        .setIssuer(options.issuer)
        .setAudience(options.audience)
        .setIssuedAt()
        .setExpirationTime(`${claims.ttlSeconds ?? options.ttlSeconds}s`)
        .sign(signingKey),
  };
}
