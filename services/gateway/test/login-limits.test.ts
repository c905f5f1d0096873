import { randomBytes } from "node:crypto";
import { eventually } from "@oryn/testing/wait";
import { afterAll, describe, expect, it } from "vitest";
import { gatewayInProcess, password, uniqueSignup } from "./fixtures.ts";

// Calls come through a trusted proxy on loopback naming a new client address each time: one
// guesser spread over many addresses, as a botnet would be.
const gateway = await gatewayInProcess({ TRUSTED_PROXIES: "loopback" });
afterAll(() => gateway.close());
const newAddress = () =>
  `2001:db8:2::${randomBytes(2).toString("hex")}:${randomBytes(2).toString("hex")}`;

async function signUp(on = gateway) {
  const body = uniqueSignup();
  const answer = await on.call("POST", "/v1/signup", {
    body,
    headers: { "x-forwarded-for": newAddress() },
  });
  expect(answer.status).toBe(202);
  return body.owner.email;
}

const logIn = (email: string, pass: string, from = newAddress(), on = gateway) =>
  on.call("POST", "/v1/auth/login", {
    body: { email, password: pass },
    headers: { "x-forwarded-for": from },
  });

describe("failed logins for one account from many addresses", () => {
  it("lock the account: 20 wrong passwords, each from a new address, meet 429", async () => {
    const email = await signUp();
    const statuses: number[] = [];
    for (let attempt = 0; attempt < 20; attempt++) {
      statuses.push((await logIn(email, `wrong password ${attempt}`)).status);
    }
    // The first ten are free; each failure after locks the account for twice as long.
    expect(statuses.slice(0, 10)).toEqual(Array(10).fill(401));
    expect(statuses).toContain(429);
    // Even the right password, from yet another address, waits out the lock.
    const locked = await logIn(email, password);
    expect(locked.status).toBe(429);
    expect(locked.json.code).toBe("rate_limited");
    expect(Number(locked.headers.get("retry-after"))).toBeGreaterThan(0);
  });

  it("spare an address the owner logged in from before: a guesser cannot lock them out", async () => {
    const email = await signUp();
    const home = newAddress();
    expect((await logIn(email, password, home)).status).toBe(200);
    for (let attempt = 0; attempt < 20; attempt++) await logIn(email, `wrong ${attempt}`);
    expect((await logIn(email, password)).status).toBe(429);
    expect((await logIn(email, password, home)).status).toBe(200);
  });

  it("lock only briefly: the lock ends by LOGIN_ACCOUNT_MAX_LOCK_SECONDS", async () => {
    const brief = await gatewayInProcess({
      TRUSTED_PROXIES: "loopback",
      LOGIN_ACCOUNT_FREE_FAILURES: "2",
      LOGIN_ACCOUNT_MAX_LOCK_SECONDS: "3",
    });
    try {
      const email = await signUp(brief);
      // Wrong passwords until the account is locked: the locks double, 1 s, 2 s, then 3 s.
      let locked = await logIn(email, "wrong password!", newAddress(), brief);
      for (let attempt = 0; attempt < 20 && locked.status !== 429; attempt++) {
        locked = await logIn(email, "wrong password!", newAddress(), brief);
      }
      expect(locked.status).toBe(429);
      expect(Number(locked.headers.get("retry-after"))).toBeLessThanOrEqual(3);
      await eventually(
        () => logIn(email, password, newAddress(), brief),
        (answer) => answer.status === 200,
      );
    } finally {
      await brief.close();
    }
  });

  it("is lifted at once by clearAccount (what a completed password reset calls)", async () => {
    const email = await signUp();
    for (let attempt = 0; attempt < 20; attempt++) await logIn(email, `wrong ${attempt}`);
    expect((await logIn(email, password)).status).toBe(429);
    await gateway.deps.loginLimiter.clearAccount(email);
    expect((await logIn(email, password)).status).toBe(200);
  });
});
