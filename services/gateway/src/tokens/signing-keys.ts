import { generateKeyPairSync, hkdfSync, randomBytes } from "node:crypto";
import {
  accessTokenAlgorithm,
  accessTokenType,
  ConfigError,
  type Principal,
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

/** What an access token says: the principal it stands for (`sessionId` is the `sid` claim). */
export type AccessClaims = Principal & {
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

function newPrivateJwk(): z.output<typeof privateJwk> & { alg: string; use: string } {
  const { privateKey } = generateKeyPairSync("ed25519");
  const jwk = privateKeyJwk.parse(privateKey.export({ format: "jwk" }));
  const kid = `${new Date().toISOString().slice(0, 10)}-${randomBytes(4).toString("hex")}`;
  return { ...jwk, kid, alg: accessTokenAlgorithm, use: "sig" };
}
const privateKeyJwk = privateJwk.omit({ kid: true });

/** A new Ed25519 key set, as the development secret file holds it. */
export function generateSigningKeySet(): string {
  return JSON.stringify({ keys: [newPrivateJwk()] });
}

/**
 * Key rotation, as pure edits of a JWK Set (`pnpm keys`; "Rotating signing keys" in
 * docs/operations.md). The first key signs; every key verifies. With several gateways, a new key
 * is first added (published and trusted everywhere), then promoted, and the old one retired once
 * its last tokens have expired.
 */
export const keyRotation = {
  /** Appends a new key: published and trusted, not yet signing. */
  add(set: string): { set: string; kid: string } {
    const parsed = parseKeySet(set);
    const key = newPrivateJwk();
    return { set: JSON.stringify({ keys: [...parsed.keys, key] }), kid: key.kid };
  },
  /** Makes `kid` the signing key. */
  promote(set: string, kid: string): string {
    const parsed = parseKeySet(set);
    const key = parsed.keys.find((candidate) => candidate.kid === kid);
    if (!key) throw new ConfigError(`no key ${kid} in the set`);
    return JSON.stringify({ keys: [key, ...parsed.keys.filter((other) => other !== key)] });
  },
  /** Drops `kid`; the signing key cannot be retired. */
  retire(set: string, kid: string): string {
    const parsed = parseKeySet(set);
    if (parsed.keys[0]?.kid === kid) throw new ConfigError(`${kid} signs: promote another first`);
    if (!parsed.keys.some((key) => key.kid === kid))
      throw new ConfigError(`no key ${kid} in the set`);
    return JSON.stringify({ keys: parsed.keys.filter((key) => key.kid !== kid) });
  },
  /** Add and promote at once: safe with one gateway, or when tokens may be refused briefly. */
  rotate(set: string): { set: string; kid: string } {
    const added = keyRotation.add(set);
    return { set: keyRotation.promote(added.set, added.kid), kid: added.kid };
  },
  list(set: string): { kid: string; signs: boolean }[] {
    return parseKeySet(set).keys.map((key, index) => ({ kid: key.kid, signs: index === 0 }));
  },
};

function parseKeySet(raw: string): z.output<typeof privateJwkSet> {
  try {
    return privateJwkSet.parse(JSON.parse(raw));
  } catch {
    throw new ConfigError(
      "Invalid configuration:\n  JWT_SIGNING_KEYS: must be a JWK Set of Ed25519 private keys",
    );
  }
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
  const parsed = parseKeySet(raw);
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
        ...(claims.sessionId ? { sid: claims.sessionId } : {}),
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
