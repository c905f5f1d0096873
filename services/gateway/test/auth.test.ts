import {
  createLocalJWKSet,
  decodeProtectedHeader,
  generateKeyPair,
  importJWK,
  jwtVerify,
  SignJWT,
  UnsecuredJWT,
} from "jose";
import { afterAll, describe, expect, it } from "vitest";
import { generateSigningKeySet } from "../src/tokens/signing-keys.ts";
import { gatewayInProcess, password, uniqueSignup } from "./fixtures.ts";

// The test holds the gateway's signing key, to forge tokens the gateway's key really signed.
const keySet = generateSigningKeySet();
const gateway = await gatewayInProcess({ JWT_SIGNING_KEYS: keySet });
const realKey = await importJWK(JSON.parse(keySet).keys[0], "EdDSA");
afterAll(() => gateway.close());
const { sql } = gateway.deps;

async function signUp() {
  const body = uniqueSignup();
  const answer = await gateway.call("POST", "/v1/signup", { body });
  expect(answer.status).toBe(202);
  return { body, ...answer.json };
}

describe("access tokens", () => {
  it("are EdDSA JWTs of type at+jwt whose kid is published in the JWKS, with the contract's claims", async () => {
    const { tokens, tenant, user } = await signUp();
    const header = decodeProtectedHeader(tokens.accessToken);
    expect(header).toMatchObject({ alg: "EdDSA", typ: "at+jwt", kid: expect.any(String) });
    const jwks = await gateway.call("GET", "/.well-known/jwks.json");
    expect(jwks.json.keys.map((key: { kid: string }) => key.kid)).toContain(header.kid);
    for (const key of jwks.json.keys) expect(key).not.toHaveProperty("d");
    const { payload } = await jwtVerify(tokens.accessToken, createLocalJWKSet(jwks.json), {
      issuer: "oryn",
      audience: "oryn-api",
    });
    expect(payload).toMatchObject({
      sub: user.id,
      tid: tenant.id,
      role: "owner",
      jti: expect.any(String),
    });
    expect((payload.exp ?? 0) - (payload.iat ?? 0)).toBe(600);
  });

  it("refuses alg none, a foreign key, and tokens of our own key with the wrong audience, issuer, type or lifetime", async () => {
    const { tokens, tenant, user } = await signUp();
    const claims = { tid: tenant.id, role: "owner" };
    const none = new UnsecuredJWT(claims)
      .setSubject(user.id)
      .setIssuer("oryn")
      .setAudience("oryn-api")
      .setExpirationTime("5m")
      .encode();
    const foreign = await generateKeyPair("EdDSA");
    const kid = decodeProtectedHeader(tokens.accessToken).kid ?? "";
    const sign = (changes: {
      audience?: string;
      issuer?: string;
      typ?: string;
      expires?: number | string;
      key?: CryptoKey | Uint8Array;
    }) =>
      new SignJWT(claims)
        .setProtectedHeader({ alg: "EdDSA", typ: changes.typ ?? "at+jwt", kid })
        .setSubject(user.id)
        .setJti("x")
        .setIssuer(changes.issuer ?? "oryn")
        .setAudience(changes.audience ?? "oryn-api")
        .setIssuedAt()
        .setExpirationTime(changes.expires ?? "5m")
        .sign(changes.key ?? realKey);
    // Our key with the right claims is accepted: the refusals below are for what was changed.
    expect((await gateway.call("GET", "/v1/tenant", { token: await sign({}) })).status).toBe(200);
    const refused = {
      "alg none": none,
      "a foreign key": await sign({ key: foreign.privateKey }),
      "another audience": await sign({ audience: "elsewhere" }),
      "another issuer": await sign({ issuer: "someone-else" }),
      "type JWT, not at+jwt": await sign({ typ: "JWT" }),
      expired: await sign({ expires: Math.floor(Date.now() / 1000) - 60 }),
      "a tampered signature": `${tokens.accessToken}x`,
      "not a JWT": "not.a.jwt",
    };
    for (const [what, token] of Object.entries(refused)) {
      const answer = await gateway.call("GET", "/v1/tenant", { token });
      expect(answer.status, what).toBe(401);
      expect(answer.json.code).toBe("unauthorized");
    }
  });
});

describe("GET /v1/tenant", () => {
  it("shows the tenant and its provisioning progress while it provisions", async () => {
    const { tokens, tenant } = await signUp();
    await sql`update tenants set provisioning_step = 'create_database', provisioning_attempts = 2, provisioning_error = 'boom' where id = ${tenant.id}`;
    const answer = await gateway.call("GET", "/v1/tenant", { token: tokens.accessToken });
    expect(answer.status).toBe(200);
    expect(answer.json).toMatchObject({
      id: tenant.id,
      status: "provisioning",
      plan: "free",
      provisioning: { step: "create_database", attempts: 2, error: "boom" },
    });
    expect(answer.headers.get("ratelimit-policy")).toMatch(
      /^"tenant-burst";q=\d+;w=1, "tenant";q=\d+;w=60$/,
    );
  });

  it("answers 401 problem+json, with rate-limit headers, without a token", async () => {
    const answer = await gateway.call("GET", "/v1/tenant");
    expect(answer.status).toBe(401);
    expect(answer.headers.get("content-type")).toBe("application/problem+json");
    expect(answer.headers.get("ratelimit")).toMatch(/^"ip";r=\d+;t=\d+$/);
    expect(answer.json).toMatchObject({
      code: "unauthorized",
      requestId: answer.headers.get("x-request-id"),
    });
  });
});

describe("POST /v1/auth/login", () => {
  it("answers an unknown email and a wrong password the same way", async () => {
    const { body } = await signUp();
    const wrongPassword = await gateway.call("POST", "/v1/auth/login", {
      body: { email: body.owner.email, password: "wrong password!" },
    });
    const unknownEmail = await gateway.call("POST", "/v1/auth/login", {
      body: { email: "nobody@nowhere.test", password: "wrong password!" },
    });
    for (const answer of [wrongPassword, unknownEmail]) expect(answer.status).toBe(401);
    const { requestId: _a, ...first } = wrongPassword.json;
    const { requestId: _b, ...second } = unknownEmail.json;
    expect(first).toEqual(second);
    expect(first.code).toBe("invalid_credentials");
  });

  it("needs the tenant slug when the user belongs to several, and reveals nothing about others", async () => {
    const first = await signUp();
    const second = await signUp();
    await sql`insert into memberships (tenant_id, user_id, role) values (${second.tenant.id}, ${first.user.id}, 'member')`;
    const email = first.body.owner.email;

    const ambiguous = await gateway.call("POST", "/v1/auth/login", { body: { email, password } });
    expect(ambiguous.status).toBe(422);
    expect(ambiguous.json.errors).toEqual([expect.objectContaining({ path: "tenant" })]);
    expect(JSON.stringify(ambiguous.json)).not.toContain(second.tenant.slug);

    const chosen = await gateway.call("POST", "/v1/auth/login", {
      body: { email, password, tenant: second.tenant.slug },
    });
    expect(chosen.status).toBe(200);
    const claims = JSON.parse(
      Buffer.from(chosen.json.accessToken.split(".")[1], "base64url").toString(),
    );
    expect(claims).toMatchObject({ tid: second.tenant.id, role: "member" });

    const stranger = await signUp();
    const notMine = await gateway.call("POST", "/v1/auth/login", {
      body: { email, password, tenant: stranger.tenant.slug },
    });
    expect(notMine.status).toBe(401);
    expect(notMine.json.code).toBe("invalid_credentials");
  });

  it("audits logins and failed logins with IP and request id", async () => {
    const { body, user } = await signUp();
    await gateway.call("POST", "/v1/auth/login", {
      body: { email: body.owner.email, password: "wrong password!" },
    });
    const ok = await gateway.call("POST", "/v1/auth/login", {
      body: { email: body.owner.email, password },
    });
    const rows =
      await sql`select action, ip, request_id from audit_events where actor_id = ${user.id} order by id`;
    expect(rows.map((row) => row.action)).toEqual(["signed_up", "login_failed", "logged_in"]);
    expect(rows[2]).toMatchObject({ ip: "127.0.0.1", requestId: ok.headers.get("x-request-id") });
  });
});

describe("refresh tokens", () => {
  it("rotate on use; a reused token whose successor was used revokes its whole family", async () => {
    const { tokens } = await signUp();
    const refresh = (refreshToken: string) =>
      gateway.call("POST", "/v1/auth/refresh", { body: { refreshToken } });
    const rotated = await refresh(tokens.refreshToken);
    expect(rotated.status).toBe(200);
    expect(rotated.json.refreshToken).not.toBe(tokens.refreshToken);
    const third = await refresh(rotated.json.refreshToken);
    expect(third.status).toBe(200);

    // Inside the grace window, but the successor has been used since: a replay, not a race.
    const replay = await refresh(tokens.refreshToken);
    expect(replay.status).toBe(401);
    expect(replay.json.code).toBe("invalid_token");
    // The whole family was revoked, the newest token included.
    expect((await refresh(third.json.refreshToken)).status).toBe(401);
  });

  it("are stored only as hashes", async () => {
    const { tokens, user } = await signUp();
    const rows = await sql`select token_hash from refresh_tokens where user_id = ${user.id}`;
    expect(rows).toHaveLength(1);
    expect(rows[0]?.tokenHash).toHaveLength(32);
    expect(Buffer.from(rows[0]?.tokenHash).toString()).not.toContain(
      tokens.refreshToken.slice(4, 20),
    );
  });

  it("stop working after logout", async () => {
    const { tokens } = await signUp();
    expect(
      (
        await gateway.call("POST", "/v1/auth/logout", {
          body: { refreshToken: tokens.refreshToken },
        })
      ).status,
    ).toBe(204);
    expect(
      (
        await gateway.call("POST", "/v1/auth/refresh", {
          body: { refreshToken: tokens.refreshToken },
        })
      ).status,
    ).toBe(401);
    // Logging out with a token nobody issued changes nothing and says nothing.
    expect(
      (await gateway.call("POST", "/v1/auth/logout", { body: { refreshToken: "ort_unknown" } }))
        .status,
    ).toBe(204);
  });
});
