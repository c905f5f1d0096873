import { randomBytes } from "node:crypto";
import { idpMetadata, signingPair } from "@oryn/testing/saml-idp";
import { afterAll, describe, expect, it } from "vitest";
import { gatewayInProcess, uniqueSignup } from "./fixtures.ts";

// SSO_ALLOW_PRIVATE_ISSUERS unset, as in production: the IdP's SSO URL must be https.
const gateway = await gatewayInProcess({ TRUST_PROXY: "true" });
afterAll(() => gateway.close());

const headers = () => ({ "x-forwarded-for": `10.${[...randomBytes(3)].join(".")}` });
const call = (method: string, path: string, options: { token?: string; body?: unknown } = {}) =>
  gateway.call(method, path, { ...options, headers: headers() });

describe("SAML connections", () => {
  it("keeps the IdP's entity id, https SSO URL and certificate; refuses an http SSO URL", async () => {
    const signup = await call("POST", "/v1/signup", { body: uniqueSignup() });
    const token = signup.json.tokens.accessToken;
    const pair = await signingPair();
    const entityId = "https://idp.example.test/saml/metadata";
    const plain = await call("POST", "/v1/sso/connections", {
      token,
      body: {
        type: "saml",
        metadataXml: idpMetadata(entityId, "http://idp.example.test/sso", pair.certBase64),
      },
    });
    expect(plain.status).toBe(422);
    expect(plain.json.detail).toMatch(/must be https/);

    const created = await call("POST", "/v1/sso/connections", {
      token,
      body: {
        type: "saml",
        metadataXml: idpMetadata(entityId, "https://idp.example.test/sso", pair.certBase64),
        defaultRole: "admin",
      },
    });
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({
      type: "saml",
      idpEntityId: entityId,
      defaultRole: "admin",
    });
    expect(created.json).not.toHaveProperty("clientId");
    const [row] = await gateway.deps.sql<{ samlSsoUrl: string; samlIdpCerts: string[] }[]>`
      select saml_sso_url, saml_idp_certs from sso_connections where id = ${created.json.id}`;
    expect(row).toEqual({
      samlSsoUrl: "https://idp.example.test/sso",
      samlIdpCerts: [pair.certBase64],
    });
  });

  it("fetches a metadata URL only over https and never from a loopback or private address", async () => {
    const signup = await call("POST", "/v1/signup", { body: uniqueSignup() });
    const token = signup.json.tokens.accessToken;
    const refusals: Array<[Record<string, unknown>, RegExp]> = [
      [{ metadataUrl: "http://idp.example.test/metadata" }, /must be https/],
      // Why a URL was refused stays in the log: the owner could otherwise probe our network.
      [{ metadataUrl: "https://127.0.0.1:9/metadata" }, /could not be fetched or is not allowed/],
      [{ metadataUrl: "https://10.1.2.3:9/metadata" }, /could not be fetched or is not allowed/],
      [
        { metadataUrl: "https://169.254.169.254/latest/meta-data" },
        /could not be fetched or is not allowed/,
      ],
      [{}, /either metadataXml or metadataUrl/],
      [
        { metadataUrl: "https://idp.example.test/metadata", metadataXml: "<x/>" },
        /either metadataXml or metadataUrl/,
      ],
    ];
    for (const [body, reason] of refusals) {
      const answer = await call("POST", "/v1/sso/connections", {
        token,
        body: { type: "saml", ...body },
      });
      expect(answer.status, JSON.stringify(body)).toBe(422);
      expect(JSON.stringify(answer.json), JSON.stringify(body)).toMatch(reason);
      expect(JSON.stringify(answer.json)).not.toMatch(/loopback|private|link-local|127\.0|10\.1/);
    }
  });

  it("takes new metadata on a SAML connection only, from one source", async () => {
    const signup = await call("POST", "/v1/signup", { body: uniqueSignup() });
    const token = signup.json.tokens.accessToken;
    const oidc = await call("POST", "/v1/sso/connections", {
      token,
      body: {
        type: "oidc",
        issuer: "https://idp.example.test",
        clientId: "c",
        clientSecret: "s",
      },
    });
    expect(oidc.status).toBe(201);
    const pair = await signingPair();
    const metadataXml = idpMetadata(
      "https://idp.example.test/x",
      "https://idp.example.test/sso",
      pair.certBase64,
    );
    const onOidc = await call("PATCH", `/v1/sso/connections/${oidc.json.id}`, {
      token,
      body: { metadataXml },
    });
    expect(onOidc.status).toBe(422);
    expect(onOidc.json.errors).toEqual([
      { path: "metadataXml", message: "only a SAML connection has IdP metadata" },
    ]);
    const both = await call("PATCH", `/v1/sso/connections/${oidc.json.id}`, {
      token,
      body: { metadataXml, metadataUrl: "https://idp.example.test/metadata" },
    });
    expect(both.status).toBe(422);
    expect(JSON.stringify(both.json)).toMatch(/not both/);
  });

  it("the ACS answers hostile posts with a problem, never a 5xx", async () => {
    const acs = (body: string | undefined, type: string) =>
      gateway.app.request(
        "/v1/sso/saml/acs",
        {
          method: "POST",
          headers: {
            "content-type": type,
            ...(body === undefined ? {} : { "content-length": String(Buffer.byteLength(body)) }),
          },
          ...(body === undefined ? {} : { body }),
        },
        { incoming: { socket: { remoteAddress: "127.0.0.1" } } },
      );
    const cases: Array<[string | undefined, string, number]> = [
      ['{"SAMLResponse":"x","RelayState":"y"}', "application/json", 400],
      ["SAMLResponse=%%%&RelayState=%zz", "application/x-www-form-urlencoded", 400],
      [
        `SAMLResponse=${"A".repeat(500_000)}&RelayState=x`,
        "application/x-www-form-urlencoded",
        422,
      ],
      [`RelayState=${"r".repeat(300)}`, "application/x-www-form-urlencoded", 422],
      ["SAMLResponse=PHg%2B&RelayState=", "application/x-www-form-urlencoded", 400],
      ["a=b", "text/plain", 415],
    ];
    for (const [body, type, status] of cases) {
      const answer = await acs(body, type);
      const text = await answer.text();
      expect(answer.status, `${type} ${body?.slice(0, 60)}: ${text}`).toBe(status);
      expect(answer.headers.get("content-type")).toMatch(/problem\+json/);
    }
  });
});
