import { testRun } from "@oryn/testing/context";
import { invitationToken, queuedMail, verifyQueuedEmail } from "@oryn/testing/queued-mail";
import { Secret, TOTP } from "otpauth";
import { afterAll, describe, expect, it } from "vitest";
import { gatewayInProcess, password, uniqueSignup } from "./fixtures.ts";

const gateway = await gatewayInProcess();
afterAll(() => gateway.close());

// What Chromium sends from the console's own pages (app.request's URL is http://localhost/...).
const fromConsole = { "x-oryn-session": "cookie", "sec-fetch-site": "same-origin" };
const name = "__Secure-oryn-refresh";

/** The refresh cookie an answer set: its value and its attributes, lower-cased. */
function cookieOf(answer: { headers: Headers }) {
  const header = answer.headers.getSetCookie().find((line) => line.startsWith(`${name}=`));
  if (!header) return undefined;
  const [pair = "", ...attributes] = header.split(";").map((part) => part.trim());
  return {
    value: pair.slice(name.length + 1),
    attributes: attributes.map((attribute) => attribute.toLowerCase()),
  };
}

async function signUp() {
  const body = uniqueSignup();
  const answer = await gateway.call("POST", "/v1/signup", { body });
  expect(answer.status).toBe(202);
  return body.owner.email;
}

async function cookieLogin(email: string) {
  const login = await gateway.call("POST", "/v1/auth/login", {
    body: { email, password },
    headers: fromConsole,
  });
  expect(login.status, JSON.stringify(login.json)).toBe(200);
  const cookie = cookieOf(login);
  if (!cookie) throw new Error("no refresh cookie");
  return { login, cookie, sent: { ...fromConsole, cookie: `${name}=${cookie.value}` } };
}

describe("cookie mode (X-Oryn-Session: cookie)", () => {
  it("sets the refresh token as an HttpOnly, Secure, SameSite=Strict cookie on /v1/auth and leaves it out of the JSON", async () => {
    const email = await signUp();
    const { login, cookie } = await cookieLogin(email);
    expect(login.json.accessToken).toEqual(expect.any(String));
    expect(login.json).not.toHaveProperty("refreshToken");
    expect(cookie.value).toMatch(/\S{20,}/);
    expect(cookie.attributes).toEqual(
      expect.arrayContaining(["httponly", "secure", "samesite=strict", "path=/v1/auth"]),
    );
    expect(cookie.attributes.find((a) => a.startsWith("max-age="))).toMatch(/^max-age=\d+$/);

    // API consumers are unaffected: no header, no cookie, the refresh token in the JSON.
    const bearer = await gateway.call("POST", "/v1/auth/login", { body: { email, password } });
    expect(bearer.json.refreshToken).toEqual(expect.any(String));
    expect(bearer.headers.getSetCookie()).toEqual([]);
    const rotated = await gateway.call("POST", "/v1/auth/refresh", {
      body: { refreshToken: bearer.json.refreshToken },
    });
    expect(rotated.status).toBe(200);
    expect(rotated.json.refreshToken).toEqual(expect.any(String));
  });

  it("refreshes with the cookie, rotates it, and a replayed cookie ends the session and is cleared", async () => {
    const email = await signUp();
    const { sent, cookie } = await cookieLogin(email);
    const refreshed = await gateway.call("POST", "/v1/auth/refresh", { body: {}, headers: sent });
    expect(refreshed.status, JSON.stringify(refreshed.json)).toBe(200);
    expect(refreshed.json).not.toHaveProperty("refreshToken");
    const next = cookieOf(refreshed);
    expect(next?.value).toEqual(expect.any(String));
    expect(next?.value).not.toBe(cookie.value);

    // Past the grace period a replay revokes the family; within it, it still refuses (the
    // successor was used) once the successor itself has been used.
    const successor = { ...fromConsole, cookie: `${name}=${next?.value}` };
    expect(
      (await gateway.call("POST", "/v1/auth/refresh", { body: {}, headers: successor })).status,
    ).toBe(200);
    const replay = await gateway.call("POST", "/v1/auth/refresh", { body: {}, headers: sent });
    expect(replay.status).toBe(401);
    expect(replay.json.code).toBe("invalid_token");
    // The browser is told to forget a cookie that no longer refreshes.
    expect(cookieOf(replay)?.attributes).toContain("max-age=0");
  });

  it("refuses a second cookie of the name, as a sibling subdomain would plant, and clears it", async () => {
    const victim = await cookieLogin(await signUp());
    const planter = await cookieLogin(await signUp());
    // The browser sends the planted cookie (longer Path) first, then the console's own.
    const both = {
      ...fromConsole,
      cookie: `${name}=${planter.cookie.value}; ${name}=${victim.cookie.value}`,
    };
    const refreshed = await gateway.call("POST", "/v1/auth/refresh", { body: {}, headers: both });
    expect(refreshed.status).toBe(401);
    expect(refreshed.json.code).toBe("unauthorized");
    expect(cookieOf(refreshed)?.attributes).toContain("max-age=0");
    // Neither session was used, so both still refresh on their own.
    expect(
      (await gateway.call("POST", "/v1/auth/refresh", { body: {}, headers: victim.sent })).status,
    ).toBe(200);
  });

  it("takes the token from the cookie only, and only in cookie mode", async () => {
    const email = await signUp();
    const { sent, login } = await cookieLogin(email);
    // The cookie without the opt-in header is not read: the body must name a token.
    const { "x-oryn-session": _, ...withoutHeader } = sent;
    const plain = await gateway.call("POST", "/v1/auth/refresh", {
      body: {},
      headers: withoutHeader,
    });
    expect(plain.status).toBe(422);
    expect(plain.json.errors).toEqual([{ path: "refreshToken", message: "Required" }]);
    // In cookie mode a token in the body is refused, not used alongside the cookie.
    const both = await gateway.call("POST", "/v1/auth/refresh", {
      body: { refreshToken: "x".repeat(40) },
      headers: sent,
    });
    expect(both.status).toBe(422);
    // Cookie mode without a cookie: no session to refresh.
    const none = await gateway.call("POST", "/v1/auth/refresh", { body: {}, headers: fromConsole });
    expect(none.status).toBe(401);
    // Another value of the header is a schema error, not bearer mode by accident.
    const odd = await gateway.call("POST", "/v1/auth/login", {
      body: { email, password },
      headers: { "x-oryn-session": "yes" },
    });
    expect(odd.status).toBe(422);
    expect(login.status).toBe(200);
  });

  it("refuses cookie routes from another origin: cross-site, same-site, a foreign or missing Origin", async () => {
    const email = await signUp();
    const { sent } = await cookieLogin(email);
    const refuse = async (headers: Record<string, string>, what: string) => {
      const answer = await gateway.call("POST", "/v1/auth/refresh", { body: {}, headers });
      expect(answer.status, what).toBe(403);
      expect(answer.json.code, what).toBe("cross_site_request");
    };
    await refuse({ ...sent, "sec-fetch-site": "cross-site" }, "cross-site");
    // Another port of the same host is the same site: SameSite=Strict lets the cookie through.
    await refuse({ ...sent, "sec-fetch-site": "same-site" }, "same-site");
    await refuse({ ...sent, "sec-fetch-site": "none" }, "typed into the address bar");
    const { "sec-fetch-site": _, ...noFetchMetadata } = sent;
    await refuse({ ...noFetchMetadata, origin: "http://localhost:9999" }, "other port");
    await refuse({ ...noFetchMetadata, origin: "https://evil.example" }, "other host");
    await refuse({ ...noFetchMetadata, origin: "null" }, "opaque origin");
    await refuse(noFetchMetadata, "no Origin, no Sec-Fetch-Site");
    // The cookie alone (a form cannot send the header) is refused as well, before the body is
    // read: a cross-site form post gets 403, not a 415 about its content type.
    const form = await gateway.call("POST", "/v1/auth/refresh", {
      raw: "refreshToken=x",
      headers: {
        "content-type": "application/x-www-form-urlencoded",
        cookie: sent.cookie,
        "sec-fetch-site": "same-site",
        origin: "http://localhost:9999",
      },
    });
    expect(form.status).toBe(403);
    expect(form.json.code).toBe("cross_site_request");
    // The header on a token-issuing route from elsewhere: no login CSRF either.
    const login = await gateway.call("POST", "/v1/auth/login", {
      body: { email, password },
      headers: { "x-oryn-session": "cookie", "sec-fetch-site": "cross-site" },
    });
    expect(login.status).toBe(403);
    // None of it spent the session: the console's own request still refreshes.
    const ok = await gateway.call("POST", "/v1/auth/refresh", {
      body: {},
      headers: { ...noFetchMetadata, origin: "http://localhost" },
    });
    expect(ok.status).toBe(200);
    // Bearer clients from other origins (CORS) are unaffected: no cookie, no header.
    const bearer = await gateway.call("POST", "/v1/auth/login", {
      body: { email, password },
      headers: { "sec-fetch-site": "cross-site", origin: "https://app.example.com" },
    });
    expect(bearer.status).toBe(200);
  });

  it("logs out: the cookie is cleared, its session ends, its access token is refused", async () => {
    const email = await signUp();
    const { sent, login } = await cookieLogin(email);
    const token = login.json.accessToken as string;
    expect((await gateway.call("GET", "/v1/me", { token })).status).toBe(200);
    const out = await gateway.call("POST", "/v1/auth/logout", { body: {}, headers: sent });
    expect(out.status).toBe(204);
    expect(cookieOf(out)?.attributes).toEqual(
      expect.arrayContaining(["max-age=0", "path=/v1/auth", "secure", "httponly"]),
    );
    expect(
      (await gateway.call("POST", "/v1/auth/refresh", { body: {}, headers: sent })).status,
    ).toBe(401);
    expect((await gateway.call("GET", "/v1/me", { token })).status).toBe(401);
  });

  it("sets the cookie on signup in cookie mode", async () => {
    const answer = await gateway.call("POST", "/v1/signup", {
      body: uniqueSignup(),
      headers: fromConsole,
    });
    expect(answer.status).toBe(202);
    expect(answer.json.tokens).not.toHaveProperty("refreshToken");
    expect(answer.json.tokens.accessToken).toEqual(expect.any(String));
    expect(cookieOf(answer)?.attributes).toContain("path=/v1/auth");
  });

  it("sets the cookie when a second factor completes the login, not on the challenge", async () => {
    const body = uniqueSignup();
    const signup = await gateway.call("POST", "/v1/signup", { body });
    const token = signup.json.tokens.accessToken as string;
    const started = await gateway.call("POST", "/v1/me/mfa/totp", { token });
    const code = TOTP.generate({ secret: Secret.fromBase32(started.json.secret) });
    const confirmed = await gateway.call("POST", "/v1/me/mfa/totp/confirm", {
      token,
      body: { code },
    });
    expect(confirmed.status).toBe(200);
    const challenge = await gateway.call("POST", "/v1/auth/login", {
      body: { email: body.owner.email, password },
      headers: fromConsole,
    });
    expect(challenge.json.mfaRequired).toBe(true);
    expect(cookieOf(challenge)).toBeUndefined();
    const done = await gateway.call("POST", "/v1/auth/mfa", {
      body: { mfaToken: challenge.json.mfaToken, recoveryCode: confirmed.json.recoveryCodes[0] },
      headers: fromConsole,
    });
    expect(done.status, JSON.stringify(done.json)).toBe(200);
    expect(done.json).not.toHaveProperty("refreshToken");
    expect(cookieOf(done)?.attributes).toContain("httponly");
  });

  it("sets the cookie when an invitation is accepted in cookie mode", async () => {
    const body = uniqueSignup();
    const signup = await gateway.call("POST", "/v1/signup", { body });
    await verifyQueuedEmail(testRun(), gateway.call, body.owner.email);
    const invitation = await gateway.call("POST", "/v1/invitations", {
      token: signup.json.tokens.accessToken,
      body: { email: `invitee-${crypto.randomUUID().slice(0, 8)}@example.test`, role: "member" },
    });
    expect(invitation.status).toBe(201);
    const accepted = await gateway.call("POST", "/v1/invitations/accept", {
      body: { token: await invitationToken(testRun(), invitation), name: "Invitee", password },
      headers: fromConsole,
    });
    expect(accepted.status, JSON.stringify(accepted.json)).toBe(200);
    expect(accepted.json).not.toHaveProperty("refreshToken");
    const cookie = cookieOf(accepted);
    expect(cookie?.attributes).toContain("samesite=strict");
    // And that cookie refreshes the invitee's session.
    const refreshed = await gateway.call("POST", "/v1/auth/refresh", {
      body: {},
      headers: { ...fromConsole, cookie: `${name}=${cookie?.value}` },
    });
    expect(refreshed.status).toBe(200);
  });

  it("is never open to another origin through CORS, even one CORS_ORIGINS allows", async () => {
    const withCors = await gatewayInProcess({ CORS_ORIGINS: "https://app.example.com" });
    try {
      const preflight = await withCors.app.request("/v1/auth/refresh", {
        method: "OPTIONS",
        headers: {
          origin: "https://app.example.com",
          "access-control-request-method": "POST",
          "access-control-request-headers": "content-type, x-oryn-session",
        },
      });
      const allowed = preflight.headers.get("access-control-allow-headers") ?? "";
      expect(allowed).toContain("content-type");
      expect(allowed).not.toContain("x-oryn-session");
      expect(preflight.headers.get("access-control-allow-credentials")).toBeNull();
    } finally {
      await withCors.close();
    }
  });

  it("sets the cookie when a signup confirmed by mail is finished in cookie mode", async () => {
    const confirming = await gatewayInProcess({ SIGNUP_CONFIRMATION: "email" });
    try {
      const body = uniqueSignup();
      const asked = await confirming.call("POST", "/v1/signup", { body, headers: fromConsole });
      expect(asked.json).toEqual({ status: "confirmation_sent" });
      // Nothing is issued yet: no cookie.
      expect(cookieOf(asked)).toBeUndefined();
      const mail = await queuedMail(testRun(), {
        template: "confirm-signup",
        to: body.owner.email,
      });
      const confirmed = await confirming.call("POST", "/v1/signup/confirm", {
        body: { token: mail.data.token },
        headers: fromConsole,
      });
      expect(confirmed.status, JSON.stringify(confirmed.json)).toBe(202);
      expect(confirmed.json.tokens).not.toHaveProperty("refreshToken");
      expect(cookieOf(confirmed)?.attributes).toContain("path=/v1/auth");
    } finally {
      await confirming.close();
    }
  });
});
