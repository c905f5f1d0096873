/**
 * A signed-in user's own account, end to end with real SMTP delivery: the profile, a password
 * change (other sessions end), an email change (applies once the new address confirms), and the
 * tenant's security log where these show up for its admins.
 */

import { accountsStack, problem, unique } from "@oryn/testing/accounts-stack";
import { eventually, testPassword } from "@oryn/testing/wait";
import { describe, expect, it } from "vitest";

const stack = accountsStack("credentials");
const call = (...args: Parameters<typeof stack.call>) => stack.call(...args);
const { verified, me } = stack;

const logIn = (email: string, password: string) =>
  call("POST", "/v1/auth/login", { body: { email, password } });

describe("the profile", () => {
  it("renames, and refuses a bad name and an API key", async () => {
    const owner = await verified();
    const renamed = await call("PATCH", "/v1/me", {
      token: owner.accessToken,
      body: { name: "Ada Lovelace" },
    });
    expect(renamed.status).toBe(200);
    expect(renamed.json.name).toBe("Ada Lovelace");
    const empty = await call("PATCH", "/v1/me", { token: owner.accessToken, body: { name: "" } });
    expect(problem(empty)).toEqual([422, "validation_failed"]);
    const key = await call("POST", "/v1/api-keys", {
      token: owner.accessToken,
      body: { name: "ci", role: "owner" },
    });
    expect(problem(await me(key.json.key))).toEqual([403, "forbidden"]);
    expect((await me(owner.accessToken)).json.name).toBe("Ada Lovelace");
  });
});

describe("changing the password", () => {
  it("needs the current one, ends the other sessions, keeps this one", async () => {
    const owner = await verified();
    const other = await logIn(owner.email, testPassword);
    expect(other.status).toBe(200);
    const wrong = await call("POST", "/v1/me/password", {
      token: owner.accessToken,
      body: { currentPassword: "not the password", newPassword: "a brand new password" },
    });
    expect(problem(wrong)).toEqual([401, "invalid_credentials"]);
    expect((await logIn(owner.email, testPassword)).status).toBe(200);

    const changed = await call("POST", "/v1/me/password", {
      token: owner.accessToken,
      body: { currentPassword: testPassword, newPassword: "a brand new password" },
    });
    expect(changed.status).toBe(204);
    const notice = await eventually(
      async () => stack.smtp.messagesTo(owner.email),
      (mails) => mails.length === 2,
    );
    expect(notice[1]?.subject).toMatch(/password/i);
    // The other session's refresh token is revoked; this one's refreshes.
    const otherRefresh = await call("POST", "/v1/auth/refresh", {
      body: { refreshToken: other.json.refreshToken },
    });
    expect(problem(otherRefresh)).toEqual([401, "invalid_token"]);
    const mine = await call("POST", "/v1/auth/refresh", {
      body: { refreshToken: owner.refreshToken },
    });
    expect(mine.status).toBe(200);
    expect((await me(mine.json.accessToken)).status).toBe(200);
    // Access tokens issued before stop within a revocation poll.
    await eventually(
      async () => (await me(other.json.accessToken)).status,
      (status) => status === 401,
      { timeoutMs: 10_000 },
    );
    expect(problem(await logIn(owner.email, testPassword))).toEqual([401, "invalid_credentials"]);
    expect((await logIn(owner.email, "a brand new password")).status).toBe(200);
  });
});

describe("changing the email address", () => {
  it("applies once the new address confirms, with a notice to the old one", async () => {
    const owner = await verified();
    const next = `next-${unique()}@acme.test`;
    const wrong = await call("POST", "/v1/me/email", {
      token: owner.accessToken,
      body: { email: next, password: "not the password" },
    });
    expect(problem(wrong)).toEqual([401, "invalid_credentials"]);
    const requested = await call("POST", "/v1/me/email", {
      token: owner.accessToken,
      body: { email: next, password: testPassword },
    });
    expect(requested.status).toBe(202);
    const confirm = await stack.smtp.waitForMail(next);
    expect(confirm.link).toBe(`https://app.acme.test/verify-email?token=${confirm.token}`);
    const notice = await stack.smtp.waitForMail(owner.email);
    expect(notice.text).toContain(next);
    expect(notice.token).toBeUndefined();
    // Nothing changes until the new address confirms.
    expect((await me(owner.accessToken)).json.email).toBe(owner.email);
    expect(
      (await call("POST", "/v1/auth/verify-email", { body: { token: confirm.token } })).status,
    ).toBe(204);
    expect((await me(owner.accessToken)).json).toMatchObject({ email: next, emailVerified: true });
    expect((await logIn(next, testPassword)).status).toBe(200);
    expect(problem(await logIn(owner.email, testPassword))).toEqual([401, "invalid_credentials"]);
    const used = await call("POST", "/v1/auth/verify-email", { body: { token: confirm.token } });
    expect(problem(used)).toEqual([401, "invalid_token"]);
  });

  it("refuses an address another account has, and one taken before the confirmation", async () => {
    const owner = await verified();
    const neighbour = await verified();
    const taken = await call("POST", "/v1/me/email", {
      token: owner.accessToken,
      body: { email: neighbour.email, password: testPassword },
    });
    expect(problem(taken)).toEqual([409, "email_taken"]);
    // The neighbour got nothing: no confirmation went to an address that is taken.
    expect(stack.smtp.messagesTo(neighbour.email)).toHaveLength(1);

    const wanted = `wanted-${unique()}@acme.test`;
    await call("POST", "/v1/me/email", {
      token: owner.accessToken,
      body: { email: wanted, password: testPassword },
    });
    const confirm = await stack.smtp.waitForMail(wanted);
    // Meanwhile the neighbour moves to that address first.
    await call("POST", "/v1/me/email", {
      token: neighbour.accessToken,
      body: { email: wanted, password: testPassword },
    });
    const theirs = await stack.smtp.waitForMail(wanted);
    expect(
      (await call("POST", "/v1/auth/verify-email", { body: { token: theirs.token } })).status,
    ).toBe(204);
    const late = await call("POST", "/v1/auth/verify-email", { body: { token: confirm.token } });
    expect(problem(late)).toEqual([409, "email_taken"]);
    expect((await me(owner.accessToken)).json.email).toBe(owner.email);
  });
});

describe("the security log", () => {
  it("shows the tenant's admins its sign-ins, invitations and its members' account changes, paged", async () => {
    const owner = await verified();
    const other = await verified();
    await logIn(owner.email, testPassword);
    await logIn(owner.email, "a wrong password");
    await call("PATCH", "/v1/me", { token: owner.accessToken, body: { name: "Ada L." } });
    await call("POST", "/v1/invitations", {
      token: owner.accessToken,
      body: { email: `log-${unique()}@acme.test`, role: "member" },
    });
    const log = await call("GET", "/v1/security-log?limit=200", { token: owner.accessToken });
    expect(log.status).toBe(200);
    const actions = log.json.items.map((event: { action: string }) => event.action);
    for (const action of [
      "signed_up",
      "email_verified",
      "logged_in",
      "login_failed",
      "profile_updated",
      "invitation_created",
    ]) {
      expect(actions, action).toContain(action);
    }
    // Nothing of the other tenant's owner.
    expect(JSON.stringify(log.json)).not.toContain(other.userId);
    expect(JSON.stringify(log.json)).not.toContain(other.tenantId);

    // Pages of one, newest first, end with nextCursor null.
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const query: string = `/v1/security-log?limit=2${cursor ? `&cursor=${cursor}` : ""}`;
      const page = await call("GET", query, { token: owner.accessToken });
      expect(page.status).toBe(200);
      seen.push(...page.json.items.map((event: { id: string }) => event.id));
      cursor = page.json.nextCursor;
    } while (cursor);
    expect(seen).toEqual(log.json.items.map((event: { id: string }) => event.id));
    const forged = await call("GET", "/v1/security-log?cursor=bm90LWEtY3Vyc29y", {
      token: owner.accessToken,
    });
    expect(problem(forged)).toEqual([422, "validation_failed"]);
  });
});
