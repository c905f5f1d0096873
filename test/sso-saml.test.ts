/**
 * SAML sign-in through the gateway as a real process, against SAML IdPs built with samlify
 * (another author's library) on local ports, each signing with a key pair made at start.
 * A full sign-in (authorize → IdP → ACS → code → tokens, the member made just in time), then
 * each way an answer must be refused, each in its own test, and two tenants with two IdPs.
 */
import { randomUUID } from "node:crypto";
import { serviceEnv, testRun } from "@oryn/testing/context";
import { startDnsServer } from "@oryn/testing/dns-server";
import { type Answer, jsonCaller } from "@oryn/testing/http";
import { type Oryn, startOryn } from "@oryn/testing/processes";
import {
  type AnswerOptions,
  idpMetadata,
  type SamlIdp,
  startSamlIdp,
} from "@oryn/testing/saml-idp";
import { eventually, signUpAndWait } from "@oryn/testing/wait";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const run = testRun();
const appOrigin = "http://app.example.test";
const back = `${appOrigin}/sso/done`;
let oryn: Oryn;
let dns: Awaited<ReturnType<typeof startDnsServer>>;
let idpA: SamlIdp;
let idpB: SamlIdp;
let sql: postgres.Sql;
let call: ReturnType<typeof jsonCaller>;

type Tenant = { tenantId: string; token: string; domain: string; connection: Record<string, any> };
let tenantA: Tenant;
let tenantB: Tenant;

/** A tenant with a verified domain and a SAML connection to `idp`. */
async function samlTenant(idp: SamlIdp): Promise<Tenant> {
  const owner = await signUpAndWait(call);
  const domain = `saml-${randomUUID().slice(0, 8)}.example`;
  const claimed = await call("POST", "/v1/domains", { token: owner.token, body: { domain } });
  expect(claimed.status).toBe(201);
  dns.records.set(claimed.json.txtName, [claimed.json.txtValue]);
  const verified = await call("POST", `/v1/domains/${claimed.json.id}/verify`, {
    token: owner.token,
  });
  expect(verified.status).toBe(200);
  const created = await call("POST", "/v1/sso/connections", {
    token: owner.token,
    body: { type: "saml", metadataXml: idp.metadataXml },
  });
  expect(created.status, JSON.stringify(created.json)).toBe(201);
  return { tenantId: owner.tenantId, token: owner.token, domain, connection: created.json };
}

/** The flow cookie `authorize` set in the browser, by flow (RelayState). */
const browserCookies = new Map<string, string>();

/** GET /v1/sso/authorize as a browser: the 302's Location, not followed; the cookie kept. */
async function authorize(email: string): Promise<string> {
  const query = new URLSearchParams({ email, redirect_uri: back });
  const answer = await fetch(`${oryn.gatewayUrl}/v1/sso/authorize?${query}`, {
    redirect: "manual",
  });
  expect(answer.status).toBe(302);
  const location = answer.headers.get("location") ?? "";
  const cookie = answer.headers.get("set-cookie") ?? "";
  // The IdP posts cross-site: only a SameSite=None (hence Secure) cookie comes along.
  expect(cookie).toMatch(/; HttpOnly/i);
  expect(cookie).toMatch(/; SameSite=None/i);
  expect(cookie).toMatch(/; Secure/i);
  const relayState = new URL(location).searchParams.get("RelayState") ?? "";
  expect(cookie.startsWith(`oryn_sso_flow=${relayState};`)).toBe(true);
  browserCookies.set(relayState, cookie.split(";")[0] ?? "");
  return location;
}

/**
 * What the browser posts to the ACS (form-encoded), with the cookie it holds for that flow
 * (or `cookie`: another browser's), and where the 302 sends it.
 */
async function postToAcs(
  form: { samlResponse: string; relayState: string },
  cookie = browserCookies.get(form.relayState),
) {
  const body = new URLSearchParams({
    SAMLResponse: form.samlResponse,
    RelayState: form.relayState,
  });
  const answer = await fetch(`${oryn.gatewayUrl}/v1/sso/saml/acs`, {
    method: "POST",
    headers: {
      "content-type": "application/x-www-form-urlencoded",
      ...(cookie ? { cookie } : {}),
    },
    body,
    redirect: "manual",
  });
  const location = answer.headers.get("location");
  const text = await answer.text();
  return {
    status: answer.status,
    location: location ? new URL(location) : undefined,
    json: text.startsWith("{") ? JSON.parse(text) : undefined,
  };
}

/** The whole browser trip through the IdP, with what the IdP gets wrong on purpose. */
async function signIn(tenant: Tenant, idp: SamlIdp, options: AnswerOptions = {}) {
  const email = options.email ?? `person-${randomUUID().slice(0, 8)}@${tenant.domain}`;
  const location = await authorize(email);
  const form = await idp.signIn(location, { ...options, email });
  return { email, form, ...(await postToAcs(form)) };
}

let refusalsChecked = 0;

/**
 * A refusal: back to the app with `error=` and nothing more; the reason (`logged`) only in the
 * gateway's log, which shows the refusal was for that reason and not another.
 */
async function expectRefused(
  answer: { status: number; location?: URL | undefined },
  error: string,
  logged?: RegExp,
) {
  expect(answer.status).toBe(302);
  expect(answer.location?.origin + (answer.location?.pathname ?? "")).toBe(back);
  expect(answer.location?.searchParams.get("error")).toBe(error);
  expect(answer.location?.searchParams.has("code")).toBe(false);
  expect([...(answer.location?.searchParams.keys() ?? [])]).toEqual(["error"]);
  if (logged) {
    // The gateway logs a refusal as it answers it; its pipe may lag a moment behind. A line
    // newer than the last one checked must carry this refusal's reason.
    const refusals = () =>
      oryn.services.gateway
        .output()
        .split("\n")
        .filter((line) => line.includes("SSO sign-in refused"));
    for (let tries = 0; tries < 80 && refusals().length <= refusalsChecked; tries++)
      await new Promise((resolve) => setTimeout(resolve, 25));
    const lines = refusals();
    expect(lines.length).toBeGreaterThan(refusalsChecked);
    expect(lines.at(-1)).toMatch(logged);
    refusalsChecked = lines.length;
  }
}

async function exchange(code: string): Promise<Answer> {
  return call("POST", "/v1/sso/token", { body: { code } });
}

const claimsOf = (token: string) =>
  JSON.parse(Buffer.from(token.split(".")[1] ?? "", "base64url").toString());

beforeAll(async () => {
  dns = await startDnsServer();
  [idpA, idpB] = await Promise.all([startSamlIdp("idp-a"), startSamlIdp("idp-b")]);
  oryn = await startOryn(serviceEnv(run), {
    gateway: {
      DNS_SERVERS: dns.address,
      SSO_REDIRECT_ORIGINS: appOrigin,
      // The test IdPs listen on loopback over http.
      SSO_ALLOW_PRIVATE_ISSUERS: "true",
      RATE_LIMIT_IP_PER_MINUTE: "100000",
    },
  });
  call = jsonCaller((path, init) => fetch(`${oryn.gatewayUrl}${path}`, init));
  sql = postgres(run.controlPlaneUrl, { max: 2, transform: postgres.camel });
  [tenantA, tenantB] = await Promise.all([samlTenant(idpA), samlTenant(idpB)]);
  // Many people sign in below: room for them (the free plan's cap of 3 members is tested elsewhere).
  await sql`update tenants set plan = 'business' where id in ${sql([tenantA.tenantId, tenantB.tenantId])}`;
}, 120_000);

afterAll(async () => {
  await oryn?.stop();
  await sql?.end();
  await Promise.all([idpA?.close(), idpB?.close(), dns?.close()]);
});

describe("SAML sign-in", { timeout: 60_000 }, () => {
  it("a connection answers our ACS URL and entity id, and our SP metadata is served there", async () => {
    const { connection } = tenantA;
    expect(connection).toMatchObject({
      type: "saml",
      idpEntityId: idpA.entityId,
      acsUrl: expect.stringMatching(/\/v1\/sso\/saml\/acs$/),
      entityId: expect.stringMatching(
        new RegExp(`/v1/sso/saml/metadata/${connection.id as string}$`),
      ),
    });
    const path = new URL(connection.entityId).pathname;
    const metadata = await fetch(`${oryn.gatewayUrl}${path}`);
    expect(metadata.status).toBe(200);
    expect(metadata.headers.get("content-type")).toMatch(/^application\/samlmetadata\+xml/);
    const xml = await metadata.text();
    expect(xml).toContain(`entityID="${connection.entityId}"`);
    expect(xml).toContain(`Location="${connection.acsUrl}"`);
    expect(xml).toContain('WantAssertionsSigned="true"');
    const unknown = await call("GET", `/v1/sso/saml/metadata/${randomUUID()}`);
    expect(unknown.status).toBe(404);
    expect(unknown.json.code).toBe("not_found");
  });

  it("signs a person in: authorize → IdP → ACS → code → tokens of the right tenant, member made just in time", async () => {
    const email = `Newcomer-${randomUUID().slice(0, 8)}@${tenantA.domain}`;
    const location = await authorize(email.toLowerCase());
    const target = new URL(location);
    expect(`${target.origin}${target.pathname}`).toBe(idpA.ssoUrl);
    // The browser at the IdP, which signs `email` in (with groups): its auto-posting form
    // carries the SAMLResponse and the RelayState to our ACS.
    idpA.next = {
      email,
      attributes: { groups: ["Engineering", "Everyone"], displayName: ["New Comer"] },
    };
    const page = await (await fetch(location)).text();
    idpA.next = {};
    const field = (name: string) =>
      new RegExp(`name="${name}" value="([^"]*)"`).exec(page)?.[1] ?? "";
    expect(/<form method="post" action="([^"]*)"/.exec(page)?.[1]).toBe(tenantA.connection.acsUrl);
    expect(idpA.lastRequest?.issuer).toBe(tenantA.connection.entityId);
    expect(idpA.lastRequest?.acsUrl).toBe(tenantA.connection.acsUrl);
    const [flow] = await sql<{ samlRequestId: string; tenantId: string }[]>`
      select saml_request_id, tenant_id from sso_flows where id = ${field("RelayState")}`;
    expect(flow?.samlRequestId).toBe(idpA.lastRequest?.id);
    expect(flow?.tenantId).toBe(tenantA.tenantId);

    const form = { samlResponse: field("SAMLResponse"), relayState: field("RelayState") };
    const answer = await postToAcs(form);
    expect(answer.status).toBe(302);
    expect(`${answer.location?.origin}${answer.location?.pathname}`).toBe(back);
    const code = answer.location?.searchParams.get("code") ?? "";
    expect(code).toMatch(/^[\w-]{43}$/);

    const tokens = await exchange(code);
    expect(tokens.status).toBe(200);
    const claims = claimsOf(tokens.json.accessToken);
    expect(claims.tid).toBe(tenantA.tenantId);
    expect(claims.role).toBe("member");
    const me = await call("GET", "/v1/me", { token: tokens.json.accessToken });
    expect(me.status).toBe(200);
    expect(me.json.email).toBe(email.toLowerCase());
    expect(me.json.name).toBe("New Comer");
    // A code works once.
    expect((await exchange(code)).status).toBe(401);

    const [added] = await sql<{ data: { groups: string[]; role: string } }[]>`
      select data from audit_events
      where tenant_id = ${tenantA.tenantId} and action = 'sso_member_added'
        and entity_id = ${claims.sub}`;
    expect(added?.data).toMatchObject({ role: "member", groups: ["Engineering", "Everyone"] });
    const [signedIn] = await sql<{ data: { type: string } }[]>`
      select data from audit_events
      where tenant_id = ${tenantA.tenantId} and action = 'sso_signed_in' and entity_id = ${claims.sub}`;
    expect(signedIn?.data.type).toBe("saml");
  });

  it("maps the assertion's groups to a role through the tenant's group roles", async () => {
    const idpD = await startSamlIdp("idp-d");
    try {
      const tenantD = await samlTenant(idpD);
      const mapped = await call("PUT", "/v1/sso/group-roles", {
        token: tenantD.token,
        body: { items: [{ group: "Oryn Admins", role: "admin" }] },
      });
      expect(mapped.status, JSON.stringify(mapped.json)).toBe(200);
      const admin = await signIn(tenantD, idpD, {
        attributes: { groups: ["Everyone", "Oryn Admins"] },
      });
      const tokens = await exchange(admin.location?.searchParams.get("code") ?? "");
      expect(claimsOf(tokens.json.accessToken).role).toBe("admin");
      const plain = await signIn(tenantD, idpD, { attributes: { groups: ["Everyone"] } });
      const member = await exchange(plain.location?.searchParams.get("code") ?? "");
      expect(claimsOf(member.json.accessToken).role).toBe("member");
    } finally {
      await idpD.close();
    }
  });

  it("takes the address from a mail attribute when the NameID is not an email", async () => {
    const email = `attr-${randomUUID().slice(0, 8)}@${tenantA.domain}`;
    const location = await authorize(email);
    const form = await idpA.signIn(location, {
      email: "00u1abcd2345",
      nameIdFormat: "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent",
      attributes: { "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress": [email] },
    });
    const answer = await postToAcs(form);
    const tokens = await exchange(answer.location?.searchParams.get("code") ?? "");
    expect(tokens.status).toBe(200);
    const me = await call("GET", "/v1/me", { token: tokens.json.accessToken });
    expect(me.json.email).toBe(email);
  });

  it("refuses an unsigned assertion", async () => {
    await expectRefused(
      await signIn(tenantA, idpA, { signature: "none" }),
      "invalid_response",
      /Invalid signature/,
    );
  });

  it("refuses a response carrying a DOCTYPE (entity expansion) before parsing it", async () => {
    const email = `d-${randomUUID().slice(0, 8)}@${tenantA.domain}`;
    const form = await idpA.signIn(await authorize(email), { email });
    const xml = Buffer.from(form.samlResponse, "base64").toString("utf8");
    const bomb = `<!DOCTYPE r [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>${xml}`;
    await expectRefused(
      await postToAcs({ ...form, samlResponse: Buffer.from(bomb).toString("base64") }),
      "invalid_response",
      /DOCTYPE/,
    );
  });

  it("refuses an assertion signed by another key than the metadata's", async () => {
    await expectRefused(
      await signIn(tenantA, idpA, { signature: "foreign" }),
      "invalid_response",
      /Invalid signature/,
    );
  });

  it("refuses an expired assertion (NotOnOrAfter in the past, beyond the clock skew)", async () => {
    await expectRefused(
      await signIn(tenantA, idpA, { notOnOrAfterMinutes: -3, issuedMinutesAgo: 4 }),
      "invalid_response",
      /No valid subject confirmation|expired/,
    );
  });

  it("refuses an assertion not yet valid (NotBefore ahead, beyond the clock skew)", async () => {
    await expectRefused(
      await signIn(tenantA, idpA, { issuedMinutesAgo: -5, notOnOrAfterMinutes: 10 }),
      "invalid_response",
      /not yet valid/,
    );
  });

  it("accepts an assertion that expired within the clock skew (60 s)", async () => {
    const answer = await signIn(tenantA, idpA, { notOnOrAfterMinutes: -0.5, issuedMinutesAgo: 2 });
    expect(answer.location?.searchParams.has("code")).toBe(true);
  });

  it("refuses an assertion for another audience", async () => {
    await expectRefused(
      await signIn(tenantA, idpA, { audience: "https://another-sp.example/saml" }),
      "invalid_response",
      /audience mismatch/,
    );
  });

  it("refuses an assertion whose issuer is not the connection's IdP, even signed by its key", async () => {
    await expectRefused(
      await signIn(tenantA, idpA, { issuer: "https://impostor.example/idp" }),
      "invalid_response",
      /issuer .*is not the connection's IdP/,
    );
  });

  it("refuses an assertion for another recipient than our ACS", async () => {
    await expectRefused(
      await signIn(tenantA, idpA, { recipient: "https://another-sp.example/acs" }),
      "invalid_response",
      /Recipient .* is not our ACS/,
    );
  });

  it("refuses a response to another request (InResponseTo)", async () => {
    await expectRefused(
      await signIn(tenantA, idpA, { inResponseTo: `_${randomUUID()}` }),
      "invalid_response",
      /InResponseTo is not valid/,
    );
  });

  it("refuses an assertion whose subject confirmation answers no request, in a response that claims ours", async () => {
    // An IdP-initiated assertion (no InResponseTo in it) wrapped in an unsigned Response that
    // carries our request id: node-saml alone would take the Response's word for it.
    await expectRefused(
      await signIn(tenantA, idpA, { confirmationInResponseTo: null }),
      "invalid_response",
      /subject confirmation's InResponseTo is not our request/,
    );
    await expectRefused(
      await signIn(tenantA, idpA, { confirmationInResponseTo: `_${randomUUID()}` }),
      "invalid_response",
      // Another request's id node-saml refuses itself; a missing one only we do (above).
      /InResponseTo does not match subjectInResponseTo/,
    );
  });

  it("refuses a response whose Destination is not our ACS", async () => {
    await expectRefused(
      await signIn(tenantA, idpA, { destination: "https://another-sp.example/acs" }),
      "invalid_response",
      /Destination .* is not our ACS/,
    );
  });

  it("refuses a signed Response whose assertion is unsigned: our metadata asks for signed assertions", async () => {
    // The Response's signature covers the assertion, but the SP metadata says
    // WantAssertionsSigned and node-saml is held to it (wantAssertionsSigned): the assertion is
    // what is kept and judged, so it must carry its own signature.
    await expectRefused(
      await signIn(tenantA, idpA, { signature: "response" }),
      "invalid_response",
      /Invalid signature/,
    );
  });

  it("refuses another flow's response: answered to flow 1, posted with flow 2's RelayState", async () => {
    const email = `x-${randomUUID().slice(0, 8)}@${tenantA.domain}`;
    const first = await idpA.signIn(await authorize(email), { email });
    const second = await idpA.signIn(await authorize(email), { email });
    await expectRefused(
      await postToAcs({ samlResponse: first.samlResponse, relayState: second.relayState }),
      "invalid_response",
      /InResponseTo is not valid/,
    );
  });

  it("answers an unknown RelayState 400 problem+json, without a redirect", async () => {
    const email = `u-${randomUUID().slice(0, 8)}@${tenantA.domain}`;
    const form = await idpA.signIn(await authorize(email), { email });
    for (const relayState of ["not-a-flow-we-know-of-at-all-0123456789", ""]) {
      const answer = await postToAcs({ samlResponse: form.samlResponse, relayState });
      expect(answer.status).toBe(400);
      expect(answer.location).toBeUndefined();
      expect(answer.json.code).toBe("bad_request");
    }
  });

  it("refuses a response posted by another browser than the one that started the sign-in", async () => {
    const email = `b-${randomUUID().slice(0, 8)}@${tenantA.domain}`;
    const form = await idpA.signIn(await authorize(email), { email });
    const other = await idpA.signIn(await authorize(email), { email });
    // No cookie at all (a victim's browser lured to post it), then another flow's cookie.
    for (const cookie of ["", browserCookies.get(other.relayState)]) {
      const answer = await postToAcs(form, cookie);
      expect(answer.status).toBe(400);
      expect(answer.json.detail).toMatch(/another browser/);
    }
    // The flow was not spent by those: its own browser still finishes it.
    const mine = await postToAcs(form);
    expect(mine.location?.searchParams.has("code")).toBe(true);
  });

  it("refuses a replayed response: the flow is spent, and the assertion id is remembered", async () => {
    const first = await signIn(tenantA, idpA);
    expect(first.location?.searchParams.has("code")).toBe(true);
    // The same post again: its flow is spent.
    const again = await postToAcs(first.form);
    expect(again.status).toBe(400);
    expect(again.json.code).toBe("bad_request");
    // Were the flow to be live again (the first wall broken), the assertion id is the second.
    await sql`update sso_flows set used_at = null where id = ${first.form.relayState}`;
    await expectRefused(await postToAcs(first.form), "replayed_response", /accepted before/);
    const [seen] = await sql<{ expiresAt: Date }[]>`
      select expires_at from sso_seen_assertions where connection_id = ${tenantA.connection.id}`;
    expect(seen?.expiresAt.getTime()).toBeGreaterThan(Date.now());
  });

  it("refuses an address outside the tenant's verified domains", async () => {
    const location = await authorize(`someone@${tenantA.domain}`);
    const form = await idpA.signIn(location, {
      email: `someone@elsewhere-${randomUUID().slice(0, 6)}.example`,
    });
    await expectRefused(
      await postToAcs(form),
      "email_domain_not_verified",
      /is not a verified domain/,
    );
    const form2 = await idpA.signIn(await authorize(`someone@${tenantA.domain}`), {
      email: `someone@${tenantB.domain}`,
    });
    await expectRefused(
      await postToAcs(form2),
      "email_domain_not_verified",
      new RegExp(`${tenantB.domain} is not a verified domain`),
    );
  });

  it("never yields tenant B's tokens through tenant A's flow: B's IdP's valid answer is refused", async () => {
    // A's flow; B's IdP answers it, correctly signed by B's key, for a person of B's domain.
    const location = await authorize(`someone@${tenantA.domain}`);
    const request = new URL(location);
    expect(`${request.origin}${request.pathname}`).toBe(idpA.ssoUrl);
    const viaA = await idpA.signIn(location, { email: `someone@${tenantA.domain}` });
    const request2 = idpA.lastRequest;
    if (!request2) throw new Error("no request");
    const fromB = await idpB.respond(
      { id: request2.id, acsUrl: request2.acsUrl, spEntityId: tenantA.connection.entityId },
      { email: `someone@${tenantB.domain}` },
    );
    await expectRefused(
      await postToAcs({ samlResponse: fromB, relayState: viaA.relayState }),
      "invalid_response",
      /Invalid signature/,
    );
    // And B's flow with A's answer, the other way round.
    const locationB = await authorize(`someone@${tenantB.domain}`);
    const viaB = await idpB.signIn(locationB, { email: `someone@${tenantB.domain}` });
    const requestB = idpB.lastRequest;
    if (!requestB) throw new Error("no request");
    const fromA = await idpA.respond(
      { id: requestB.id, acsUrl: requestB.acsUrl, spEntityId: tenantB.connection.entityId },
      { email: `someone@${tenantA.domain}` },
    );
    await expectRefused(
      await postToAcs({ samlResponse: fromA, relayState: viaB.relayState }),
      "invalid_response",
      /Invalid signature/,
    );
    // B's own sign-in still works, into B.
    const ok = await signIn(tenantB, idpB);
    const tokens = await exchange(ok.location?.searchParams.get("code") ?? "");
    expect(claimsOf(tokens.json.accessToken).tid).toBe(tenantB.tenantId);
  });

  it("an IdP's certificate rollover: refused until the owner PATCHes the new metadata, then only the new key", async () => {
    const idpC = await startSamlIdp("idp-c");
    try {
      const tenantC = await samlTenant(idpC);
      const entityId = tenantC.connection.entityId;
      expect((await signIn(tenantC, idpC)).location?.searchParams.has("code")).toBe(true);
      await idpC.rotate();
      await expectRefused(await signIn(tenantC, idpC), "invalid_response", /Invalid signature/);
      const patched = await call("PATCH", `/v1/sso/connections/${tenantC.connection.id}`, {
        token: tenantC.token,
        body: { metadataUrl: idpC.entityId },
      });
      expect(patched.status, JSON.stringify(patched.json)).toBe(200);
      expect(patched.json).toMatchObject({ entityId, idpEntityId: idpC.entityId, version: 2 });
      expect((await signIn(tenantC, idpC)).location?.searchParams.has("code")).toBe(true);
      await expectRefused(
        await signIn(tenantC, idpC, { signature: "previous" }),
        "invalid_response",
        /Invalid signature/,
      );
      const [audit] = await sql<{ data: { metadataChanged: boolean } }[]>`
        select data from audit_events where tenant_id = ${tenantC.tenantId}
          and entity = 'sso_connection' and action = 'updated'`;
      expect(audit?.data.metadataChanged).toBe(true);
      // Metadata is a SAML connection's only; and no two sources at once.
      const bad = await call("PATCH", `/v1/sso/connections/${tenantC.connection.id}`, {
        token: tenantC.token,
        body: { metadataXml: "<nothing/>" },
      });
      expect(bad.status).toBe(422);
      expect(bad.json.detail).toMatch(/no SAML 2.0 EntityDescriptor/);
    } finally {
      await idpC.close();
    }
  });

  it("logs each refusal's reason and records it in the tenant's security log, never in the redirect", async () => {
    await signIn(tenantA, idpA, { audience: "https://another-sp.example/saml" });
    // The gateway's log is written asynchronously (pino's default stream), and may reach the
    // pipe after the answer: polled for, not given a fixed 200 ms.
    await eventually(
      async () => oryn.services.gateway.output(),
      (output) => /SSO sign-in refused/.test(output),
      { timeoutMs: 10_000 },
    );
    const log = await call("GET", "/v1/security-log?limit=200", { token: tenantA.token });
    const failed = log.json.items.filter(
      (event: { action: string }) => event.action === "sso_sign_in_failed",
    );
    expect(failed.length).toBeGreaterThan(0);
    expect(JSON.stringify(failed)).not.toMatch(/audience mismatch/i);
  });
});

describe("SAML connections: metadata the gateway cannot use is a 422", () => {
  const cases: Array<[string, () => string, RegExp]> = [
    ["not XML", () => "this is not <xml", /not well-formed XML/],
    ["no EntityDescriptor", () => "<root/>", /no SAML 2.0 EntityDescriptor/],
    [
      "a DOCTYPE",
      () =>
        `<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>${idpA.metadataXml.replace(/^<\?xml[^>]*>/, "")}`,
      /DOCTYPE/,
    ],
    [
      "no signing certificate",
      () => idpA.metadataXml.replace(/<md:KeyDescriptor[\s\S]*<\/md:KeyDescriptor>/, ""),
      /no signing certificate/,
    ],
    [
      "a certificate that is not one",
      () =>
        idpA.metadataXml.replace(
          /<ds:X509Certificate>[^<]*/,
          "<ds:X509Certificate>bm90IGEgY2VydA==",
        ),
      /not a certificate/,
    ],
    [
      "no single sign-on service",
      () => idpA.metadataXml.replace(/<md:SingleSignOnService[^>]*\/>/g, ""),
      /no SingleSignOnService/,
    ],
    [
      "only the HTTP-POST binding",
      () =>
        idpA.metadataXml.replace(
          /<md:SingleSignOnService Binding="[^"]*HTTP-Redirect"[^>]*\/>/,
          "",
        ),
      /HTTP-Redirect/,
    ],
    [
      "several EntityDescriptors",
      () =>
        `<md:EntitiesDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata">${[idpA, idpB]
          .map((idp) =>
            idpMetadata(idp.entityId, idp.ssoUrl, idp.pair.certBase64).replace(/^<\?xml[^>]*>/, ""),
          )
          .join("")}</md:EntitiesDescriptor>`,
      /several EntityDescriptors/,
    ],
    ["no entityID", () => idpA.metadataXml.replace(/ entityID="[^"]*"/, ""), /no entityID/],
  ];
  for (const [what, metadataXml, detail] of cases) {
    it(`refuses metadata with ${what}`, async () => {
      const answer = await call("POST", "/v1/sso/connections", {
        token: tenantA.token,
        body: { type: "saml", metadataXml: metadataXml() },
      });
      expect(answer.status).toBe(422);
      expect(answer.json.code).toBe("validation_failed");
      expect(answer.json.detail).toMatch(detail);
      expect(answer.json.errors).toEqual([{ path: "metadataXml", message: expect.any(String) }]);
    });
  }

  it("reads the metadata from the IdP's metadata URL", async () => {
    const owner = await signUpAndWait(call);
    const answer = await call("POST", "/v1/sso/connections", {
      token: owner.token,
      body: { type: "saml", metadataUrl: idpB.entityId },
    });
    expect(answer.status, JSON.stringify(answer.json)).toBe(201);
    expect(answer.json.idpEntityId).toBe(idpB.entityId);
    const [row] = await sql<{ samlMetadataXml: string }[]>`
      select saml_metadata_xml from sso_connections where id = ${answer.json.id}`;
    expect(row?.samlMetadataXml).toBe(idpB.metadataXml);
    const missing = await call("POST", "/v1/sso/connections", {
      token: owner.token,
      body: { type: "saml", metadataUrl: `${idpB.url}/no-such-metadata` },
    });
    expect(missing.status).toBe(422);
    // Not why (HTTP 400): that is logged, as a reason would let an owner probe our network.
    expect(missing.json.errors).toEqual([
      { path: "metadataUrl", message: "the metadata URL could not be fetched or is not allowed" },
    ]);
    expect(JSON.stringify(missing.json)).not.toMatch(/HTTP 400/);
  });

  it("accepts an EntitiesDescriptor holding one IdP", async () => {
    const owner = await signUpAndWait(call);
    const wrapped = `<md:EntitiesDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata">${idpB.metadataXml.replace(/^<\?xml[^>]*>/, "")}</md:EntitiesDescriptor>`;
    const answer = await call("POST", "/v1/sso/connections", {
      token: owner.token,
      body: { type: "saml", metadataXml: wrapped },
    });
    expect(answer.status).toBe(201);
    expect(answer.json.idpEntityId).toBe(idpB.entityId);
  });
});
