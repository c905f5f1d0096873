import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { serviceEnv, testRun } from "@oryn/testing/context";
import { type Oryn, startOryn } from "@oryn/testing/processes";
import { type SmtpReceiver, startSmtpReceiver } from "@oryn/testing/smtp-receiver";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildConsole } from "../scripts/build-console.ts";
import {
  consoleWindow,
  expectHeading,
  inAnotherBrowser,
  keepPage,
  patiently,
  submitSignIn,
  watchedPage,
} from "./console-browser.ts";

const cookieName = "__Secure-oryn-refresh";
const accessTtlSeconds = 8;

/**
 * The console's browser session in Chromium against the real stack: the refresh token in an
 * HttpOnly cookie that survives a reload and is cleared by signing out, the access token in
 * memory only, other origins refused; and the pages for a change of email and the security log.
 */
describe("console sessions", () => {
  let oryn: Oryn;
  let smtp: SmtpReceiver;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  /** Another site's pages, for the cross-site and same-site (other port) attacks. */
  let elsewhere: Server;
  const problems: string[] = [];
  const owner = {
    email: `owner-${Date.now().toString(36)}@session.test`,
    password: "correct horse battery",
    name: "Ada Session",
  };

  beforeAll(async () => {
    buildConsole();
    smtp = await startSmtpReceiver();
    const run = testRun();
    oryn = await startOryn(
      // A queue prefix of the file's own: its mailer must not send other files' mail.
      { ...serviceEnv(run), REDIS_PREFIX: `${run.redisPrefix}-console-session` },
      {
        // Short-lived access tokens: the page refreshes them with the cookie every few seconds
        // through every flow below, and a tab asleep past its refresh meets an expired one.
        gateway: { ACCESS_TOKEN_TTL_SECONDS: String(accessTtlSeconds) },
        // No Stripe here: a billing with a key sweeps every tenant of the shared control plane
        // into its own fake Stripe, customers that another file's fake Stripe then does not know.
        mailer: { SMTP_URL: smtp.url },
      },
      { mailer: true },
    );
    elsewhere = await attackerSite(() => `${oryn.gatewayUrl}/v1/auth/refresh`);
    ({ browser, context, page } = await consoleWindow(problems));
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await new Promise((resolve) => (elsewhere ? elsewhere.close(resolve) : resolve(undefined)));
    await oryn?.stop();
    await smtp?.stop();
  });

  const url = (path: string) => `${oryn.gatewayUrl}${path}`;
  const refreshCookie = async () =>
    (await context.cookies(url("/v1/auth/refresh"))).find((cookie) => cookie.name === cookieName);
  const keep = (name: string, on: Page = page) => keepPage(on, name);

  it("signs up; the refresh token is an HttpOnly cookie and no token is in the page's storage", async () => {
    await page.goto(url("/sign-up"));
    await expectHeading(page, "Create your organisation");
    await page.getByLabel("Organisation name").fill("Session Test Co");
    await page.getByLabel("Your name").fill(owner.name);
    await page.getByLabel("Email").fill(owner.email);
    await page.getByLabel("Password").fill(owner.password);
    await page.getByRole("button", { name: "Create organisation" }).click();
    await expectHeading(page, "Overview");
    await page.getByTestId("tenant-status").getByText("Active").waitFor({ timeout: 60_000 });

    // Chromium kept the Secure cookie over http://127.0.0.1 (a potentially trustworthy origin).
    const cookie = await refreshCookie();
    expect(cookie, "the refresh cookie").toMatchObject({
      httpOnly: true,
      secure: true,
      sameSite: "Strict",
      path: "/v1/auth",
    });
    // A script sees neither it nor any token: not in document.cookie, not in storage.
    const visible = await page.evaluate(() => ({
      cookies: document.cookie,
      storage: [...Object.entries(localStorage), ...Object.entries(sessionStorage)].flat(),
    }));
    expect(visible.cookies).not.toContain(cookieName);
    expect(visible.storage.filter((value) => /eyJ|oryn|refresh/i.test(value))).toEqual([]);
    expect(visible.storage.join("")).not.toContain(cookie?.value ?? "-");
  }, 90_000);

  it("keeps the person signed in across a reload and a deep link, and rotates the cookie", async () => {
    const before = (await refreshCookie())?.value;
    await page.reload();
    await expectHeading(page, "Overview");
    expect(page.url()).not.toContain("/sign-in");
    await page.goto(url("/projects"));
    await expectHeading(page, "Projects");
    // Each restore spent the cookie's token and set its successor.
    const after = (await refreshCookie())?.value;
    expect(after).toEqual(expect.any(String));
    expect(after).not.toBe(before);
    // The sign-in page of a signed-in person goes straight on.
    await page.goto(url(`/sign-in?next=${encodeURIComponent("/members")}`));
    await expectHeading(page, "Members");
  }, 60_000);

  it("refuses a form posted to refresh from another site and from another port of the same site", async () => {
    const attacker = await context.newPage();
    try {
      // Another port of 127.0.0.1 is the same site: SameSite=Strict sends the cookie, and the
      // gateway's same-origin check refuses it before reading the body.
      const port = (elsewhere.address() as AddressInfo).port;
      await attacker.goto(`http://127.0.0.1:${port}/form`);
      await attacker.getByRole("button", { name: "Win a prize" }).click();
      await attacker.waitForURL(/\/v1\/auth\/refresh$/);
      const sameSite = JSON.parse((await attacker.locator("body").textContent()) ?? "{}");
      expect(sameSite).toMatchObject({ status: 403, code: "cross_site_request" });

      // localhost is another site than 127.0.0.1: the browser does not send the cookie at all.
      await attacker.goto(`http://localhost:${port}/form`);
      await attacker.getByRole("button", { name: "Win a prize" }).click();
      await attacker.waitForURL(/\/v1\/auth\/refresh$/);
      const crossSite = (await attacker.locator("body").textContent()) ?? "";
      expect(crossSite).not.toContain("accessToken");
      expect(JSON.parse(crossSite).status).toBeGreaterThanOrEqual(400);

      // A script there cannot send the opt-in header: the CORS preflight is refused.
      await attacker.goto(`http://localhost:${port}/form`);
      const fetched = await attacker.evaluate(async (target) => {
        try {
          const answer = await fetch(target, {
            method: "POST",
            credentials: "include",
            headers: { "content-type": "application/json", "x-oryn-session": "cookie" },
            body: "{}",
          });
          return `answered ${answer.status}`;
        } catch {
          return "blocked";
        }
      }, url("/v1/auth/refresh"));
      expect(fetched).toBe("blocked");
    } finally {
      await attacker.close();
    }
    // None of it ended the session (the page's own refreshes may have rotated the cookie).
    expect((await refreshCookie())?.value).toEqual(expect.any(String));
    await page.reload();
    await expectHeading(page, "Members");
  }, 60_000);

  it("changes the email address through the link mailed to the new one", async () => {
    await page.goto(url("/account/security"));
    await expectHeading(page, "Sign-in and security");
    const moved = `moved-${Date.now().toString(36)}@session.test`;
    await page.getByLabel("New email").fill(moved);
    await page.getByLabel("Password for the change").fill("not the password");
    await page.getByRole("button", { name: "Change email" }).click();
    // A wrong password is said in words, and the session goes on.
    await page.getByRole("alert").getByText("The email or password is not right.").waitFor();
    await page.getByLabel("Password for the change").fill(owner.password);
    await page.getByRole("button", { name: "Change email" }).click();
    await page.getByText(`A link to confirm ${moved} is on its way there.`).waitFor();
    await keep("account-email-change");

    const mail = await smtp.waitForMail(moved);
    const link = new URL(mail.link ?? "about:blank");
    expect(link.pathname).toBe("/verify-email");
    await page.goto(url(`${link.pathname}${link.search}`));
    await expectHeading(page, "Verify your email");
    await page.getByRole("button", { name: "Verify my email address" }).click();
    await page.getByTestId("email-verified").waitFor();
    await page.goto(url("/account/security"));
    await expectHeading(page, "Sign-in and security");
    await expect.poll(() => page.getByTestId("my-email").textContent(), patiently).toBe(moved);
    owner.email = moved;
  }, 60_000);

  it("shows the security log, a page at a time, filtered by person in the URL", async () => {
    await page.goto(url("/audit-log"));
    await expectHeading(page, "Audit log");
    await page.getByRole("link", { name: "security log" }).click();
    await expectHeading(page, "Security log");
    await page.getByRole("cell", { name: "signed up", exact: true }).waitFor();
    await page.getByRole("cell", { name: owner.name, exact: true }).first().waitFor();
    await keep("security-log");
    await page.getByLabel("Whose events").selectOption({ label: owner.name });
    await expect.poll(() => page.url(), patiently).toContain("actor=");
    await page.getByRole("cell", { name: "signed up", exact: true }).waitFor();
    // The filter is part of the address: a reload shows the same list.
    await page.reload();
    await expectHeading(page, "Security log");
    await expect.poll(() => page.getByLabel("Whose events").inputValue(), patiently).not.toBe("");
  }, 60_000);

  it("has the organisation's two-factor rule in settings, refused to an owner without it", async () => {
    await page.goto(url("/settings"));
    await expectHeading(page, "Settings");
    const rule = page.getByLabel("Require two-factor sign-in of every member", { exact: false });
    expect(await rule.isChecked()).toBe(false);
    await rule.check();
    await page.getByRole("button", { name: "Save the rule" }).click();
    await page.getByRole("alert").getByText("Turn on two-factor authentication yourself").waitFor();
    await keep("settings-mfa-rule");
    await rule.uncheck();
    await page.getByRole("button", { name: "Save the rule" }).click();
    await page.getByText("Two-factor sign-in is no longer required.").waitFor();
  }, 60_000);

  it("carries on in a tab that slept past its refresh: the expired token is renewed with the cookie", async () => {
    const laptop = await browser.newContext();
    try {
      await laptop.clock.install();
      const tab = await watchedPage(laptop, problems);
      await tab.goto(url("/sign-in"));
      await submitSignIn(tab, owner);
      await expectHeading(tab, "Overview");
      // The lid closes: the page's timers stop (its refresh among them) while time goes on.
      await pauseSoon(tab);
      await new Promise((resolve) => setTimeout(resolve, (accessTtlSeconds + 2) * 1000));
      // The lid opens on a click: the API refuses the expired token (401), the page gets a new
      // one with the cookie and asks again, so the list shows rather than a sign-in.
      const answers: string[] = [];
      tab.on("response", (answer) => {
        const path = new URL(answer.url()).pathname;
        if (path.startsWith("/v1/")) answers.push(`${answer.status()} ${path}`);
      });
      await tab
        .getByRole("navigation", { name: "Main" })
        .getByRole("link", { name: "Projects" })
        .click();
      await expectHeading(tab, "Projects");
      await tab.getByText("No projects yet.").waitFor();
      expect(tab.url()).not.toContain("/sign-in");
      expect(await tab.getByRole("alert").count()).toBe(0);
      // What happened in between: a refusal of the expired token, then a refresh with the
      // cookie, then the list asked again and answered.
      const refused = answers.indexOf("401 /v1/projects");
      const refreshed = answers.indexOf("200 /v1/auth/refresh");
      expect(refused, answers.join(", ")).toBeGreaterThanOrEqual(0);
      expect(refreshed, answers.join(", ")).toBeGreaterThan(refused);
      expect(answers.lastIndexOf("200 /v1/projects"), answers.join(", ")).toBeGreaterThan(
        refreshed,
      );
    } finally {
      await laptop.close();
    }
  }, 60_000);

  it("keeps the Secure cookie over http://localhost as well", async () => {
    await inAnotherBrowser(browser, problems, async (tab, local) => {
      const at = url("/sign-in").replace("127.0.0.1", "localhost");
      await tab.goto(at);
      await submitSignIn(tab, owner);
      await expectHeading(tab, "Overview");
      const cookies = await local.cookies(at.replace("/sign-in", "/v1/auth/refresh"));
      expect(cookies.find((cookie) => cookie.name === cookieName)).toMatchObject({
        domain: "localhost",
        secure: true,
        httpOnly: true,
      });
      await tab.reload();
      await expectHeading(tab, "Overview");
    });
  }, 60_000);

  it("signs out: the cookie is gone and a reload asks to sign in", async () => {
    await page.getByRole("button", { name: "Sign out" }).click();
    await expectHeading(page, "Sign in");
    await expect.poll(refreshCookie, patiently).toBeUndefined();
    await page.goto(url("/projects"));
    await expect.poll(() => page.url(), patiently).toContain("/sign-in?next=");
    await expectHeading(page, "Sign in");
    // And signing in again restores cookie mode.
    await page.getByLabel("Email").fill(owner.email);
    await page.getByLabel("Password").fill(owner.password);
    await page.getByRole("button", { name: "Sign in" }).click();
    await expectHeading(page, "Projects");
    expect(await refreshCookie()).toBeDefined();
    expect(problems).toEqual([]);
  }, 60_000);
});

/** A page on another origin with a form that posts to `target()`, as a hostile site would. */
async function attackerSite(target: () => string): Promise<Server> {
  const server = createServer((_request, response) => {
    response.setHeader("content-type", "text/html; charset=utf-8");
    response.end(`<!doctype html><html lang="en"><head><title>Prizes</title></head><body><main>
<form method="post" action="${target()}"><input type="hidden" name="refreshToken" value="x">
<button type="submit">Win a prize</button></form></main></body></html>`);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return server;
}

/**
 * Pauses the page's clock a moment from now. The time must still be ahead of the page's clock
 * when the page gets the call; on a loaded machine even a second can pass on the way, so a
 * pause refused as "in the past" is asked again further ahead.
 */
async function pauseSoon(tab: Page): Promise<void> {
  for (let ahead = 500; ; ahead += 1_000) {
    try {
      await tab.clock.pauseAt(Date.now() + ahead);
      return;
    } catch (error) {
      if (!String(error).includes("to the past") || ahead > 3_000) throw error;
    }
  }
}
