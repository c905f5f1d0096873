/**
 * Accounts end to end: the gateway, the mailer and a real SMTP server (smtp-receiver.ts), each a
 * real process. Every token is read out of a received message, as a user would click it.
 */
import { randomBytes } from "node:crypto";
import { accountsStack, problem, unique } from "@oryn/testing/accounts-stack";
import { eventually, testPassword } from "@oryn/testing/wait";
import { describe, expect, it } from "vitest";

const stack = accountsStack("accounts", { PASSWORD_RESET_PER_ADDRESS_PER_HOUR: "3" });
const call = (...args: Parameters<typeof stack.call>) => stack.call(...args);
const { signUp, verified, me } = stack;

describe("email verification", () => {
  it("mails a link at signup; until it is followed, no invitations and no API keys", async () => {
    const owner = await signUp();
    const mail = await stack.smtp.waitForMail(owner.email);
    expect(mail.link).toBe(`https://app.acme.test/verify-email?token=${mail.token}`);
    expect((await me(owner.accessToken)).json).toMatchObject({
      email: owner.email,
      emailVerified: false,
      name: "Ada",
      mfa: { totp: false },
      memberships: [{ role: "owner", tenant: { id: owner.tenantId } }],
    });
    const invite = await call("POST", "/v1/invitations", {
      token: owner.accessToken,
      body: { email: `x-${unique()}@acme.test`, role: "member" },
    });
    expect(problem(invite)).toEqual([403, "email_unverified"]);
    const key = await call("POST", "/v1/api-keys", {
      token: owner.accessToken,
      body: { name: "ci", role: "member" },
    });
    expect(problem(key)).toEqual([403, "email_unverified"]);
    expect(
      (
        await stack.sql`select count(*)::int as n from invitations where tenant_id = ${owner.tenantId}`
      )[0]?.n,
    ).toBe(0);

    // A new link on request; the first one still works once, then neither does.
    expect((await call("POST", "/v1/me/verify-email", { token: owner.accessToken })).status).toBe(
      202,
    );
    const again = await stack.smtp.waitForMail(owner.email);
    expect(again.token).not.toBe(mail.token);
    const forged = `oev_${randomBytes(32).toString("base64url")}`;
    for (const token of [forged, "short", `${mail.token}x`]) {
      const answer = await call("POST", "/v1/auth/verify-email", { body: { token } });
      expect(problem(answer), token).toEqual([401, "invalid_token"]);
    }
    expect((await me(owner.accessToken)).json.emailVerified).toBe(false);
    expect(
      (await call("POST", "/v1/auth/verify-email", { body: { token: mail.token } })).status,
    ).toBe(204);
    const used = await call("POST", "/v1/auth/verify-email", { body: { token: mail.token } });
    expect(problem(used)).toEqual([401, "invalid_token"]);
    expect((await me(owner.accessToken)).json.emailVerified).toBe(true);
    // Verified: no new link is sent.
    expect((await call("POST", "/v1/me/verify-email", { token: owner.accessToken })).status).toBe(
      202,
    );
    expect(
      (
        await call("POST", "/v1/api-keys", {
          token: owner.accessToken,
          body: { name: "ci", role: "member" },
        })
      ).status,
    ).toBe(201);
  });

  it("has no signup confirmation where signups are not confirmed by mail (the default)", async () => {
    const answer = await call("POST", "/v1/signup/confirm", {
      body: { token: `osu_${randomBytes(32).toString("base64url")}` },
    });
    expect(problem(answer)).toEqual([404, "not_found"]);
  });

  it("refuses an expired link and changes nothing", async () => {
    const owner = await signUp();
    const mail = await stack.smtp.waitForMail(owner.email);
    await stack.sql`update account_tokens set expires_at = now() - interval '1 second'
              where user_id = (select id from users where email = ${owner.email})`;
    const answer = await call("POST", "/v1/auth/verify-email", { body: { token: mail.token } });
    expect(problem(answer)).toEqual([401, "invalid_token"]);
    expect((await me(owner.accessToken)).json.emailVerified).toBe(false);
  });
});

describe("invitations by mail", () => {
  it("mail the token to the invitee only; a resend replaces it; accepting proves the address", async () => {
    const owner = await verified();
    const email = `grace-${unique()}@acme.test`;
    const invitation = await call("POST", "/v1/invitations", {
      token: owner.accessToken,
      body: { email, role: "admin" },
    });
    expect(invitation.status).toBe(201);
    expect(invitation.json).not.toHaveProperty("token");
    const first = await stack.smtp.waitForMail(email);
    expect(first.link).toBe(`https://app.acme.test/accept-invitation?token=${first.token}`);
    expect(first.text).toContain("Ada");

    const resent = await call("POST", `/v1/invitations/${invitation.json.id}/resend`, {
      token: owner.accessToken,
    });
    expect(resent.status).toBe(202);
    const second = await stack.smtp.waitForMail(email);
    expect(second.token).not.toBe(first.token);
    const stale = await call("POST", "/v1/invitations/accept", {
      body: { token: first.token, name: "Grace", password: testPassword },
    });
    expect(problem(stale)).toEqual([401, "invalid_token"]);
    const accepted = await call("POST", "/v1/invitations/accept", {
      body: { token: second.token, name: "Grace", password: testPassword },
    });
    expect(accepted.status).toBe(200);
    expect((await me(accepted.json.accessToken)).json).toMatchObject({
      email,
      emailVerified: true,
      memberships: [{ role: "admin" }],
    });
    // No verification mail: the invitation proved the address.
    expect(stack.smtp.messagesTo(email)).toHaveLength(2);
  });

  it("revoked, their link admits nobody; another tenant cannot resend them", async () => {
    const owner = await verified();
    const other = await verified();
    const email = `rev-${unique()}@acme.test`;
    const invitation = await call("POST", "/v1/invitations", {
      token: owner.accessToken,
      body: { email, role: "member" },
    });
    const mail = await stack.smtp.waitForMail(email);
    const foreign = await call("POST", `/v1/invitations/${invitation.json.id}/resend`, {
      token: other.accessToken,
    });
    expect(problem(foreign)).toEqual([404, "not_found"]);
    await call("DELETE", `/v1/invitations/${invitation.json.id}`, { token: owner.accessToken });
    const answer = await call("POST", "/v1/invitations/accept", {
      body: { token: mail.token, name: "Late", password: testPassword },
    });
    expect(problem(answer)).toEqual([401, "invalid_token"]);
    expect(stack.smtp.messagesTo(email)).toHaveLength(1);
  });
});

describe("password reset", () => {
  it("answers 202 alike for known and unknown addresses, and mails only the known one", async () => {
    const owner = await verified();
    const unknown = `nobody-${unique()}@acme.test`;
    const known = await call("POST", "/v1/auth/password/forgot", { body: { email: owner.email } });
    const absent = await call("POST", "/v1/auth/password/forgot", { body: { email: unknown } });
    expect([known.status, absent.status]).toEqual([202, 202]);
    expect(known.json).toEqual(absent.json);
    const mail = await stack.smtp.waitForMail(owner.email);
    expect(mail.link).toBe(`https://app.acme.test/reset-password?token=${mail.token}`);
    expect(stack.smtp.messagesTo(unknown)).toEqual([]);
  });

  it("sets the password, ends every session, and the link works once", async () => {
    const owner = await verified();
    await call("POST", "/v1/auth/password/forgot", { body: { email: owner.email } });
    const mail = await stack.smtp.waitForMail(owner.email);
    const newPassword = "a brand new password";
    const weak = await call("POST", "/v1/auth/password/reset", {
      body: { token: mail.token, password: "short" },
    });
    expect(problem(weak)).toEqual([422, "validation_failed"]);
    const reset = await call("POST", "/v1/auth/password/reset", {
      body: { token: mail.token, password: newPassword },
    });
    expect(reset.status).toBe(204);
    const again = await call("POST", "/v1/auth/password/reset", {
      body: { token: mail.token, password: "yet another password" },
    });
    expect(problem(again)).toEqual([401, "invalid_token"]);
    expect((await stack.smtp.waitForMail(owner.email)).subject).toMatch(/password/i);
    // The refresh family is revoked now, the access token within a poll.
    const refreshed = await call("POST", "/v1/auth/refresh", {
      body: { refreshToken: owner.refreshToken },
    });
    expect(problem(refreshed)).toEqual([401, "invalid_token"]);
    await eventually(
      async () => (await me(owner.accessToken)).status,
      (status) => status === 401,
      { timeoutMs: 10_000 },
    );
    const old = await call("POST", "/v1/auth/login", {
      body: { email: owner.email, password: testPassword },
    });
    expect(problem(old)).toEqual([401, "invalid_credentials"]);
    const login = await call("POST", "/v1/auth/login", {
      body: { email: owner.email, password: newPassword },
    });
    expect(login.status).toBe(200);
  });

  it("refuses a link from before a password change, an expired one, and another purpose's", async () => {
    const owner = await verified();
    await call("POST", "/v1/auth/password/forgot", { body: { email: owner.email } });
    const before = await stack.smtp.waitForMail(owner.email);
    const changed = await call("POST", "/v1/me/password", {
      token: owner.accessToken,
      body: { currentPassword: testPassword, newPassword: "changed in the meantime" },
    });
    expect(changed.status).toBe(204);
    await stack.smtp.waitForMail(owner.email); // the notice
    const stale = await call("POST", "/v1/auth/password/reset", {
      body: { token: before.token, password: "not going to happen" },
    });
    expect(problem(stale)).toEqual([401, "invalid_token"]);

    await call("POST", "/v1/auth/password/forgot", { body: { email: owner.email } });
    const expiring = await stack.smtp.waitForMail(owner.email);
    await stack.sql`update account_tokens set expires_at = now() - interval '1 second'
              where purpose = 'reset_password' and used_at is null
                and user_id = (select id from users where email = ${owner.email})`;
    const expired = await call("POST", "/v1/auth/password/reset", {
      body: { token: expiring.token, password: "not going to happen" },
    });
    expect(problem(expired)).toEqual([401, "invalid_token"]);
    // A verification link is not a reset link, nor the other way round.
    const other = await signUp();
    const verification = await stack.smtp.waitForMail(other.email);
    const crossed = await call("POST", "/v1/auth/password/reset", {
      body: { token: verification.token, password: "not going to happen" },
    });
    expect(problem(crossed)).toEqual([401, "invalid_token"]);
    const login = await call("POST", "/v1/auth/login", {
      body: { email: owner.email, password: "changed in the meantime" },
    });
    expect(login.status).toBe(200);
  });

  it("is limited per address, whether or not it has an account", async () => {
    const address = `flood-${unique()}@acme.test`;
    const statuses: number[] = [];
    for (let attempt = 0; attempt < 4; attempt++) {
      statuses.push(
        (await call("POST", "/v1/auth/password/forgot", { body: { email: address } })).status,
      );
    }
    expect(statuses).toEqual([202, 202, 202, 429]);
  });
});
