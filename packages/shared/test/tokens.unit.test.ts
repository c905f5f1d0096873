import { randomUUID } from "node:crypto";
import { generateKeyPair, type JWTVerifyGetKey, SignJWT } from "jose";
import { describe, expect, it } from "vitest";
import {
  accessTokenType,
  bearerOf,
  createTokenVerifier,
  isTenantCredentialShaped,
} from "../src/tokens.ts";

const issuer = "https://oryn.test";
const audience = "oryn-api";
const { privateKey, publicKey } = await generateKeyPair("EdDSA");

function token(options: { expiresInSeconds: number }) {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ tid: randomUUID(), role: "member", mv: 1 })
    .setProtectedHeader({ alg: "EdDSA", typ: accessTokenType })
    .setIssuer(issuer)
    .setAudience(audience)
    .setSubject(randomUUID())
    .setJti(randomUUID())
    .setIssuedAt(now)
    .setExpirationTime(now + options.expiresInSeconds)
    .sign(privateKey);
}

/** The verifier asks for the key once per full verification: that is what the cache saves. */
function countingVerifier(cache?: { max: number; maxAgeMs: number }) {
  let lookups = 0;
  const keys: JWTVerifyGetKey = async () => {
    lookups++;
    return publicKey;
  };
  const verify = createTokenVerifier({ keys, issuer, audience, ...(cache ? { cache } : {}) });
  return { verify, lookups: () => lookups };
}

describe("verified-token cache", () => {
  it("verifies a token once, then answers the same principal from memory", async () => {
    const { verify, lookups } = countingVerifier();
    const good = await token({ expiresInSeconds: 600 });
    const first = await verify(good);
    expect(await verify(good)).toEqual(first);
    expect(lookups()).toBe(1);
  });

  it("never serves a tampered token from the entry of the original, and never caches a failure", async () => {
    const { verify, lookups } = countingVerifier();
    const good = await token({ expiresInSeconds: 600 });
    await verify(good);
    const [header, payload, signature] = good.split(".") as [string, string, string];
    const flipped = `${signature.slice(0, -2)}${signature.endsWith("AA") ? "BA" : "AA"}`;
    for (let attempt = 0; attempt < 2; attempt++) {
      await expect(verify(`${header}.${payload}.${flipped}`)).rejects.toMatchObject({
        code: "unauthorized",
      });
    }
    expect(lookups()).toBe(3);
  });

  it("forgets a token when it expires, so an expired token is refused even after a hit", async () => {
    const { verify } = countingVerifier();
    // `exp` counts whole seconds from a rounded-down now: one second could end a few ms after
    // signing, refusing the first verification. Two seconds leave at least one; the wait then
    // runs to just past `exp` itself.
    const shortLived = await token({ expiresInSeconds: 2 });
    await verify(shortLived);
    const exp = JSON.parse(Buffer.from(shortLived.split(".")[1] ?? "", "base64url").toString()).exp;
    await new Promise((resolve) => setTimeout(resolve, exp * 1000 - Date.now() + 100));
    await expect(verify(shortLived)).rejects.toMatchObject({ code: "unauthorized" });
  });

  it("verifies again after maxAgeMs, and holds at most `max` tokens", async () => {
    const { verify, lookups } = countingVerifier({ max: 2, maxAgeMs: 50 });
    const good = await token({ expiresInSeconds: 600 });
    await verify(good);
    await new Promise((resolve) => setTimeout(resolve, 80));
    await verify(good);
    expect(lookups()).toBe(2);

    const others = await Promise.all([1, 2].map(() => token({ expiresInSeconds: 600 })));
    for (const other of others) await verify(other);
    await verify(good); // pushed out by the two newer ones
    expect(lookups()).toBe(5);
  });
});

describe("a secret shaped like a tenant's credential", () => {
  it("is a JWT or an oryn_ key, and a random operator secret is neither", () => {
    expect(isTenantCredentialShaped("eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiJ4In0.c2ln")).toBe(true);
    expect(isTenantCredentialShaped("eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.")).toBe(true);
    expect(isTenantCredentialShaped("oryn_abcdefghijklmnopqrstuvwxyz012345")).toBe(true);
    expect(isTenantCredentialShaped("oryn_scim_abcdefghijklmnopqrstuvwxyz")).toBe(true);
    expect(isTenantCredentialShaped("q7Yf2-Kd9_xZ3mN8pL4vR6tW1sB5cE0gH2jQ9uA7yT")).toBe(false);
    expect(isTenantCredentialShaped("an.operator-secret/with+punctuation==")).toBe(false);
  });

  it("is found with b64token punctuation around it", () => {
    const jwt = "eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiJ4In0.c2ln";
    for (const wrapped of [`${jwt}.`, `+${jwt}`, `${jwt}==`, `~/${jwt}`, "x+oryn_abcdef"]) {
      expect(isTenantCredentialShaped(wrapped), wrapped).toBe(true);
    }
  });
});

describe("a bearer header", () => {
  it("gives its token when it is a b64token, as every credential of ours is", () => {
    const jwt = "eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiJ4In0.c2ln";
    expect(bearerOf(`Bearer ${jwt}`)).toBe(jwt);
    expect(bearerOf("bearer oryn_abc-DEF_123")).toBe("oryn_abc-DEF_123");
    expect(bearerOf("Bearer oryn_scim_abc")).toBe("oryn_scim_abc");
    // OPERATOR_TOKEN as `openssl rand -base64 32` makes it: + / and = padding.
    expect(bearerOf("Bearer q7Yf2+Kd9/xZ3mN8pL4vR6tW1sB5cE0gH2jQ9uA7yT0=")).toBe(
      "q7Yf2+Kd9/xZ3mN8pL4vR6tW1sB5cE0gH2jQ9uA7yT0=",
    );
  });

  it("gives nothing for another scheme, no token, or characters no token of ours has", () => {
    for (const header of [
      undefined,
      "",
      "Bearer",
      "Bearer ",
      "Basic b3BlcmF0b3I6c2VjcmV0",
      "Bearer two tokens",
      "Bearer pa$$word",
      "Bearer a=b",
      "Bearer\ttab",
      "Bearertoken",
    ]) {
      expect(bearerOf(header), String(header)).toBeUndefined();
    }
  });
});
