import { randomBytes } from "node:crypto";
import { ConfigError, parseConfig } from "@oryn/shared";
import { serviceEnv } from "@oryn/testing/context";
import { startTestIdp } from "@oryn/testing/oidc-provider";
import { afterAll, describe, expect, it } from "vitest";
import { gatewayEnv } from "../src/env.ts";
import { issuerFetch } from "../src/sso/oidc-client.ts";
import { gatewayInProcess, uniqueSignup } from "./fixtures.ts";

const gateway = await gatewayInProcess({
  TRUST_PROXY: "true",
  SSO_MAX_CONNECTIONS_PER_TENANT: "2",
});
afterAll(() => gateway.close());
const sql = gateway.deps.sql;

const headers = () => ({ "x-forwarded-for": `10.${[...randomBytes(3)].join(".")}` });
const call = (method: string, path: string, options: { token?: string; body?: unknown } = {}) =>
  gateway.call(method, path, { ...options, headers: headers() });

async function owner(): Promise<{ token: string; tenantId: string; slug: string }> {
  const answer = await call("POST", "/v1/signup", { body: uniqueSignup() });
  expect(answer.status).toBe(202);
  return {
    token: answer.json.tokens.accessToken,
    tenantId: answer.json.tenant.id,
    slug: answer.json.tenant.slug,
  };
}

const oidc = {
  type: "oidc",
  issuer: "https://idp.example.test/",
  clientId: "oryn-client",
  clientSecret: "a client secret nobody reads back",
};

describe("SSO connections", () => {
  it("an owner connects an OIDC IdP: the secret is sealed, never shown; read, change, delete", async () => {
    const { token, tenantId } = await owner();
    const created = await call("POST", "/v1/sso/connections", { token, body: oidc });
    expect(created.status).toBe(201);
    expect(created.headers.get("location")).toBe(`/v1/sso/connections/${created.json.id}`);
    expect(created.json).toMatchObject({
      type: "oidc",
      status: "enabled",
      defaultRole: "member",
      enforce: false,
      issuer: "https://idp.example.test/",
      clientId: "oryn-client",
      version: 1,
    });
    expect(created.json.redirectUri).toMatch(/\/v1\/sso\/oidc\/callback$/);
    expect(JSON.stringify(created.json)).not.toContain(oidc.clientSecret);
    const id = created.json.id;

    const [row] = await sql<{ sealed: Buffer }[]>`
      select oidc_client_secret_ciphertext as sealed from sso_connections where id = ${id}`;
    if (!row) throw new Error("stored");
    expect(row.sealed.includes(Buffer.from(oidc.clientSecret))).toBe(false);
    expect(gateway.deps.sso.secrets.open(id, row.sealed)).toBe(oidc.clientSecret);
    // Bound to its row: on another connection's row the ciphertext does not open.
    expect(() => gateway.deps.sso.secrets.open(crypto.randomUUID(), row.sealed)).toThrow();

    const listed = await call("GET", "/v1/sso/connections", { token });
    expect(listed.status).toBe(200);
    expect(listed.json.items.map((item: { id: string }) => item.id)).toEqual([id]);
    expect(listed.json.nextCursor).toBeNull();

    const changed = await call("PATCH", `/v1/sso/connections/${id}`, {
      token,
      body: { enforce: true, defaultRole: "admin", clientSecret: "rotated secret" },
    });
    expect(changed.status).toBe(200);
    expect(changed.json).toMatchObject({ enforce: true, defaultRole: "admin", version: 2 });
    const [rotated] = await sql<{ sealed: Buffer }[]>`
      select oidc_client_secret_ciphertext as sealed from sso_connections where id = ${id}`;
    expect(gateway.deps.sso.secrets.open(id, rotated?.sealed ?? Buffer.alloc(0))).toBe(
      "rotated secret",
    );

    const got = await call("GET", `/v1/sso/connections/${id}`, { token });
    expect(got.json).toEqual(changed.json);

    const audit = await sql<{ action: string; data: Record<string, unknown> }[]>`
      select action, data from audit_events
      where tenant_id = ${tenantId} and entity = 'sso_connection' order by id`;
    expect(audit.map((event) => event.action)).toEqual(["created", "updated"]);
    expect(JSON.stringify(audit)).not.toContain("rotated secret");

    expect((await call("DELETE", `/v1/sso/connections/${id}`, { token })).status).toBe(204);
    expect((await call("GET", `/v1/sso/connections/${id}`, { token })).status).toBe(404);
  });

  it("another tenant's connection is not found, to read, change or delete", async () => {
    const a = await owner();
    const b = await owner();
    const created = await call("POST", "/v1/sso/connections", { token: a.token, body: oidc });
    const path = `/v1/sso/connections/${created.json.id}`;
    expect((await call("GET", path, { token: b.token })).status).toBe(404);
    expect((await call("PATCH", path, { token: b.token, body: { enforce: true } })).status).toBe(
      404,
    );
    expect((await call("DELETE", path, { token: b.token })).status).toBe(404);
    expect((await call("GET", "/v1/sso/connections", { token: b.token })).json.items).toEqual([]);
    expect((await call("GET", path, { token: a.token })).json.enforce).toBe(false);
  });

  it("a tenant has at most SSO_MAX_CONNECTIONS_PER_TENANT connections", async () => {
    const { token } = await owner();
    for (const n of [1, 2]) {
      const created = await call("POST", "/v1/sso/connections", {
        token,
        body: { ...oidc, clientId: `client-${n}` },
      });
      expect(created.status).toBe(201);
    }
    const third = await call("POST", "/v1/sso/connections", { token, body: oidc });
    expect(third.status).toBe(409);
    expect(third.json.detail).toContain("at most 2");
  });

  it("refuses bad bodies with 422: a non-URL issuer, an unknown type, owner as default role, SAML metadata that is no EntityDescriptor", async () => {
    const { token } = await owner();
    for (const body of [
      { ...oidc, issuer: "not a url" },
      { ...oidc, issuer: "https://user:pw@idp.example.test" },
      { ...oidc, type: "ldap" },
      { ...oidc, defaultRole: "owner" },
      { ...oidc, clientSecret: "" },
    ]) {
      const answer = await call("POST", "/v1/sso/connections", { token, body });
      expect(answer.status, JSON.stringify(body)).toBe(422);
      expect(answer.json.code).toBe("validation_failed");
    }
    const saml = await call("POST", "/v1/sso/connections", {
      token,
      body: { type: "saml", metadataXml: "<EntityDescriptor/>" },
    });
    expect(saml.status).toBe(422);
    expect(saml.json.detail).toMatch(/no SAML 2.0 EntityDescriptor/);
  });

  it("never calls an issuer on a loopback or private address unless SSO_ALLOW_PRIVATE_ISSUERS", async () => {
    const idp = await startTestIdp({
      clients: [{ clientId: "c", clientSecret: "s", redirectUri: "http://localhost/cb" }],
    });
    try {
      const { token, slug } = await owner();
      const created = await call("POST", "/v1/sso/connections", {
        token,
        body: { type: "oidc", issuer: idp.issuer, clientId: "c", clientSecret: "s" },
      });
      expect(created.status).toBe(201);
      const started = await call(
        "GET",
        `/v1/sso/authorize?tenant=${slug}&redirect_uri=${encodeURIComponent("http://localhost:8080/done")}`,
      );
      expect(started.status).toBe(302);
      const back = new URL(started.headers.get("location") ?? "");
      expect(back.origin).toBe("http://localhost:8080");
      expect(back.searchParams.get("error")).toBe("idp_unavailable");
      expect(idp.requests).toEqual([]);
    } finally {
      await idp.close();
    }
  });

  it("the IdP's fetch refuses loopback targets, by IP literal and by name, unless allowed", async () => {
    const idp = await startTestIdp({
      clients: [{ clientId: "c", clientSecret: "s", redirectUri: "http://localhost/cb" }],
    });
    try {
      const discovery = "/.well-known/openid-configuration";
      const options = { method: "GET", headers: {}, redirect: "manual" as const, body: undefined };
      const strict = issuerFetch({ allowPrivate: false });
      await expect(strict(`${idp.url}${discovery}`, options)).rejects.toThrow(/loopback/);
      const byName = idp.url.replace("127.0.0.1", "localhost");
      await expect(strict(`${byName}${discovery}`, options)).rejects.toThrow(
        /loopback|fetch failed/,
      );
      expect(idp.requests).toEqual([]);
      const allowed = await issuerFetch({ allowPrivate: true })(`${idp.url}${discovery}`, options);
      expect(allowed.status).toBe(200);
      expect(idp.requests).toEqual([discovery]);
    } finally {
      await idp.close();
    }
  });

  it("refuses SSO_ALLOW_PRIVATE_ISSUERS in production, and a redirect_uri outside the app's origin", async () => {
    const production = () =>
      parseConfig(gatewayEnv, {
        ...serviceEnv(),
        NODE_ENV: "production",
        JWT_SIGNING_KEYS: "x",
        MFA_ENCRYPTION_KEY: "x",
        WEBHOOK_SECRETS_KEY: "a".repeat(43),
        SSO_ALLOW_PRIVATE_ISSUERS: "true",
      });
    expect(production).toThrow(ConfigError);
    expect(production).toThrow(/SSO_ALLOW_PRIVATE_ISSUERS/);
    const outside = await call(
      "GET",
      `/v1/sso/authorize?tenant=any&redirect_uri=${encodeURIComponent("https://evil.example/x")}`,
    );
    expect(outside.status).toBe(422);
  });
});
