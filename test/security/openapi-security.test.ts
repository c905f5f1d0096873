/**
 * The access-control suite, generated from the OpenAPI documents of the gateway, workspace and
 * billing: every operation there now, or added later, is attacked the same way.
 *
 * - It must declare its minimum role (`x-oryn-min-role`); the suite fails otherwise.
 * - No credential, and each hostile credential, answers 401.
 * - A role one step below the minimum answers 403.
 * - Every path with an object id, given tenant A's ids and tenant B's credential, answers 404,
 *   and A's objects are all still there afterwards.
 * - Operator routes (`x-oryn-min-role: operator`) answer 403 to every tenant credential, a
 *   tenant owner's token and API key included, and 401 to a wrong operator secret.
 * Operations served by workspace and billing are also attacked directly, past the gateway:
 * those services verify tokens themselves (docs/design.md), so the gateway is not the only wall.
 */
import { createPublicKey, randomBytes } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { serviceEnv, testRun } from "@oryn/testing/context";
import { type FakeStripe, startFakeStripe } from "@oryn/testing/fake-stripe";
import { type Answer, jsonCaller } from "@oryn/testing/http";
import { collectEndpoints, type Endpoint, pathWithIds } from "@oryn/testing/openapi-endpoints";
import { joinTenant, type PopulatedTenant, populatedTenant } from "@oryn/testing/populated-tenant";
import { type Oryn, startOryn } from "@oryn/testing/processes";
import { sampleBody } from "@oryn/testing/sample-body";
import {
  decodeProtectedHeader,
  generateKeyPair,
  importJWK,
  type JWTPayload,
  SignJWT,
  UnsecuredJWT,
} from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateSigningKeySet } from "../../services/gateway/src/tokens/signing-keys.ts";

const roleBelow: Record<string, string | undefined> = { owner: "admin", admin: "member" };
const run = testRun();
const keySet = generateSigningKeySet();
let oryn: Oryn;
let stripe: FakeStripe | undefined;
let endpoints: Endpoint[] = [];
const casesRun = {
  unauthenticated: 0,
  hostileTokens: 0,
  roleBelow: 0,
  crossTenant: 0,
  direct: 0,
  peopleOnly: 0,
  operatorOnly: 0,
};

const call = jsonCaller((path, init) => fetch(`${oryn.gatewayUrl}${path}`, init));

let tenantA: PopulatedTenant;
let tenantB: PopulatedTenant;
const hostile: Record<string, string> = {};

const claimsOf = (token: string): JWTPayload =>
  JSON.parse(Buffer.from(token.split(".")[1] ?? "", "base64url").toString());

async function expectStatus(answer: Promise<Answer>, status: number, what: string) {
  const got = await answer;
  expect(got.status, `${what}: ${JSON.stringify(got.json)}`).toBe(status);
  expect(got.json?.code, `${what}: problem+json code`).toEqual(expect.any(String));
}

async function makeHostileTokens(): Promise<void> {
  const [signingKey] = JSON.parse(keySet).keys;
  const realKey = await importJWK({ ...signingKey, alg: "EdDSA" }, "EdDSA");
  const kid = signingKey.kid as string;
  const valid = claimsOf(tenantA.member.token);
  const base = { tid: valid.tid, role: "owner", mv: valid.mv };
  const sign = (options: {
    header?: Record<string, unknown>;
    issuer?: string;
    audience?: string;
    issuedAt?: number;
    notBefore?: number;
    expires?: number;
    key?: CryptoKey | Uint8Array;
    alg?: string;
  }) => {
    const now = Math.floor(Date.now() / 1000);
    const jwt = new SignJWT(base)
      .setProtectedHeader({ alg: options.alg ?? "EdDSA", typ: "at+jwt", kid, ...options.header })
      .setSubject(valid.sub ?? "")
      .setJti(crypto.randomUUID())
      .setIssuer(options.issuer ?? "oryn")
      .setAudience(options.audience ?? "oryn-api")
      .setIssuedAt(options.issuedAt ?? now)
      .setExpirationTime(options.expires ?? now + 300);
    if (options.notBefore) jwt.setNotBefore(options.notBefore);
    return jwt.sign(options.key ?? realKey);
  };
  const now = Math.floor(Date.now() / 1000);
  // The classic key-confusion attack: HS256 with the public key as the HMAC secret.
  const publicPem = createPublicKey({
    key: { kty: "OKP", crv: "Ed25519", x: signingKey.x },
    format: "jwk",
  }).export({ type: "spki", format: "pem" });
  const foreign = await generateKeyPair("EdDSA");
  const [header, , signature] = tenantA.member.token.split(".");
  const tampered = Buffer.from(
    JSON.stringify({ ...valid, role: "owner", tid: tenantB.id }),
  ).toString("base64url");

  Object.assign(hostile, {
    "alg none": new UnsecuredJWT(base)
      .setSubject(valid.sub ?? "")
      .setIssuer("oryn")
      .setAudience("oryn-api")
      .setIssuedAt()
      .setExpirationTime("5m")
      .encode(),
    "HS256 signed with the public key": await sign({
      alg: "HS256",
      key: new TextEncoder().encode(String(publicPem)),
    }),
    expired: await sign({ issuedAt: now - 3600, expires: now - 60 }),
    "not yet valid": await sign({ notBefore: now + 3600 }),
    "wrong issuer": await sign({ issuer: "someone-else" }),
    "wrong audience": await sign({ audience: "another-api" }),
    "wrong typ": await sign({ header: { typ: "JWT" } }),
    "unknown kid": await sign({ header: { kid: "not-a-key-we-have" }, key: foreign.privateKey }),
    "foreign key under our kid": await sign({ key: foreign.privateKey }),
    "tampered claims": `${header}.${tampered}.${signature}`,
    "not a JWT": `${randomBytes(24).toString("base64url")}`,
    "made-up API key": `oryn_${randomBytes(32).toString("base64url")}`,
  });
  expect(decodeProtectedHeader(hostile["wrong typ"] ?? "").typ).toBe("JWT");

  // A deleted API key, and a removed member's still-unexpired access token.
  const key = await call("POST", "/v1/api-keys", {
    token: tenantA.owner.token,
    body: { name: "to be deleted", role: "owner" },
  });
  expect((await call("GET", "/v1/members", { token: key.json.key })).status).toBe(200);
  expect(
    (await call("DELETE", `/v1/api-keys/${key.json.id}`, { token: tenantA.owner.token })).status,
  ).toBe(204);
  hostile["deleted API key"] = key.json.key;
  const leaving = await joinTenant(call, tenantA.owner.token, "admin");
  expect(
    (await call("DELETE", `/v1/members/${leaving.userId}`, { token: tenantA.owner.token })).status,
  ).toBe(204);
  const deadline = Date.now() + 10_000;
  while ((await call("GET", "/v1/tenant", { token: leaving.token })).status !== 401) {
    if (Date.now() > deadline) throw new Error("the removed member's token still works");
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  hostile["removed member's token"] = leaving.token;

  // A logged-out session's still-unexpired access token.
  const loggedOut = await joinTenant(call, tenantA.owner.token, "member");
  expect(
    (await call("POST", "/v1/auth/logout", { body: { refreshToken: loggedOut.refreshToken } }))
      .status,
  ).toBe(204);
  const until = Date.now() + 10_000;
  while ((await call("GET", "/v1/tenant", { token: loggedOut.token })).status !== 401) {
    if (Date.now() > until) throw new Error("the logged-out session's token still works");
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  hostile["logged-out session's token"] = loggedOut.token;
}

/** Revocations (removed members, ended sessions) are the gateway's to check, not upstreams'. */
const revokedAtTheGateway = new Set(["removed member's token", "logged-out session's token"]);

describe("access control, generated from the OpenAPI documents", () => {
  beforeAll(async () => {
    stripe = await startFakeStripe();
    oryn = await startOryn(serviceEnv(run), {
      // Billing's routes call Stripe: ours, so the positive control can reach them.
      billing: stripe.env(),
      gateway: {
        JWT_SIGNING_KEYS: keySet,
        RATE_LIMIT_TENANT_PER_MINUTE: "1000000",
        REVOCATION_POLL_MS: "200",
      },
    });
    [tenantA, tenantB] = await Promise.all([
      populatedTenant(call, run, "sec-a"),
      populatedTenant(call, run, "sec-b"),
    ]);
    await makeHostileTokens();
    endpoints = await collectEndpoints(oryn);
  }, 120_000);

  afterAll(async () => {
    mkdirSync("test-results", { recursive: true });
    writeFileSync(
      join("test-results", "security-suite.json"),
      JSON.stringify(
        {
          endpoints: endpoints.map(
            (e) => `${e.method} ${e.path} (${e.operation["x-oryn-min-role"]})`,
          ),
          hostileCredentials: Object.keys(hostile),
          cases: casesRun,
          total: Object.values(casesRun).reduce((sum, n) => sum + n, 0),
        },
        null,
        2,
      ),
    );
    await oryn?.stop();
    await stripe?.close();
  });

  it("finds the public API's endpoints in the documents", () => {
    const names = endpoints.map((endpoint) => `${endpoint.method} ${endpoint.path}`);
    for (const expected of [
      "POST /v1/signup",
      "GET /v1/tenant",
      "GET /v1/members",
      "POST /v1/invitations",
      "POST /v1/api-keys",
      "GET /v1/me",
      "POST /v1/me/password",
      "POST /v1/me/email",
      "POST /v1/auth/password/forgot",
      "POST /v1/auth/verify-email",
      "POST /v1/invitations/{id}/resend",
      "GET /v1/security-log",
      "GET /v1/projects",
      "DELETE /v1/projects/{id}",
      "GET /v1/me/sessions",
      "DELETE /v1/me/sessions/{id}",
      "POST /v1/me/mfa/totp",
      "POST /v1/me/mfa/totp/confirm",
      "DELETE /v1/me/mfa/totp",
      "POST /v1/auth/mfa",
      "PATCH /v1/tenant",
      "POST /webhooks/stripe",
      "POST /v1/domains",
      "POST /v1/domains/{id}/verify",
      "POST /v1/sso/connections",
      "PATCH /v1/sso/connections/{id}",
      "GET /v1/sso/authorize",
      "POST /v1/sso/token",
      "GET /v1/operator/tenants",
      "POST /v1/operator/tenants/{tenantId}/retry-provisioning",
    ]) {
      expect(names).toContain(expected);
    }
  });

  it("every endpoint declares its minimum role, and authenticated ones declare bearer security", () => {
    const undeclared = endpoints.filter(
      (endpoint) =>
        !["anyone", "stripe", "member", "admin", "owner", "operator"].includes(
          String(endpoint.operation["x-oryn-min-role"]),
        ),
    );
    expect(undeclared.map((endpoint) => `${endpoint.method} ${endpoint.path}`)).toEqual([]);
    for (const endpoint of endpoints) {
      const role = endpoint.operation["x-oryn-min-role"];
      const needsBearer = role !== "anyone" && role !== "stripe";
      expect(
        (endpoint.operation.security ?? []).length > 0,
        `${endpoint.method} ${endpoint.path} security`,
      ).toBe(needsBearer);
    }
  });

  it("answers 401 to no credential and to every hostile one, at the gateway and past it", async () => {
    for (const endpoint of endpoints) {
      const role = endpoint.operation["x-oryn-min-role"];
      if (role === "anyone" || role === "stripe") continue;
      const path = pathWithIds(endpoint.path, tenantA.ids);
      const body = sampleBody(endpoint.document, endpoint.operation);
      const what = `${endpoint.method} ${endpoint.path}`;
      await expectStatus(call(endpoint.method, path, { body }), 401, `${what} without credential`);
      casesRun.unauthenticated++;
      for (const [name, token] of Object.entries(hostile)) {
        await expectStatus(
          call(endpoint.method, path, { body, token }),
          401,
          `${what} with ${name}`,
        );
        casesRun.hostileTokens++;
      }
      if (endpoint.serviceUrl) {
        const direct = jsonCaller((p, init) => fetch(`${endpoint.serviceUrl}${p}`, init));
        await expectStatus(direct(endpoint.method, path, { body }), 401, `${what} direct, none`);
        casesRun.direct++;
        for (const [name, token] of Object.entries(hostile)) {
          // Revocations and API keys are the gateway's to check; signatures everyone's.
          if (revokedAtTheGateway.has(name) || name.includes("API key")) continue;
          await expectStatus(
            direct(endpoint.method, path, { body, token }),
            401,
            `${what} direct, ${name}`,
          );
          casesRun.direct++;
        }
      }
    }
    // Workspace routes are served by workspace: the direct attacks must have run.
    expect(casesRun.direct).toBeGreaterThan(0);
  }, 120_000);

  it("answers 403 to a role below the endpoint's minimum", async () => {
    for (const endpoint of endpoints) {
      const below = roleBelow[String(endpoint.operation["x-oryn-min-role"])];
      if (!below) continue;
      const token = below === "admin" ? tenantA.admin.token : tenantA.member.token;
      const path = pathWithIds(endpoint.path, tenantA.ids);
      const body = sampleBody(endpoint.document, endpoint.operation);
      await expectStatus(
        call(endpoint.method, path, { body, token }),
        403,
        `${endpoint.method} ${endpoint.path} as ${below}`,
      );
      casesRun.roleBelow++;
    }
  }, 60_000);

  it("answers 404 to tenant B's owner for every object id of tenant A, and changes nothing of A's", async () => {
    for (const endpoint of endpoints) {
      const role = endpoint.operation["x-oryn-min-role"];
      // Operator routes take no tenant credential at all: the next test but one.
      if (role === "anyone" || role === "stripe" || role === "operator") continue;
      if (!endpoint.path.includes("{")) continue;
      const path = pathWithIds(endpoint.path, tenantA.ids);
      const body = sampleBody(endpoint.document, endpoint.operation);
      await expectStatus(
        call(endpoint.method, path, { body, token: tenantB.owner.token }),
        404,
        `${endpoint.method} ${endpoint.path} with B's credential`,
      );
      casesRun.crossTenant++;
    }
    // Every object of A is still there, as A sees it.
    const asA = (path: string) => call("GET", path, { token: tenantA.owner.token });
    expect((await asA(`/v1/projects/${tenantA.ids.projects}`)).status).toBe(200);
    if (tenantA.ids.tasks) {
      expect(
        (await asA(`/v1/projects/${tenantA.ids.projects}/tasks/${tenantA.ids.tasks}`)).status,
      ).toBe(200);
    }
    const members = await asA("/v1/members");
    expect(members.json.items.map((m: { userId: string }) => m.userId)).toContain(
      tenantA.ids.members,
    );
    const keys = await asA("/v1/api-keys");
    expect(keys.json.items.map((k: { id: string }) => k.id)).toContain(tenantA.ids["api-keys"]);
    const invitations = await asA("/v1/invitations");
    expect(invitations.json.items.map((i: { id: string }) => i.id)).toContain(
      tenantA.ids.invitations,
    );
    const domains = await asA("/v1/domains");
    expect(domains.json.items.map((d: { id: string }) => d.id)).toContain(tenantA.ids.domains);
    const connection = await asA(`/v1/sso/connections/${tenantA.ids.connections}`);
    expect(connection.json).toMatchObject({ status: "enabled", enforce: false });
    const scimTokens = await asA("/v1/scim/tokens");
    expect(scimTokens.json.items.map((t: { id: string }) => t.id)).toContain(tenantA.ids.tokens);
    // B's lists hold nothing of A's.
    const bMembers = await call("GET", "/v1/members", { token: tenantB.owner.token });
    expect(JSON.stringify(bMembers.json)).not.toContain(tenantA.ids.members);
  }, 60_000);

  it("answers 403 to an owner's API key on what only a person may do", async () => {
    const key = await call("POST", "/v1/api-keys", {
      token: tenantA.owner.token,
      body: { name: "owner automation", role: "owner" },
    });
    const peopleOnly = endpoints.filter((endpoint) => endpoint.operation["x-oryn-people-only"]);
    for (const expected of ["DELETE /v1/tenant", "GET /v1/me/sessions", "POST /v1/me/mfa/totp"]) {
      expect(peopleOnly.map((endpoint) => `${endpoint.method} ${endpoint.path}`)).toContain(
        expected,
      );
    }
    for (const endpoint of peopleOnly) {
      await expectStatus(
        call(endpoint.method, pathWithIds(endpoint.path, tenantA.ids), {
          body: sampleBody(endpoint.document, endpoint.operation),
          token: key.json.key,
        }),
        403,
        `${endpoint.method} ${endpoint.path} with an owner's API key`,
      );
      casesRun.peopleOnly++;
    }
  });

  it("answers 403 to every tenant credential on operator routes, 401 to a wrong operator secret, and lets the operator through", async () => {
    const operatorOnly = endpoints.filter(
      (endpoint) => endpoint.operation["x-oryn-min-role"] === "operator",
    );
    expect(operatorOnly.length).toBeGreaterThanOrEqual(5);
    const ownerKey = await call("POST", "/v1/api-keys", {
      token: tenantA.owner.token,
      body: { name: "owner automation, not an operator", role: "owner" },
    });
    expect(ownerKey.status).toBe(201);
    // The provisioner made the development secret file, the tests' SECRETS_DIR being shared.
    const operatorToken = readFileSync(join(run.secretsDir, "operator_token"), "utf8").trim();
    for (const endpoint of operatorOnly) {
      const path = pathWithIds(endpoint.path, tenantA.ids);
      const body = sampleBody(endpoint.document, endpoint.operation);
      const what = `${endpoint.method} ${endpoint.path}`;
      for (const [who, token] of [
        ["tenant owner", tenantA.owner.token],
        ["tenant admin", tenantA.admin.token],
        ["tenant owner's API key", ownerKey.json.key],
      ] as const) {
        await expectStatus(call(endpoint.method, path, { body, token }), 403, `${what} as ${who}`);
        casesRun.operatorOnly++;
      }
      await expectStatus(
        call(endpoint.method, path, { body, token: `${operatorToken}x` }),
        401,
        `${what} with a wrong operator secret`,
      );
      const answer = await call(endpoint.method, path, { body, token: operatorToken });
      expect(
        ["unauthorized", "forbidden"],
        `${what} as the operator: ${JSON.stringify(answer.json)}`,
      ).not.toContain(answer.json?.code);
      expect(answer.status, what).toBeLessThan(500);
      casesRun.operatorOnly += 2;
    }
  });

  it("lets an API key act on workspace routes through the gateway, as itself, never forwarding the key", async () => {
    const created = await call("POST", "/v1/api-keys", {
      token: tenantA.owner.token,
      body: { name: "automation", role: "member" },
    });
    const project = await call("POST", "/v1/projects", {
      token: created.json.key,
      body: { name: "Made by a key" },
    });
    expect(project.status).toBe(201);
    const listed = await call("GET", `/v1/projects/${project.json.id}`, {
      token: created.json.key,
    });
    expect(listed.json.name).toBe("Made by a key");
    // The workspace never saw the key: it only accepts JWTs.
    const direct = await fetch(`${oryn.services.workspace.url}/v1/projects`, {
      headers: { authorization: `Bearer ${created.json.key}` },
    });
    expect(direct.status).toBe(401);
  });

  // Last, as it changes A: it shows the refusals above were about the credential, since the
  // right one gets past authentication and authorization on every endpoint.
  it("lets tenant A's owner through every endpoint", async () => {
    for (const endpoint of endpoints) {
      const role = endpoint.operation["x-oryn-min-role"];
      if (role === "anyone" || role === "stripe" || role === "operator") continue;
      const answer = await call(endpoint.method, pathWithIds(endpoint.path, tenantA.ids), {
        body: sampleBody(endpoint.document, endpoint.operation),
        token: tenantA.owner.token,
      });
      // By code, not status: a wrong password in the body (DELETE /v1/me/mfa/totp) is a 401
      // too, but about the body, not the credential.
      expect(
        ["unauthorized", "forbidden", "mfa_required"],
        `${endpoint.method} ${endpoint.path}: ${JSON.stringify(answer.json)}`,
      ).not.toContain(answer.json?.code);
      expect(answer.status, `${endpoint.method} ${endpoint.path}`).toBeLessThan(500);
    }
  }, 60_000);
});
