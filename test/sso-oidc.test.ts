import { randomUUID } from "node:crypto";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { connect } from "@oryn/shared";
import { describe, expect, test } from "@oryn/testing";
import { serviceEnv } from "@oryn/testing/context";
import { startDnsServer } from "@oryn/testing/dns-server";
import type { Answer } from "@oryn/testing/http";
import { cookieBrowser, startTestIdp, type TestIdp } from "@oryn/testing/oidc-provider";
import { invitationToken, queuedMails, verifyQueuedEmail } from "@oryn/testing/queued-mail";
import { eventually } from "@oryn/testing/wait";
import { decodeJwt } from "jose";
import { afterAll } from "vitest";

// Enterprise sign-in end to end: the gateway as a real process, a real OpenID provider
// (oidc-provider) on a local port, a real DNS server for the domain proofs, and a browser that
// keeps cookies and follows the redirects.
const app = "http://app.example.test";
const dns = await startDnsServer();
const it = test.override("stackEnv", { scope: "file" }, ({ run }) => ({
  ...serviceEnv(run),
  DNS_SERVERS: dns.address,
  SSO_ALLOW_PRIVATE_ISSUERS: "true",
  SSO_REDIRECT_ORIGINS: app,
}));

const idps: TestIdp[] = [];
let sqlClient: ReturnType<typeof connect> | undefined;
afterAll(async () => {
  await Promise.all(idps.map((idp) => idp.close()));
  await dns.close();
  await sqlClient?.end();
});

type Call = (
  method: string,
  path: string,
  options?: { token?: string; body?: unknown },
) => Promise<Answer>;

async function idpFor(gatewayUrl: string, clients: string[], issuer?: string): Promise<TestIdp> {
  const idp = await startTestIdp({
    clients: clients.map((clientId) => ({
      clientId,
      clientSecret: `${clientId} secret`,
      redirectUri: `${gatewayUrl}/v1/sso/oidc/callback`,
    })),
    ...(issuer ? { issuer } : {}),
  });
  idps.push(idp);
  return idp;
}

/** A tenant with a verified domain and an OIDC connection to `idp` as `clientId`. */
async function ssoTenant(
  call: Call,
  idp: TestIdp,
  clientId: string,
  options: { enforce?: boolean } = {},
) {
  const id = randomUUID().slice(0, 8);
  const domain = `corp-${id}.example`;
  const signup = await call("POST", "/v1/signup", {
    body: {
      company: { name: `Corp ${id}`, slug: `corp-${id}` },
      owner: { email: `owner@${domain}`, password: "a long enough password", name: "Owner" },
    },
  });
  expect(signup.status).toBe(202);
  const token = signup.json.tokens.accessToken as string;
  const claim = await call("POST", "/v1/domains", { token, body: { domain } });
  dns.records.set(claim.json.txtName, [claim.json.txtValue]);
  expect((await call("POST", `/v1/domains/${claim.json.id}/verify`, { token })).status).toBe(200);
  const connection = await call("POST", "/v1/sso/connections", {
    token,
    body: { type: "oidc", issuer: idp.issuer, clientId, clientSecret: `${clientId} secret` },
  });
  expect(connection.status).toBe(201);
  if (options.enforce) {
    const enforced = await call("PATCH", `/v1/sso/connections/${connection.json.id}`, {
      token,
      body: { enforce: true },
    });
    expect(enforced.status).toBe(200);
  }
  return {
    tenantId: signup.json.tenant.id as string,
    slug: `corp-${id}`,
    domain,
    token,
    connectionId: connection.json.id as string,
  };
}

const atApp = (url: URL) => url.origin === app;
const atCallback = (url: URL) => url.pathname === "/v1/sso/oidc/callback";
const authorizeUrl = (
  gatewayUrl: string,
  who: { email?: string; tenant?: string; state?: string },
) => {
  const url = new URL(`${gatewayUrl}/v1/sso/authorize`);
  if (who.email) url.searchParams.set("email", who.email);
  if (who.tenant) url.searchParams.set("tenant", who.tenant);
  url.searchParams.set("redirect_uri", `${app}/signed-in`);
  if (who.state) url.searchParams.set("state", who.state);
  return url.href;
};

function person(
  idp: TestIdp,
  email: string,
  extra: Partial<{ email_verified: boolean; groups: string[] }> = {},
) {
  const accountId = randomUUID();
  idp.accounts.set(accountId, { email, email_verified: true, name: "Pat Example", ...extra });
  idp.signInAs = accountId;
  return accountId;
}

describe("enterprise sign-in with OIDC", { timeout: 120_000 }, () => {
  it("signs a newcomer in: JIT account (email verified) and membership, one-time code, tokens with a session", async ({
    stack,
    gateway,
    run,
  }) => {
    const idp = await idpFor(stack.gatewayUrl, ["jit"]);
    const tenant = await ssoTenant(gateway, idp, "jit");
    const email = `pat@${tenant.domain}`;
    person(idp, email, { groups: ["engineering"] });

    const back = await cookieBrowser().follow(authorizeUrl(stack.gatewayUrl, { email }), atApp);
    expect(back.pathname).toBe("/signed-in");
    expect(back.searchParams.get("error")).toBeNull();
    const code = back.searchParams.get("code") ?? "";
    expect(code).toMatch(/^[\w-]{43}$/);

    const tokens = await gateway("POST", "/v1/sso/token", { body: { code } });
    expect(tokens.status).toBe(200);
    expect(tokens.json.tokenType).toBe("Bearer");
    const claims = decodeJwt(tokens.json.accessToken);
    expect(claims).toMatchObject({ tid: tenant.tenantId, role: "member" });
    expect(claims.sid).toBeDefined();

    const me = await gateway("GET", "/v1/me", { token: tokens.json.accessToken });
    expect(me.json).toMatchObject({ email, emailVerified: true, name: "Pat Example" });
    expect(me.json.memberships).toEqual([
      { tenant: expect.objectContaining({ id: tenant.tenantId }), role: "member" },
    ]);
    // The session is a real one: the refresh token rotates.
    const refreshed = await gateway("POST", "/v1/auth/refresh", {
      body: { refreshToken: tokens.json.refreshToken },
    });
    expect(refreshed.status).toBe(200);

    // The code works once: a replay is refused.
    const replay = await gateway("POST", "/v1/sso/token", { body: { code } });
    expect(replay.status).toBe(401);
    expect(replay.json.code).toBe("invalid_token");

    // A second sign-in reuses the account and membership.
    const again = await cookieBrowser().follow(
      authorizeUrl(stack.gatewayUrl, { tenant: tenant.slug }),
      atApp,
    );
    const second = await gateway("POST", "/v1/sso/token", {
      body: { code: again.searchParams.get("code") },
    });
    expect(decodeJwt(second.json.accessToken).sub).toBe(claims.sub);

    const log = await gateway("GET", "/v1/security-log?limit=100", { token: tenant.token });
    const actions = log.json.items.map((event: { action: string }) => event.action);
    expect(actions).toEqual(
      expect.arrayContaining(["sso_member_added", "sso_signed_in", "logged_in"]),
    );
    const added = log.json.items.find(
      (event: { action: string }) => event.action === "sso_member_added",
    );
    expect(added.data).toMatchObject({ role: "member", newUser: true, groups: ["engineering"] });
    expect(run).toBeDefined();
  });

  it("gives a newcomer the role the tenant maps one of their IdP groups to", async ({
    stack,
    gateway,
  }) => {
    const idp = await idpFor(stack.gatewayUrl, ["groups"]);
    const tenant = await ssoTenant(gateway, idp, "groups");
    const mapped = await gateway("PUT", "/v1/sso/group-roles", {
      token: tenant.token,
      body: { items: [{ group: "Platform Admins", role: "admin" }] },
    });
    expect(mapped.status).toBe(200);
    person(idp, `lead@${tenant.domain}`, { groups: ["engineering", "platform admins"] });
    const back = await cookieBrowser().follow(
      authorizeUrl(stack.gatewayUrl, { tenant: tenant.slug }),
      atApp,
    );
    const tokens = await gateway("POST", "/v1/sso/token", {
      body: { code: back.searchParams.get("code") },
    });
    expect(tokens.status).toBe(200);
    expect(decodeJwt(tokens.json.accessToken)).toMatchObject({
      tid: tenant.tenantId,
      role: "admin",
    });
  });

  it("an unverified account of that address joins only after losing its password and sessions", async ({
    stack,
    gateway,
  }) => {
    const idp = await idpFor(stack.gatewayUrl, ["existing"]);
    const tenant = await ssoTenant(gateway, idp, "existing");
    const setRole = await gateway("PATCH", `/v1/sso/connections/${tenant.connectionId}`, {
      token: tenant.token,
      body: { defaultRole: "admin" },
    });
    expect(setRole.status).toBe(200);
    // Someone signs up with the address before its owner ever signs in, and never confirms it.
    const email = `sam@${tenant.domain}`;
    const password = "a long enough password";
    const elsewhere = await gateway("POST", "/v1/signup", {
      body: {
        company: { name: "Elsewhere", slug: `else-${randomUUID().slice(0, 8)}` },
        owner: { email, password, name: "Sam" },
      },
    });
    expect(elsewhere.status).toBe(202);
    const signupToken = elsewhere.json.tokens.accessToken as string;
    await eventually(
      () => gateway("GET", "/v1/tenant", { token: signupToken }),
      (answer) => answer.json?.status === "active",
      { timeoutMs: 60_000, intervalMs: 100 },
    );
    const before = await gateway("POST", "/v1/auth/login", { body: { email, password } });
    expect(before.status).toBe(200);
    const session = await gateway("POST", "/v1/auth/refresh", {
      body: { refreshToken: before.json.refreshToken },
    });
    expect(session.status).toBe(200);

    // The real person signs in through the tenant's IdP: the account joins, as the IdP's person.
    person(idp, email);
    const back = await cookieBrowser().follow(authorizeUrl(stack.gatewayUrl, { email }), atApp);
    const tokens = await gateway("POST", "/v1/sso/token", {
      body: { code: back.searchParams.get("code") },
    });
    expect(decodeJwt(tokens.json.accessToken)).toMatchObject({
      sub: elsewhere.json.user.id,
      tid: tenant.tenantId,
      role: "admin",
    });
    // Whoever chose the password and held the sessions before can no longer get in.
    const login = await gateway("POST", "/v1/auth/login", { body: { email, password } });
    expect([login.status, login.json.code]).toEqual([401, "invalid_credentials"]);
    const refresh = await gateway("POST", "/v1/auth/refresh", {
      body: { refreshToken: session.json.refreshToken },
    });
    expect(refresh.status).toBe(401);
    const log = await gateway("GET", "/v1/security-log?limit=200", { token: tenant.token });
    expect(log.json.items.map((event: { action: string }) => event.action)).toContain(
      "unverified_account_reset",
    );
  });

  it("refuses an address outside the tenant's verified domains, and an address the IdP has not verified", async ({
    stack,
    gateway,
  }) => {
    const idp = await idpFor(stack.gatewayUrl, ["domains"]);
    const tenant = await ssoTenant(gateway, idp, "domains");
    person(idp, `someone@not-${tenant.domain}`);
    const outside = await cookieBrowser().follow(
      authorizeUrl(stack.gatewayUrl, { tenant: tenant.slug }),
      atApp,
    );
    expect(outside.searchParams.get("error")).toBe("email_domain_not_verified");
    expect(outside.searchParams.get("code")).toBeNull();

    person(idp, `unverified@${tenant.domain}`, { email_verified: false });
    const unverified = await cookieBrowser().follow(
      authorizeUrl(stack.gatewayUrl, { tenant: tenant.slug }),
      atApp,
    );
    expect(unverified.searchParams.get("error")).toBe("email_unverified");

    const log = await gateway("GET", "/v1/security-log?limit=100", { token: tenant.token });
    const reasons = log.json.items
      .filter((event: { action: string }) => event.action === "sso_sign_in_failed")
      .map((event: { data: { reason: string } }) => event.data.reason);
    expect(reasons).toEqual(["email_unverified", "email_domain_not_verified"]);
  });

  it("tenant A's flow never yields tenant B's tokens, even for B's people or with B's state", async ({
    stack,
    gateway,
  }) => {
    const idp = await idpFor(stack.gatewayUrl, ["tenant-a", "tenant-b"]);
    const a = await ssoTenant(gateway, idp, "tenant-a");
    const b = await ssoTenant(gateway, idp, "tenant-b");

    // B's person through A's flow: A's connection and A's domains judge it.
    person(idp, `bob@${b.domain}`);
    const viaA = await cookieBrowser().follow(
      authorizeUrl(stack.gatewayUrl, { tenant: a.slug }),
      atApp,
    );
    expect(viaA.searchParams.get("error")).toBe("email_domain_not_verified");

    // A's IdP code presented with B's state (in B's browser): B's flow (its PKCE verifier, its
    // client) refuses it.
    person(idp, `alice@${a.domain}`);
    const browserA = cookieBrowser();
    const callbackA = await browserA.follow(
      authorizeUrl(stack.gatewayUrl, { tenant: a.slug }),
      atCallback,
    );
    person(idp, `bob@${b.domain}`);
    const browserB = cookieBrowser();
    const callbackB = await browserB.follow(
      authorizeUrl(stack.gatewayUrl, { tenant: b.slug }),
      atCallback,
    );
    const mixed = new URL(callbackA);
    mixed.searchParams.set("state", callbackB.searchParams.get("state") ?? "");
    const crossed = await browserB.follow(mixed.href, atApp);
    expect(crossed.searchParams.get("error")).toBe("invalid_response");
    expect(crossed.searchParams.get("code")).toBeNull();

    // A's answer opened in another browser (someone lured to it) signs nobody in there.
    const lured = await fetch(callbackA, { redirect: "manual" });
    expect(lured.status).toBe(400);
    expect((await lured.json()).detail).toMatch(/another browser/);

    // In the browser that started it, A's answer signs Alice in to A, and only to A.
    const own = await browserA.follow(callbackA.href, atApp);
    const tokens = await gateway("POST", "/v1/sso/token", {
      body: { code: own.searchParams.get("code") },
    });
    expect(decodeJwt(tokens.json.accessToken).tid).toBe(a.tenantId);
  });

  it("a state works once, in the browser that started it; a missing or unknown one is refused without a redirect", async ({
    stack,
    gateway,
  }) => {
    const idp = await idpFor(stack.gatewayUrl, ["states"]);
    const tenant = await ssoTenant(gateway, idp, "states");
    person(idp, `kim@${tenant.domain}`);
    const browser = cookieBrowser();
    const callback = await browser.follow(
      authorizeUrl(stack.gatewayUrl, { tenant: tenant.slug }),
      atCallback,
    );
    const state = callback.searchParams.get("state") ?? "";
    const first = await browser.follow(callback.href, atApp);
    expect(first.searchParams.get("code")).not.toBeNull();

    // Even with the browser's cookie, a used, unknown or missing state is refused.
    const unknown = "an-unknown-state-of-forty-three-characters-x";
    for (const [tampered, cookie] of [
      [callback.href, state],
      [callback.href.replace(/state=[^&]+/, `state=${unknown}`), unknown],
      [callback.href.replace(/&?state=[^&]+/, ""), state],
    ] as const) {
      const answer = await fetch(tampered, {
        redirect: "manual",
        headers: { cookie: `oryn_sso_flow=${cookie}` },
      });
      expect(answer.status, tampered).toBe(400);
      expect((await answer.json()).code).toBe("bad_request");
    }
  });

  it("refuses an expired flow and a nonce that is not the flow's", async ({
    stack,
    gateway,
    run,
  }) => {
    sqlClient ??= connect(run.controlPlaneUrl, { max: 1 });
    const sql = sqlClient;
    const idp = await idpFor(stack.gatewayUrl, ["checks"]);
    const tenant = await ssoTenant(gateway, idp, "checks");
    person(idp, `lee@${tenant.domain}`);

    const browser = cookieBrowser();
    const late = await browser.follow(
      authorizeUrl(stack.gatewayUrl, { tenant: tenant.slug }),
      atCallback,
    );
    await sql`update sso_flows set expires_at = now() - interval '1 second' where id = ${late.searchParams.get("state") ?? ""}`;
    const expired = await browser.follow(late.href, atApp);
    expect(expired.searchParams.get("error")).toBe("flow_expired");

    // The ID token carries the nonce sent at the start; a flow expecting another refuses it.
    const answer = await browser.follow(
      authorizeUrl(stack.gatewayUrl, { tenant: tenant.slug }),
      atCallback,
    );
    await sql`update sso_flows set nonce = 'another-nonce' where id = ${answer.searchParams.get("state") ?? ""}`;
    const wrongNonce = await browser.follow(answer.href, atApp);
    expect(wrongNonce.searchParams.get("error")).toBe("invalid_response");
  });

  it("the IdP's own error comes back as a short reason, without its details", async ({
    stack,
    gateway,
  }) => {
    const idp = await idpFor(stack.gatewayUrl, ["idp-error"]);
    const tenant = await ssoTenant(gateway, idp, "idp-error");
    person(idp, `ari@${tenant.domain}`);
    const browser = cookieBrowser();
    const callback = await browser.follow(
      authorizeUrl(stack.gatewayUrl, { tenant: tenant.slug }),
      atCallback,
    );
    const denied = new URL(callback);
    denied.searchParams.delete("code");
    denied.searchParams.set("error", "access_denied");
    denied.searchParams.set("error_description", "user ari is blocked by policy 42");
    const back = await browser.follow(denied.href, atApp);
    expect(back.searchParams.get("error")).toBe("access_denied");
    expect(back.href).not.toContain("policy");
  });

  it("a full tenant (its plan's member cap) refuses a newcomer; a disabled connection signs nobody in", async ({
    stack,
    gateway,
  }) => {
    const idp = await idpFor(stack.gatewayUrl, ["capped"]);
    const tenant = await ssoTenant(gateway, idp, "capped");
    // The free plan has 3 members: the owner and two newcomers fit, a third does not.
    for (const name of ["one", "two"]) {
      person(idp, `${name}@${tenant.domain}`);
      const back = await cookieBrowser().follow(
        authorizeUrl(stack.gatewayUrl, { tenant: tenant.slug }),
        atApp,
      );
      expect(back.searchParams.get("code"), name).not.toBeNull();
    }
    person(idp, `three@${tenant.domain}`);
    const full = await cookieBrowser().follow(
      authorizeUrl(stack.gatewayUrl, { tenant: tenant.slug }),
      atApp,
    );
    expect(full.searchParams.get("error")).toBe("plan_limit_reached");

    const disabled = await gateway("PATCH", `/v1/sso/connections/${tenant.connectionId}`, {
      token: tenant.token,
      body: { status: "disabled" },
    });
    expect(disabled.json.status).toBe("disabled");
    const answer = await fetch(authorizeUrl(stack.gatewayUrl, { email: `one@${tenant.domain}` }), {
      redirect: "manual",
    });
    expect(answer.status).toBe(404);
    expect((await answer.json()).code).toBe("sso_not_configured");
  });

  it("refuses a provider that claims another's issuer (a second provider)", async ({
    stack,
    gateway,
  }) => {
    const real = await idpFor(stack.gatewayUrl, ["issuer"]);
    // A second provider whose documents name the first one's issuer.
    const impostor = await idpFor(stack.gatewayUrl, ["issuer"], real.issuer);
    const tenant = await ssoTenant(gateway, { ...impostor, issuer: impostor.url }, "issuer");
    person(impostor, `max@${tenant.domain}`);
    const back = await cookieBrowser().follow(
      authorizeUrl(stack.gatewayUrl, { tenant: tenant.slug }),
      atApp,
    );
    expect(back.searchParams.get("error")).toBe("idp_unavailable");
    // Discovery was read and refused: no authorization request reached the impostor.
    expect(impostor.requests.some((path) => path.startsWith("/auth"))).toBe(false);
  });

  it("an issuer whose discovery document is over 256 kB is refused, once per 30 s, and the gateway stays well", async ({
    stack,
    gateway,
  }) => {
    // A tenant-chosen issuer that answers 2 MB of discovery document.
    const requests: string[] = [];
    const huge = createServer((req, res) => {
      requests.push(req.url ?? "");
      const issuer = `http://127.0.0.1:${(huge.address() as AddressInfo).port}`;
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ issuer, padding: "x".repeat(2_000_000) }));
    });
    await new Promise<void>((resolve) => huge.listen(0, "127.0.0.1", resolve));
    try {
      const issuer = `http://127.0.0.1:${(huge.address() as AddressInfo).port}`;
      const tenant = await ssoTenant(gateway, { issuer } as TestIdp, "huge");
      for (let attempt = 0; attempt < 3; attempt++) {
        const answer = await fetch(authorizeUrl(stack.gatewayUrl, { tenant: tenant.slug }), {
          redirect: "manual",
        });
        expect(answer.status).toBe(302);
        const back = new URL(answer.headers.get("location") ?? "");
        expect(back.origin).toBe(app);
        expect(back.searchParams.get("error")).toBe("idp_unavailable");
      }
      // The failed discovery is remembered: one download for the three sign-ins.
      expect(requests).toEqual(["/.well-known/openid-configuration"]);
      expect((await fetch(`${stack.gatewayUrl}/healthz`)).status).toBe(200);
    } finally {
      huge.closeAllConnections();
      await new Promise((resolve) => huge.close(resolve));
    }
  });

  it("authorize: 404 sso_not_configured, 422 for a redirect_uri outside the allowed origins", async ({
    stack,
  }) => {
    const unknown = await fetch(
      authorizeUrl(stack.gatewayUrl, { email: `x@nobody-${randomUUID()}.example` }),
      { redirect: "manual" },
    );
    expect(unknown.status).toBe(404);
    expect((await unknown.json()).code).toBe("sso_not_configured");

    const evil = new URL(authorizeUrl(stack.gatewayUrl, { tenant: "whatever" }));
    evil.searchParams.set("redirect_uri", "https://evil.example/steal");
    const refused = await fetch(evil, { redirect: "manual" });
    expect(refused.status).toBe(422);
    expect((await refused.json()).errors).toEqual([
      expect.objectContaining({ path: "redirect_uri" }),
    ]);
  });

  it("the app's state comes back with the code and with an error; a bad state is 422", async ({
    stack,
    gateway,
  }) => {
    const idp = await idpFor(stack.gatewayUrl, ["app-state"]);
    const tenant = await ssoTenant(gateway, idp, "app-state");
    person(idp, `sam@${tenant.domain}`);
    const state = "app-session.Bound_value~42";
    const back = await cookieBrowser().follow(
      authorizeUrl(stack.gatewayUrl, { tenant: tenant.slug, state }),
      atApp,
    );
    expect(back.searchParams.get("state")).toBe(state);
    expect(back.searchParams.get("code")).not.toBeNull();
    // Outside the tenant's domains: refused, the state still echoed for the app to check.
    person(idp, `sam@elsewhere-${randomUUID().slice(0, 8)}.example`);
    const refused = await cookieBrowser().follow(
      authorizeUrl(stack.gatewayUrl, { tenant: tenant.slug, state }),
      atApp,
    );
    expect(refused.searchParams.get("error")).toBe("email_domain_not_verified");
    expect(refused.searchParams.get("state")).toBe(state);
    // Without a state, none comes back.
    person(idp, `sam@${tenant.domain}`);
    const plain = await cookieBrowser().follow(
      authorizeUrl(stack.gatewayUrl, { tenant: tenant.slug }),
      atApp,
    );
    expect(plain.searchParams.has("state")).toBe(false);

    for (const bad of ["x".repeat(257), "has space", "a&b=c", "<script>"]) {
      const answer = await fetch(
        authorizeUrl(stack.gatewayUrl, { tenant: tenant.slug, state: bad }),
        {
          redirect: "manual",
        },
      );
      expect(answer.status, bad).toBe(422);
      expect((await answer.json()).errors).toEqual([expect.objectContaining({ path: "state" })]);
    }
  });

  it("a restricted (unpaid) tenant lets its members sign in but adds nobody new", async ({
    stack,
    gateway,
    run,
  }) => {
    const idp = await idpFor(stack.gatewayUrl, ["restricted"]);
    const tenant = await ssoTenant(gateway, idp, "restricted");
    person(idp, `member@${tenant.domain}`);
    const first = await cookieBrowser().follow(
      authorizeUrl(stack.gatewayUrl, { tenant: tenant.slug }),
      atApp,
    );
    expect(first.searchParams.get("code")).not.toBeNull();
    sqlClient ??= connect(run.controlPlaneUrl, { max: 1 });
    await sqlClient`update tenants set status = 'restricted' where id = ${tenant.tenantId}`;
    const member = await cookieBrowser().follow(
      authorizeUrl(stack.gatewayUrl, { tenant: tenant.slug }),
      atApp,
    );
    expect(member.searchParams.get("code")).not.toBeNull();
    person(idp, `newcomer@${tenant.domain}`);
    const newcomer = await cookieBrowser().follow(
      authorizeUrl(stack.gatewayUrl, { tenant: tenant.slug }),
      atApp,
    );
    expect(newcomer.searchParams.get("error")).toBe("tenant_restricted");
    const [joined] = await sqlClient`
      select 1 from memberships m join users u on u.id = m.user_id
      where m.tenant_id = ${tenant.tenantId} and u.email = ${`newcomer@${tenant.domain}`}`;
    expect(joined).toBeUndefined();
  });

  it("enforce: an invitation accepted with a password (an account's or a new one) is refused", async ({
    stack,
    gateway,
    run,
  }) => {
    const idp = await idpFor(stack.gatewayUrl, ["invited"]);
    const tenant = await ssoTenant(gateway, idp, "invited", { enforce: true });
    const password = "a long enough password";
    // Another tenant invites people of the enforcing tenant's domain.
    const boss = `boss-${randomUUID().slice(0, 8)}@example.test`;
    const side = await gateway("POST", "/v1/signup", {
      body: {
        company: { name: "Side", slug: `side-${randomUUID().slice(0, 8)}` },
        owner: { email: boss, password, name: "Boss" },
      },
    });
    expect(side.status).toBe(202);
    await verifyQueuedEmail(run, gateway, boss);
    const invite = async (email: string) => {
      const invitation = await gateway("POST", "/v1/invitations", {
        token: side.json.tokens.accessToken,
        body: { email, role: "member" },
      });
      expect(invitation.status, JSON.stringify(invitation.json)).toBe(201);
      return invitationToken(run, invitation);
    };
    // A new account by password...
    const fresh = await gateway("POST", "/v1/invitations/accept", {
      body: { token: await invite(`new@${tenant.domain}`), name: "New", password },
    });
    expect(fresh.status).toBe(403);
    expect(fresh.json.code).toBe("sso_required");
    // ...and an existing account's password (made before enforce was turned on).
    sqlClient ??= connect(run.controlPlaneUrl, { max: 1 });
    const existingId = randomUUID();
    await sqlClient`insert into users (id, email, name, password_hash)
                    select ${existingId}, ${`old@${tenant.domain}`}, 'Old', password_hash
                    from users where email = ${`owner@${tenant.domain}`}`;
    const existing = await gateway("POST", "/v1/invitations/accept", {
      body: { token: await invite(`old@${tenant.domain}`), password },
    });
    expect(existing.status).toBe(403);
    expect(existing.json.code).toBe("sso_required");
    const [joined] = await sqlClient`
      select 1 from memberships where user_id = ${existingId}`;
    expect(joined).toBeUndefined();
  });

  it("enforce: password login and reset refused to the domain's people, owners keep a password", async ({
    stack,
    gateway,
    run,
  }) => {
    const idp = await idpFor(stack.gatewayUrl, ["enforce"]);
    const tenant = await ssoTenant(gateway, idp, "enforce");
    const email = `jo@${tenant.domain}`;
    const lead = `lead@${tenant.domain}`;
    const password = "a long enough password";
    // Another tenant, owned by Lead of that domain; Jo, of the domain too, is a member there with
    // a password (both made before SSO was required).
    const other = await gateway("POST", "/v1/signup", {
      body: {
        company: { name: "Side", slug: `side-${randomUUID().slice(0, 8)}` },
        owner: { email: lead, password, name: "Lead" },
      },
    });
    expect(other.status).toBe(202);
    await verifyQueuedEmail(run, gateway, lead);
    const invitation = await gateway("POST", "/v1/invitations", {
      token: other.json.tokens.accessToken,
      body: { email, role: "member" },
    });
    expect(invitation.status, JSON.stringify(invitation.json)).toBe(201);
    const joined = await gateway("POST", "/v1/invitations/accept", {
      body: { token: await invitationToken(run, invitation), name: "Jo", password },
    });
    expect(joined.status).toBe(200);
    // A reset link mailed before SSO is required...
    expect((await gateway("POST", "/v1/auth/password/forgot", { body: { email } })).status).toBe(
      202,
    );
    await expect
      .poll(() => queuedMails(run, { template: "reset-password", to: email }), { timeout: 10_000 })
      .toHaveLength(1);
    const [earlier] = await queuedMails(run, { template: "reset-password", to: email });

    const enforced = await gateway("PATCH", `/v1/sso/connections/${tenant.connectionId}`, {
      token: tenant.token,
      body: { enforce: true },
    });
    expect(enforced.json.enforce).toBe(true);

    const refused = await gateway("POST", "/v1/auth/login", { body: { email, password } });
    expect(refused.status).toBe(403);
    expect(refused.json.code).toBe("sso_required");
    // A wrong password is still just wrong.
    const wrong = await gateway("POST", "/v1/auth/login", {
      body: { email, password: "not the password at all" },
    });
    expect(wrong.status).toBe(401);
    // ...no longer sets a password.
    const reset = await gateway("POST", "/v1/auth/password/reset", {
      body: { token: earlier?.data.token, password: "another long password" },
    });
    expect(reset.status).toBe(403);
    expect(reset.json.code).toBe("sso_required");

    // The owner of the enforcing tenant keeps a break-glass password login, and an owner of
    // another tenant keeps signing in to what they own.
    const owner = await gateway("POST", "/v1/auth/login", {
      body: { email: `owner@${tenant.domain}`, password },
    });
    expect(owner.status).toBe(200);
    const ownerElsewhere = await gateway("POST", "/v1/auth/login", {
      body: { email: lead, password },
    });
    expect(ownerElsewhere.status).toBe(200);

    const forgot = await gateway("POST", "/v1/auth/password/forgot", { body: { email } });
    expect(forgot.status).toBe(202);
    const ownerForgot = await gateway("POST", "/v1/auth/password/forgot", {
      body: { email: `owner@${tenant.domain}` },
    });
    expect(ownerForgot.status).toBe(202);
    // The owner's link is queued; Jo gets no second one.
    await expect
      .poll(() => queuedMails(run, { template: "reset-password", to: `owner@${tenant.domain}` }), {
        timeout: 10_000,
      })
      .toHaveLength(1);
    expect(await queuedMails(run, { template: "reset-password", to: email })).toHaveLength(1);
    const log = await gateway("GET", "/v1/security-log?limit=100", { token: tenant.token });
    const actions = log.json.items.map((event: { action: string }) => event.action);
    expect(actions).toEqual(expect.arrayContaining(["password_login_refused", "updated"]));

    // A tenant being deleted (or deleted) enforces nothing: Jo has a password again.
    sqlClient ??= connect(run.controlPlaneUrl, { max: 1 });
    await sqlClient`update tenants set status = 'deleting' where id = ${tenant.tenantId}`;
    const freed = await gateway("POST", "/v1/auth/login", { body: { email, password } });
    expect(freed.status).toBe(200);
    await sqlClient`update tenants set status = 'active' where id = ${tenant.tenantId}`;

    // Jo signs in by SSO instead.
    person(idp, email);
    const back = await cookieBrowser().follow(authorizeUrl(stack.gatewayUrl, { email }), atApp);
    expect(
      (await gateway("POST", "/v1/sso/token", { body: { code: back.searchParams.get("code") } }))
        .status,
    ).toBe(200);
  });
});
