import { randomBytes } from "node:crypto";
import { jobCatalogue } from "@oryn/shared";
import { testRun } from "@oryn/testing/context";
import { invitationToken, verifyQueuedEmail } from "@oryn/testing/queued-mail";
import { codeAt, enrolTotp } from "@oryn/testing/totp";
import { afterAll, describe, expect, it } from "vitest";
import { gatewayInProcess, password, uniqueSignup } from "./fixtures.ts";

// Through a trusted proxy on loopback: a request can name a new address, as an attacker's would.
const gateway = await gatewayInProcess({ TRUSTED_PROXIES: "loopback" });
afterAll(() => gateway.close());
const { sql, call } = { sql: gateway.deps.sql, call: gateway.call };
const uniqueIp = () => `192.0.2.${randomBytes(1)[0]}`;

type Person = { email: string; userId: string; token: string; refreshToken: string };

async function signUp(): Promise<Person> {
  const body = uniqueSignup();
  const answer = await call("POST", "/v1/signup", {
    body,
    headers: { "x-forwarded-for": uniqueIp() },
  });
  expect(answer.status).toBe(202);
  // Only a verified owner invites: the link queued at signup is followed.
  await verifyQueuedEmail(testRun(), call, body.owner.email);
  return {
    email: body.owner.email,
    userId: answer.json.user.id,
    token: answer.json.tokens.accessToken,
    refreshToken: answer.json.tokens.refreshToken,
  };
}

/** Enrols with a code of the current step (s0); later codes of the test use s0 + 1. */
const enrol = (person: Person) => enrolTotp(call, person.token);

async function logIn(person: Person, ip = uniqueIp()) {
  return call("POST", "/v1/auth/login", {
    body: { email: person.email, password },
    headers: { "x-forwarded-for": ip },
  });
}

async function mailsTo(email: string) {
  const queue = gateway.deps.queues.get(jobCatalogue["mail.send"].queue);
  const jobs = await queue.getJobs(["waiting", "delayed", "active", "completed", "failed"]);
  return jobs.filter((job) => job.data.to === email).map((job) => job.data);
}

describe("enrolling in TOTP", () => {
  it("answers a secret and its otpauth URI, turns on with a code, and answers ten recovery codes once", async () => {
    const person = await signUp();
    const started = await call("POST", "/v1/me/mfa/totp", { token: person.token });
    expect(started.status).toBe(201);
    expect(started.json.secret).toMatch(/^[A-Z2-7]{32}$/);
    const uri = new URL(started.json.otpauthUrl);
    expect(uri.protocol).toBe("otpauth:");
    expect(uri.searchParams.get("secret")).toBe(started.json.secret);
    expect(uri.searchParams.get("issuer")).toBe("Oryn");
    expect(decodeURIComponent(uri.pathname)).toContain(person.email);

    // Not on until confirmed: login still gives tokens.
    expect((await logIn(person)).json.accessToken).toEqual(expect.any(String));

    const wrong = await call("POST", "/v1/me/mfa/totp/confirm", {
      token: person.token,
      body: { code: codeAt(started.json.secret, -3) },
    });
    expect(wrong.status).toBe(401);
    expect(wrong.json.code).toBe("mfa_failed");
    expect((await logIn(person)).json.accessToken).toEqual(expect.any(String));

    const confirmed = await call("POST", "/v1/me/mfa/totp/confirm", {
      token: person.token,
      body: { code: codeAt(started.json.secret) },
    });
    expect(confirmed.status).toBe(200);
    const codes: string[] = confirmed.json.recoveryCodes;
    expect(codes).toHaveLength(10);
    expect(new Set(codes).size).toBe(10);
    for (const code of codes) expect(code).toMatch(/^[a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{4}$/);

    // At rest: the secret encrypted, the codes hashed.
    const [factor] =
      await sql`select secret_ciphertext from totp_factors where user_id = ${person.userId}`;
    expect(Buffer.from(factor?.secretCiphertext).toString("latin1")).not.toContain(
      started.json.secret,
    );
    const stored = await sql`select code_hash from recovery_codes where user_id = ${person.userId}`;
    expect(stored).toHaveLength(10);
    for (const row of stored)
      expect(codes.join()).not.toContain(Buffer.from(row.codeHash).toString());

    const actions =
      await sql`select action from audit_events where actor_id = ${person.userId} order by id`;
    expect(actions.map((row) => row.action)).toEqual(
      expect.arrayContaining(["mfa_enrolment_started", "mfa_enabled"]),
    );
    expect(await mailsTo(person.email)).toContainEqual(
      expect.objectContaining({
        template: "mfa-changed-notice",
        data: expect.objectContaining({ change: "enabled" }),
      }),
    );
  });

  it("refuses to start again while on (409), and a confirmation with nothing pending (409)", async () => {
    const person = await signUp();
    const nothing = await call("POST", "/v1/me/mfa/totp/confirm", {
      token: person.token,
      body: { code: "123456" },
    });
    expect(nothing.status).toBe(409);
    const { secret } = await enrol(person);
    const again = await call("POST", "/v1/me/mfa/totp", { token: person.token });
    expect(again.status).toBe(409);
    // The factor is unchanged: a code of its secret still works at login.
    const login = await logIn(person);
    const done = await call("POST", "/v1/auth/mfa", {
      body: { mfaToken: login.json.mfaToken, code: codeAt(secret, 1) },
    });
    expect(done.status).toBe(200);
  });

  it("answers 422 problem+json to a code that is not six digits", async () => {
    const person = await signUp();
    await call("POST", "/v1/me/mfa/totp", { token: person.token });
    for (const code of ["12345", "1234567", "abcdef", ""]) {
      const answer = await call("POST", "/v1/me/mfa/totp/confirm", {
        token: person.token,
        body: { code },
      });
      expect(answer.status, code).toBe(422);
      expect(answer.headers.get("content-type")).toBe("application/problem+json");
    }
  });
});

describe("login with TOTP on", () => {
  it("answers {mfaRequired, mfaToken} instead of tokens, and POST /v1/auth/mfa with a code gives them", async () => {
    const person = await signUp();
    const { secret } = await enrol(person);
    const login = await logIn(person);
    expect(login.status).toBe(200);
    expect(login.json).toEqual({ mfaRequired: true, mfaToken: expect.any(String) });
    expect(login.json).not.toHaveProperty("accessToken");

    const done = await call("POST", "/v1/auth/mfa", {
      body: { mfaToken: login.json.mfaToken, code: codeAt(secret, 1) },
      headers: { "user-agent": "Second/1.0" },
    });
    expect(done.status).toBe(200);
    expect(done.json).toMatchObject({ tokenType: "Bearer", accessToken: expect.any(String) });
    expect((await call("GET", "/v1/tenant", { token: done.json.accessToken })).status).toBe(200);
    // The session is recorded like any other.
    const sessions = await call("GET", "/v1/me/sessions", { token: done.json.accessToken });
    expect(sessions.json.items).toContainEqual(
      expect.objectContaining({ current: true, userAgent: "Second/1.0" }),
    );
    // The mfaToken was spent.
    const twice = await call("POST", "/v1/auth/mfa", {
      body: { mfaToken: login.json.mfaToken, code: codeAt(secret, 1) },
    });
    expect(twice.status).toBe(401);
    expect(twice.json.code).toBe("mfa_failed");
  });

  it("answers 401 invalid_credentials, not a wrong code, when the tenant went away after the password step", async () => {
    const person = await signUp();
    const { secret } = await enrol(person);
    const login = await logIn(person);
    expect(login.json.mfaRequired).toBe(true);
    const [tenant] = await sql<{ tenantId: string }[]>`
      select tenant_id from memberships where user_id = ${person.userId}`;
    await sql`update tenants set status = 'deleting' where id = ${tenant?.tenantId ?? ""}`;
    const refused = await call("POST", "/v1/auth/mfa", {
      body: { mfaToken: login.json.mfaToken, code: codeAt(secret, 1) },
    });
    expect(refused.status).toBe(401);
    expect(refused.json.code).toBe("invalid_credentials");
    // Not counted or logged as a wrong code.
    const failed = await sql`
      select 1 from audit_events where actor_id = ${person.userId} and action = 'mfa_failed'`;
    expect(failed).toHaveLength(0);
  });

  it("refuses a code replayed within its window, an older one, and one from the wrong step", async () => {
    const person = await signUp();
    const { secret, now } = await enrol(person);
    const first = await logIn(person);
    const used = codeAt(secret, 1, now);
    expect(
      (await call("POST", "/v1/auth/mfa", { body: { mfaToken: first.json.mfaToken, code: used } }))
        .status,
    ).toBe(200);

    const second = await logIn(person);
    for (const [what, code] of [
      ["the same code again", used],
      ["the enrolment's code, an earlier step", codeAt(secret, 0, now)],
      ["a code two steps back", codeAt(secret, -2, now)],
      ["a code three steps ahead", codeAt(secret, 4, now)],
    ] as const) {
      const answer = await call("POST", "/v1/auth/mfa", {
        body: { mfaToken: second.json.mfaToken, code },
      });
      expect(answer.status, what).toBe(401);
      expect(answer.json.code, what).toBe("mfa_failed");
    }
    const failures = await sql`
      select count(*)::int as n from audit_events where actor_id = ${person.userId} and action = 'mfa_failed'`;
    expect(failures[0]?.n).toBe(4);
  });

  it("limits wrong codes per account, whatever the address: the right code is then refused 429 too", async () => {
    const person = await signUp();
    const { secret, now } = await enrol(person);
    const login = await logIn(person);
    // Wrong for sure: six digits that no step near now has as its code (a fixed 100000 + n was
    // the secret's code for a step the gateway accepts once in some 70,000 runs).
    const near = new Set([-2, -1, 0, 1, 2, 3].map((steps) => codeAt(secret, steps)));
    const wrongCodes = Array.from({ length: 20 }, (_, index) => String(100000 + index))
      .filter((code) => !near.has(code))
      .slice(0, 5);
    const statuses: number[] = [];
    for (const code of wrongCodes) {
      const answer = await call("POST", "/v1/auth/mfa", {
        body: { mfaToken: login.json.mfaToken, code },
        headers: { "x-forwarded-for": uniqueIp() },
      });
      statuses.push(answer.status);
    }
    expect(statuses).toEqual([401, 401, 401, 401, 401]);
    const blocked = await call("POST", "/v1/auth/mfa", {
      body: { mfaToken: login.json.mfaToken, code: codeAt(secret, 1, now) },
      headers: { "x-forwarded-for": uniqueIp() },
    });
    expect(blocked.status).toBe(429);
    expect(blocked.json.code).toBe("rate_limited");
    expect(Number(blocked.headers.get("retry-after"))).toBeGreaterThan(0);
  });

  it("takes each recovery code once, and mails a notice when one is used", async () => {
    const person = await signUp();
    const { recoveryCodes } = await enrol(person);
    const [code, other] = recoveryCodes;
    const first = await logIn(person);
    // As a person types it: upper case, without the dashes.
    const typed = (code ?? "").toUpperCase().replaceAll("-", "");
    const done = await call("POST", "/v1/auth/mfa", {
      body: { mfaToken: first.json.mfaToken, recoveryCode: typed },
    });
    expect(done.status).toBe(200);
    const second = await logIn(person);
    const reused = await call("POST", "/v1/auth/mfa", {
      body: { mfaToken: second.json.mfaToken, recoveryCode: code },
    });
    expect(reused.status).toBe(401);
    expect(reused.json.code).toBe("mfa_failed");
    const fresh = await call("POST", "/v1/auth/mfa", {
      body: { mfaToken: second.json.mfaToken, recoveryCode: other },
    });
    expect(fresh.status).toBe(200);
    const notices = (await mailsTo(person.email)).filter(
      (mail) => mail.data.change === "recovery_code_used",
    );
    expect(notices).toHaveLength(2);
  });

  it("answers 401 mfa_failed to an unknown, expired or other person's mfaToken, and 422 to a malformed body", async () => {
    const alice = await signUp();
    const bob = await signUp();
    const a = await enrol(alice);
    const b = await enrol(bob);
    const bobs = await logIn(bob);
    const alices = await logIn(alice);
    await sql`update mfa_challenges set expires_at = now() - interval '1 second'
              where user_id = ${alice.userId}`;
    for (const [what, body] of [
      ["an unknown mfaToken", { mfaToken: "omt_nothing", code: codeAt(a.secret, 1, a.now) }],
      ["an expired mfaToken", { mfaToken: alices.json.mfaToken, code: codeAt(a.secret, 1, a.now) }],
      [
        "bob's mfaToken with alice's code",
        { mfaToken: bobs.json.mfaToken, code: codeAt(a.secret, 1, a.now) },
      ],
      [
        "alice's recovery code on bob's mfaToken",
        { mfaToken: bobs.json.mfaToken, recoveryCode: a.recoveryCodes[0] },
      ],
    ] as const) {
      const answer = await call("POST", "/v1/auth/mfa", { body });
      expect(answer.status, what).toBe(401);
      expect(answer.json.code, what).toBe("mfa_failed");
    }
    for (const body of [
      { mfaToken: bobs.json.mfaToken },
      {
        mfaToken: bobs.json.mfaToken,
        code: codeAt(b.secret, 1, b.now),
        recoveryCode: b.recoveryCodes[0],
      },
      { code: codeAt(b.secret, 1, b.now) },
    ]) {
      const answer = await call("POST", "/v1/auth/mfa", { body });
      expect(answer.status, JSON.stringify(body)).toBe(422);
      expect(answer.json.code).toBe("validation_failed");
    }
    // None of that spent bob's challenge, his code or his recovery code.
    const done = await call("POST", "/v1/auth/mfa", {
      body: { mfaToken: bobs.json.mfaToken, code: codeAt(b.secret, 1, b.now) },
    });
    expect(done.status).toBe(200);
    const [unused] = await sql`
      select count(*)::int as n from recovery_codes where user_id = ${alice.userId} and used_at is null`;
    expect(unused?.n).toBe(10);
  });
});

describe("accepting an invitation with an account that has TOTP on", () => {
  it("asks for the second factor too, and tokens for the new tenant come only with it", async () => {
    const person = await signUp();
    const { secret, now } = await enrol(person);
    const inviter = await signUp();
    const invitation = await call("POST", "/v1/invitations", {
      token: inviter.token,
      body: { email: person.email, role: "member" },
    });
    expect(invitation.status).toBe(201);
    const accepted = await call("POST", "/v1/invitations/accept", {
      body: { token: await invitationToken(testRun(), invitation), password },
    });
    expect(accepted.status).toBe(200);
    expect(accepted.json).toEqual({ mfaRequired: true, mfaToken: expect.any(String) });
    const wrong = await call("POST", "/v1/auth/mfa", {
      body: { mfaToken: accepted.json.mfaToken, code: codeAt(secret, -3, now) },
    });
    expect(wrong.status).toBe(401);
    const done = await call("POST", "/v1/auth/mfa", {
      body: { mfaToken: accepted.json.mfaToken, code: codeAt(secret, 1, now) },
    });
    expect(done.status).toBe(200);
    const claims = JSON.parse(
      Buffer.from(done.json.accessToken.split(".")[1], "base64url").toString(),
    );
    const [tenant] = await sql`
      select tenant_id from memberships where user_id = ${person.userId} and role = 'member'`;
    expect(claims).toMatchObject({ sub: person.userId, tid: tenant?.tenantId, role: "member" });
  });
});

describe("a sealed secret", () => {
  it("is bound to its person: copied to another's row it opens for nobody, and login refuses the code (401, not 500)", async () => {
    const alice = await signUp();
    const bob = await signUp();
    const a = await enrol(alice);
    await enrol(bob);
    await sql`
      update totp_factors set secret_ciphertext =
        (select secret_ciphertext from totp_factors where user_id = ${alice.userId})
      where user_id = ${bob.userId}`;
    const login = await logIn(bob);
    const answer = await call("POST", "/v1/auth/mfa", {
      body: { mfaToken: login.json.mfaToken, code: codeAt(a.secret, 1, a.now) },
    });
    expect(answer.status).toBe(401);
    expect(answer.json.code).toBe("mfa_failed");
  });
});

describe("turning TOTP off", () => {
  it("needs the password: a wrong one is 401 and leaves it on; the right one turns it off and mails a notice", async () => {
    const person = await signUp();
    await enrol(person);
    const wrong = await call("DELETE", "/v1/me/mfa/totp", {
      token: person.token,
      body: { password: "not the password" },
    });
    expect(wrong.status).toBe(401);
    expect(wrong.json.code).toBe("invalid_credentials");
    expect((await logIn(person)).json.mfaRequired).toBe(true);
    const missing = await call("DELETE", "/v1/me/mfa/totp", { token: person.token, body: {} });
    expect(missing.status).toBe(422);

    const off = await call("DELETE", "/v1/me/mfa/totp", {
      token: person.token,
      body: { password },
    });
    expect(off.status).toBe(204);
    expect((await logIn(person)).json.accessToken).toEqual(expect.any(String));
    const [codes] =
      await sql`select count(*)::int as n from recovery_codes where user_id = ${person.userId}`;
    expect(codes?.n).toBe(0);
    expect(await mailsTo(person.email)).toContainEqual(
      expect.objectContaining({ data: expect.objectContaining({ change: "disabled" }) }),
    );
    const [audit] =
      await sql`select 1 from audit_events where actor_id = ${person.userId} and action = 'mfa_disabled'`;
    expect(audit).toBeDefined();
    // Nothing left to turn off.
    const again = await call("DELETE", "/v1/me/mfa/totp", {
      token: person.token,
      body: { password },
    });
    expect(again.status).toBe(404);
  });
});
