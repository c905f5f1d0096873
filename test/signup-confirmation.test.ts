/**
 * Signups confirmed by mail (SIGNUP_CONFIRMATION=email, issue 21 point 5): the signup's answer is
 * the same whether or not the address has an account, and only the reader of the address's mail
 * goes on. Every service is a real process; mail goes through a real SMTP server and each token
 * is read out of the received message.
 */
import { randomBytes } from "node:crypto";
import { accountsStack, problem, unique } from "@oryn/testing/accounts-stack";
import { eventually, testPassword } from "@oryn/testing/wait";
import { describe, expect, it } from "vitest";

const stack = accountsStack("signup-confirmation", {
  SIGNUP_CONFIRMATION: "email",
  SIGNUP_MAILS_PER_ADDRESS_PER_HOUR: "3",
});
const call = (...args: Parameters<typeof stack.call>) => stack.call(...args);

const signupBody = (email: string, id = unique(), slug: string | undefined = `acme-${id}`) => ({
  company: { name: `Acme ${id}`, ...(slug ? { slug } : {}) },
  owner: { email, password: testPassword, name: "Ada" },
});

/** What a client can tell an answer by: status, body and the headers other than the per-request ones. */
const visible = (answer: Awaited<ReturnType<typeof call>>) => ({
  status: answer.status,
  body: answer.json,
  headers: [...answer.headers.keys()]
    .filter((name) => !["date", "x-request-id", "ratelimit", "content-length"].includes(name))
    .sort(),
});

/** A company signed up and confirmed through its mailed link: the owner's address has an account. */
async function signUpConfirmed(): Promise<{ email: string; token: string }> {
  const email = `owner-${unique()}@acme.test`;
  expect((await call("POST", "/v1/signup", { body: signupBody(email) })).status).toBe(202);
  const mail = await stack.smtp.waitForMail(email);
  const confirmed = await call("POST", "/v1/signup/confirm", { body: { token: mail.token } });
  expect(confirmed.status).toBe(202);
  return { email, token: confirmed.json.tokens.accessToken };
}

const countOf = async (query: Promise<{ n: number }[]>) => (await query)[0]?.n;

describe("signup confirmed by mail", () => {
  it("creates nothing until the mailed link is followed, then the tenant with a verified owner", async () => {
    const email = `new-${unique()}@acme.test`;
    const slug = `acme-${unique()}`;
    const body = signupBody(email, unique(), slug);
    const asked = await call("POST", "/v1/signup", { body });
    expect(asked.status).toBe(202);
    expect(asked.json).toEqual({ status: "confirmation_sent" });

    const mail = await stack.smtp.waitForMail(email);
    expect(mail.subject).toMatch(/Confirm your .* signup/);
    expect(mail.link).toBe(`https://app.acme.test/confirm-signup?token=${mail.token}`);
    expect(mail.text).toContain(body.company.name);
    expect(
      await countOf(
        stack.sql<{ n: number }[]>`select count(*)::int as n from users where email = ${email}`,
      ),
    ).toBe(0);
    expect(
      await countOf(
        stack.sql<{ n: number }[]>`select count(*)::int as n from tenants where slug = ${slug}`,
      ),
    ).toBe(0);

    const confirmed = await call("POST", "/v1/signup/confirm", { body: { token: mail.token } });
    expect(confirmed.status).toBe(202);
    expect(confirmed.json).toMatchObject({
      tenant: { slug, name: body.company.name, status: "provisioning" },
      user: { email, name: "Ada" },
      tokens: { tokenType: "Bearer" },
    });
    const token = confirmed.json.tokens.accessToken as string;
    // The link proved the address: verified at once, and no verification mail follows.
    expect((await stack.me(token)).json).toMatchObject({ email, emailVerified: true });
    const tenant = await eventually(
      () => call("GET", "/v1/tenant", { token }),
      (answer) => answer.json?.status === "active",
      { timeoutMs: 60_000 },
    );
    expect(tenant.json.status).toBe("active");
    // The password given at signup is the account's.
    const login = await call("POST", "/v1/auth/login", {
      body: { email, password: testPassword },
    });
    expect(login.status).toBe(200);

    // The link works once.
    const again = await call("POST", "/v1/signup/confirm", { body: { token: mail.token } });
    expect(problem(again)).toEqual([401, "invalid_token"]);
    expect(stack.smtp.messagesTo(email)).toHaveLength(1);
  });

  it("answers an address with an account exactly as a new one, and mails it a notice instead", async () => {
    const owner = await signUpConfirmed();
    const fresh = `fresh-${unique()}@acme.test`;
    const forNew = await call("POST", "/v1/signup", { body: signupBody(fresh) });
    const forTaken = await call("POST", "/v1/signup", { body: signupBody(owner.email) });
    expect(visible(forTaken)).toEqual(visible(forNew));

    const notice = await stack.smtp.waitForMail(owner.email);
    expect(notice.subject).toMatch(/tried to sign up/);
    expect(notice.token).toBeUndefined();
    expect(notice.text).toContain("already has an account");
    await stack.smtp.waitForMail(fresh);
    // Nothing was made for the address that has an account: no pending signup, no tenant.
    expect(
      await countOf(
        stack.sql<{ n: number }[]>`select count(*)::int as n from pending_signups
                  where email = ${owner.email} and used_at is null`,
      ),
    ).toBe(0);
    expect(
      await countOf(
        stack.sql<
          { n: number }[]
        >`select count(*)::int as n from memberships m join users u on u.id = m.user_id
                  where u.email = ${owner.email}`,
      ),
    ).toBe(1);
  });

  it("leaves the link unspent when the slug was taken meanwhile, and takes another slug", async () => {
    const slug = `shared-${unique()}`;
    const first = `first-${unique()}@acme.test`;
    const second = `second-${unique()}@acme.test`;
    await call("POST", "/v1/signup", { body: signupBody(first, unique(), slug) });
    await call("POST", "/v1/signup", { body: signupBody(second, unique(), slug) });
    const firstMail = await stack.smtp.waitForMail(first);
    const secondMail = await stack.smtp.waitForMail(second);
    expect(
      (await call("POST", "/v1/signup/confirm", { body: { token: firstMail.token } })).status,
    ).toBe(202);
    const taken = await call("POST", "/v1/signup/confirm", { body: { token: secondMail.token } });
    expect(problem(taken)).toEqual([409, "slug_taken"]);
    expect(
      await countOf(
        stack.sql<{ n: number }[]>`select count(*)::int as n from users where email = ${second}`,
      ),
    ).toBe(0);
    const other = await call("POST", "/v1/signup/confirm", {
      body: { token: secondMail.token, slug: `${slug}-2` },
    });
    expect(other.status).toBe(202);
    expect(other.json.tenant.slug).toBe(`${slug}-2`);
  });

  it("refuses unknown, forged and expired links, and changes nothing", async () => {
    const email = `late-${unique()}@acme.test`;
    await call("POST", "/v1/signup", { body: signupBody(email) });
    const mail = await stack.smtp.waitForMail(email);
    await stack.sql`update pending_signups set expires_at = now() - interval '1 second'
                    where email = ${email}`;
    const forged = `osu_${randomBytes(32).toString("base64url")}`;
    for (const token of [mail.token, forged, "short"]) {
      const answer = await call("POST", "/v1/signup/confirm", { body: { token } });
      expect(problem(answer), token).toEqual([401, "invalid_token"]);
    }
    expect(
      await countOf(
        stack.sql<{ n: number }[]>`select count(*)::int as n from users where email = ${email}`,
      ),
    ).toBe(0);
  });

  it("limits requests per address whether or not it has an account, so no inbox is flooded", async () => {
    const owner = await signUpConfirmed();
    const fresh = `flood-${unique()}@acme.test`;
    for (const email of [owner.email, fresh]) {
      // signUpConfirmed spent one of the owner's three.
      const allowed = email === fresh ? 3 : 2;
      for (let i = 0; i < allowed; i++) {
        expect((await call("POST", "/v1/signup", { body: signupBody(email) })).status).toBe(202);
      }
      const refused = await call("POST", "/v1/signup", { body: signupBody(email) });
      expect(problem(refused)).toEqual([429, "rate_limited"]);
      expect(Number(refused.headers.get("retry-after"))).toBeGreaterThan(0);
    }
  });
});
