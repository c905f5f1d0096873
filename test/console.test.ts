import { createOrynClient } from "@oryn/client";
import { serviceEnv } from "@oryn/testing/context";
import { type FakeStripe, startFakeStripe } from "@oryn/testing/fake-stripe";
import { isolatedRun } from "@oryn/testing/isolated-run";
import { type Oryn, startOryn } from "@oryn/testing/processes";
import {
  type ReceivedMail,
  type SmtpReceiver,
  startSmtpReceiver,
} from "@oryn/testing/smtp-receiver";
import { Secret, TOTP } from "otpauth";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildConsole } from "../scripts/build-console.ts";
import {
  consoleWindow,
  expectHeading as expectHeadingOn,
  keepPage,
  mailedLink as mailedLinkOn,
  patiently,
  submitSignIn,
  watchedPage,
} from "./console-browser.ts";

/**
 * The console (apps/console) in a real browser against the real stack: every service a process,
 * fake Stripe for billing. One signed-up organisation goes through the pages in order; each main
 * page is kept as a screenshot under test-results/console/ and scanned with axe-core.
 */
describe("console", () => {
  let oryn: Oryn;
  let stripe: FakeStripe;
  /** The real SMTP side: the mailer delivers here, and the links are read from what arrives. */
  let smtp: SmtpReceiver;
  let browser: Browser;
  let page: Page;
  /** Console errors and refused requests: a CSP that blocked part of the app shows up here. */
  const problems: string[] = [];
  const owner = {
    email: `owner-${Date.now().toString(36)}@console.test`,
    password: "correct horse battery",
    name: "Ada Owner",
  };
  let slug = "";
  let invitee = "";
  /** The owner's API client, signed in outside the browser (another tab, another device). */
  let other: ReturnType<typeof createOrynClient> | undefined;

  let run: Awaited<ReturnType<typeof isolatedRun>> | undefined;

  beforeAll(async () => {
    // Built only when its sources changed since the last build (scripts/build-console.ts).
    buildConsole();
    stripe = await startFakeStripe();
    smtp = await startSmtpReceiver();
    // A control plane (and queue prefix) of the file's own: another file's billing, with its own
    // fake Stripe, would otherwise make Stripe customers for this file's tenants in its sweep, and
    // this file's Checkout would then name a customer its fake Stripe never saw. The mailer
    // likewise sends only this file's mail.
    run = await isolatedRun("console");
    oryn = await startOryn(
      serviceEnv(run),
      { billing: stripe.env(), mailer: { SMTP_URL: smtp.url } },
      { mailer: true },
    );
    ({ browser, page } = await consoleWindow(problems, stripePages));
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await oryn?.stop();
    await stripe?.close();
    await smtp?.stop();
    await run?.drop();
  });

  // Stripe's pages are stubbed (see the billing test): requests to them may fail.
  const stripePages = (requestUrl: string) => requestUrl.includes("stripe.test");
  const watched = (of: BrowserContext) => watchedPage(of, problems, stripePages);
  const keep = (name: string, on: Page = page) => keepPage(on, name);

  const url = (path: string) => `${oryn.gatewayUrl}${path}`;
  /** A mailed link, on this stack's gateway (the mail names APP_URL's default origin). */
  const mailedLink = (mail: ReceivedMail) => mailedLinkOn(oryn.gatewayUrl, mail);
  const expectHeading = (text: string, on: Page = page) => expectHeadingOn(on, text);
  const nav = (name: string) =>
    page.getByRole("navigation", { name: "Main" }).getByRole("link", { name, exact: true }).click();

  it("is served at / with a strict Content-Security-Policy; the API and /docs keep theirs", async () => {
    const home = await fetch(url("/"));
    expect(home.status).toBe(200);
    expect(home.headers.get("content-type")).toMatch(/^text\/html/);
    const policy = home.headers.get("content-security-policy") ?? "";
    expect(policy).toContain("script-src 'self'");
    expect(policy).toContain("frame-ancestors 'none'");
    expect(policy).not.toContain("unsafe-inline");
    expect(policy).not.toContain("unsafe-eval");
    const page = await home.text();
    // No inline script: every <script> names its file.
    expect(page.match(/<script(?![^>]*\bsrc=)[^>]*>/g) ?? []).toEqual([]);

    // A deep link is the same page; the app's router picks what to show.
    const deep = await fetch(url("/projects/8c1f0b5e-0000-4000-8000-000000000000"));
    expect(deep.status).toBe(200);
    expect(await deep.text()).toBe(page);

    const asset = page.match(/src="(\/assets\/[^"]+\.js)"/)?.[1];
    const script = await fetch(url(asset ?? "/assets/missing.js"));
    expect(script.status).toBe(200);
    expect(script.headers.get("cache-control")).toContain("immutable");

    // Nothing outside the build is served, however the path is spelled.
    const outside = await fetch(url("/assets/%2e%2e/%2e%2e/%2e%2e/%2e%2e/package.json"));
    expect(await outside.text()).not.toContain('"name"');

    // The API's own paths keep their answers: an unknown one is problem+json, not the app.
    const unknown = await fetch(url("/v1/no-such-thing"));
    expect(unknown.status).toBe(404);
    expect(unknown.headers.get("content-type")).toContain("application/problem+json");
    expect(unknown.headers.get("content-security-policy")).toContain("default-src 'none'");
    const docs = await fetch(url("/docs"));
    expect(docs.headers.get("content-security-policy")).toContain(
      "style-src 'self' 'unsafe-inline'",
    );
  });

  it("signs up and follows provisioning until the organisation is active", async () => {
    await page.goto(url("/"));
    // Signed out, a console page sends to sign in (and back afterwards).
    await expect.poll(() => page.url(), patiently).toContain("/sign-in?next=");
    await keep("sign-in");
    // The first thing the keyboard reaches, before the navigation, is the skip link.
    const first = await page.evaluate(
      () => document.querySelector("a[href], button, input, select, textarea")?.textContent,
    );
    expect(first).toBe("Skip to content");
    await page.getByRole("link", { name: "Create an organisation" }).click();
    await expectHeading("Create your organisation");
    await keep("sign-up");
    await page.getByLabel("Organisation name").fill("Console Test Co");
    await page.getByLabel("Your name").fill(owner.name);
    await page.getByLabel("Email").fill(owner.email);
    await page.getByLabel("Password").fill(owner.password);
    await page.getByRole("button", { name: "Create organisation" }).click();
    await expectHeading("Overview");
    await page.getByTestId("tenant-status").getByText("Active").waitFor({ timeout: 60_000 });
    slug = (await page.locator("dd code").first().textContent()) ?? "";
    expect(slug).not.toBe("");
    await keep("overview");

    // Not verified yet: the account page says so and mails a new link on request.
    await nav("Your account");
    await expectHeading("Sign-in and security");
    await page.getByText("(not verified)").waitFor();
    await page.getByRole("button", { name: "Send the link again" }).click();
    await page.getByText(`A new link is on its way to ${owner.email}.`).waitFor();
    await keep("account-unverified");
    await smtp.waitForMail(owner.email); // the one mailed at signup

    // The new link from the mail, opened in another tab: inviting and API keys need it.
    const verification = await smtp.waitForMail(owner.email);
    const mailbox = await browser.newContext();
    try {
      const tab = await watched(mailbox);
      await tab.goto(mailedLink(verification));
      await expectHeading("Verify your email", tab);
      await keep("verify-email", tab);
      await tab.getByRole("button", { name: "Verify my email address" }).click();
      await tab.getByTestId("email-verified").waitFor();
    } finally {
      await mailbox.close();
    }
  }, 90_000);

  it("creates a project and a task, and shows a stale edit as a conflict with a reload", async () => {
    await nav("Projects");
    await expectHeading("Projects");
    // Focus moves to the new page's heading, for keyboard and screen reader users.
    expect(await page.evaluate(() => document.activeElement?.tagName)).toBe("H1");
    await page.getByLabel("Name").fill("Launch");
    await page.getByLabel("Description").fill("Everything for the launch");
    await page.getByRole("button", { name: "Create project" }).click();
    await expectHeading("Launch");
    const projectUrl = page.url();
    expect(projectUrl).toMatch(/\/projects\/[0-9a-f-]{36}$/);

    await page.getByLabel("Title").fill("Write the announcement");
    await page.getByRole("button", { name: "Add task" }).click();
    await page.getByRole("link", { name: "Write the announcement" }).waitFor();

    // Someone else changes the project after this page loaded it: the page's ETag is stale.
    const api = createOrynClient({ baseUrl: oryn.gatewayUrl });
    const login = await api.POST("/v1/auth/login", {
      body: { email: owner.email, password: owner.password },
    });
    // The owner has no second factor: the answer is tokens, not a challenge.
    const tokens = login.data && "accessToken" in login.data ? login.data : undefined;
    other = createOrynClient({ baseUrl: oryn.gatewayUrl, token: tokens?.accessToken });
    const id = projectUrl.split("/").pop() ?? "";
    const changed = await other.PATCH("/v1/projects/{id}", {
      params: { path: { id } },
      body: { name: "Launch (renamed elsewhere)" },
    });
    expect(changed.response.status).toBe(200);

    const name = page.getByLabel("Name");
    await name.fill("Launch v2");
    await page.getByRole("button", { name: "Save changes" }).click();
    const alert = page.getByRole("alert");
    await alert.getByText("Someone changed this since you opened it").waitFor();
    await keep("project-conflict");
    await alert.getByRole("button", { name: "Reload the current version" }).click();
    await expect.poll(() => name.inputValue(), patiently).toBe("Launch (renamed elsewhere)");
    await name.fill("Launch v2");
    await page.getByRole("button", { name: "Save changes" }).click();
    await page.getByRole("status").getByText("Saved.").waitFor();
    await expectHeading("Launch v2");

    // The task's own page, by its URL; the back button returns to the project.
    await page.getByRole("link", { name: "Write the announcement" }).click();
    await expectHeading("Write the announcement");
    await page.getByLabel("Status").selectOption("done");
    await page.getByRole("button", { name: "Save changes" }).click();
    await page.getByRole("status").getByText("Saved.").waitFor();
    await keep("task");
    await page.goBack();
    await expect.poll(() => page.url(), patiently).toBe(projectUrl);
    await page.getByText("done", { exact: true }).waitFor();
    await keep("project");
  }, 60_000);

  it("invites someone, who accepts from the link and is a member", async () => {
    await nav("Invitations");
    await expectHeading("Invitations");
    invitee = `grace-${Date.now().toString(36)}@console.test`;
    await page.getByLabel("Email").fill(invitee);
    await page.getByRole("button", { name: "Invite" }).click();
    // The token goes to the invitee by mail only: the page shows no link, the mail has it.
    await page.getByText(`${invitee} is invited`).waitFor();
    expect(await page.getByTestId("invitation-link").count()).toBe(0);
    const link = mailedLink(await smtp.waitForMail(invitee));
    expect(link).toMatch(/\/accept-invitation\?token=/);
    await page.getByRole("cell", { name: invitee, exact: true }).waitFor();
    await keep("invitations");

    // The invitee, in a browser of their own.
    const theirs = await browser.newContext();
    try {
      const invited = await watched(theirs);
      await invited.goto(link);
      await expectHeading("Accept an invitation", invited);
      await keep("accept-invitation", invited);
      await invited.getByLabel("Your name").fill("Grace Member");
      await invited.getByLabel("Password").fill("another good password");
      await invited.getByRole("button", { name: "Join" }).click();
      await expectHeading("Overview", invited);
    } finally {
      await theirs.close();
    }

    await nav("Members");
    await page.getByRole("cell", { name: invitee, exact: true }).waitFor();
    await keep("members");
  }, 60_000);

  it("shows a new API key once, and only its prefix afterwards", async () => {
    await nav("API keys");
    await page.getByLabel("Name").fill("CI deploys");
    await page.getByRole("button", { name: "Create key" }).click();
    const secret = (await page.getByTestId("api-key-secret").textContent()) ?? "";
    expect(secret).toMatch(/^oryn_/);
    await keep("api-key-created");
    await nav("Projects");
    await nav("API keys");
    await page.getByRole("cell", { name: "CI deploys", exact: true }).waitFor();
    expect(await page.getByTestId("api-key-secret").count()).toBe(0);
    expect(await page.content()).not.toContain(secret);
  });

  it("shows the plan, sends an owner to Stripe Checkout, and has the return page", async () => {
    await nav("Billing");
    await expect.poll(() => page.getByTestId("plan").textContent(), patiently).toBe("free");
    await keep("billing");
    await page.route("https://checkout.stripe.test/**", (route) =>
      route.fulfill({ contentType: "text/html", body: "<title>Checkout</title>" }),
    );
    await page.getByRole("button", { name: "Upgrade to Pro" }).click();
    await page.waitForURL(/^https:\/\/checkout\.stripe\.test\//).catch(async (error) => {
      const alerts = await page.getByRole("alert").allTextContents();
      throw new Error(`not sent to Checkout; alerts: ${JSON.stringify(alerts)}`, { cause: error });
    });
    expect(stripe.checkoutSessions.at(-1)?.params.success_url).toContain("/billing/success");

    // Back from Stripe: a new page load, whose session the refresh cookie restores, on the page
    // Stripe returned to.
    await page.goto(url("/billing/success?session_id=cs_test_console"));
    await expectHeading("Thank you");
    expect(page.url()).toContain("/billing/success?session_id=cs_test_console");
    await keep("billing-success");
  }, 60_000);

  it("lists the audit log and verifies its chain", async () => {
    await nav("Audit log");
    await page.getByRole("cell", { name: "project updated", exact: true }).first().waitFor();
    await page.getByRole("button", { name: "Check the chain" }).click();
    await page.getByTestId("audit-verified").waitFor();
    await page.getByRole("cell", { name: owner.name, exact: true }).first().waitFor();
    await keep("audit-log");
    await page.getByLabel("Show").selectOption("task");
    await expect.poll(() => page.url(), patiently).toContain("entity=task");
    await page.getByRole("cell", { name: "task created", exact: true }).first().waitFor();
  });

  it("resets a forgotten password from the mailed link, and shows the account page", async () => {
    const theirs = await browser.newContext();
    try {
      const tab = await watched(theirs);
      await tab.goto(url("/sign-in"));
      await tab.getByRole("link", { name: "Forgot your password?" }).click();
      await expectHeading("Forgot your password", tab);
      await tab.getByLabel("Email").fill(invitee);
      await tab.getByRole("button", { name: "Send me a link" }).click();
      await tab.getByText("If an account uses that address").waitFor();
      await keep("forgot-password", tab);
      await tab.goto(mailedLink(await smtp.waitForMail(invitee)));
      await expectHeading("Choose a new password", tab);
      await tab.getByLabel("New password").fill("a brand new password");
      await tab.getByRole("button", { name: "Change password" }).click();
      await tab.getByTestId("password-reset").waitFor();
      await keep("reset-password", tab);
      await tab.getByRole("link", { name: "Sign in with the new password" }).click();
      await submitSignIn(tab, { email: invitee, password: "a brand new password" });
      await expectHeading("Overview", tab);
    } finally {
      await theirs.close();
    }

    await page.goto(url("/account/security"));
    await expectHeading("Sign-in and security");
    await page.getByText("(verified)").waitFor();
    await page.getByText("(this one)").waitFor();
    // The owner has no second factor (mfa.totp is false): the page offers to set one up only.
    await page.getByRole("button", { name: "Set up two-factor sign-in" }).waitFor();
    expect(await page.getByRole("button", { name: "Turn off two-factor sign-in" }).count()).toBe(0);
    await keep("account-security");
    // The name, through PATCH /v1/me.
    await page.getByLabel("Your name").fill("Ada Renamed");
    await page.getByRole("button", { name: "Save name" }).click();
    await page.getByText("Your name is saved.").waitFor();
    await expect
      .poll(() => page.getByLabel("Your name").inputValue(), patiently)
      .toBe("Ada Renamed");

    // Two-factor on from the page, as an authenticator app would; then the page offers only to
    // turn it off (mfa.totp is true), and turning it off with the password offers set-up again.
    await page.getByRole("button", { name: "Set up two-factor sign-in" }).click();
    const key = ((await page.getByTestId("totp-secret").textContent()) ?? "").replace(/\s/g, "");
    await page
      .getByLabel("Code from the app")
      .fill(TOTP.generate({ secret: Secret.fromBase32(key) }));
    await page.getByRole("button", { name: "Turn on" }).click();
    await page.getByTestId("recovery-codes").waitFor();
    await page.getByRole("button", { name: "Turn off two-factor sign-in" }).waitFor();
    expect(await page.getByRole("button", { name: "Set up two-factor sign-in" }).count()).toBe(0);
    await page.getByLabel("Password", { exact: true }).fill(owner.password);
    await page.getByRole("button", { name: "Turn off two-factor sign-in" }).click();
    await page.getByRole("button", { name: "Set up two-factor sign-in" }).waitFor();
    await page.goto(url("/no/such/page"));
    await expectHeading("Page not found");
  }, 60_000);

  it("fits a phone-sized screen", async () => {
    const phone = await browser.newContext({
      viewport: { width: 375, height: 740 },
      isMobile: true,
    });
    try {
      const small = await watched(phone);
      await small.goto(url("/sign-up"));
      await expectHeading("Create your organisation", small);
      const overflow = await small.evaluate(
        () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
      );
      expect(overflow).toBeLessThanOrEqual(0);
      await keep("phone-sign-up", small);
    } finally {
      await phone.close();
    }
  });

  it("adds a webhook endpoint, shows its secret once and its delivery log, and removes it", async () => {
    // Signed in already (the cookie): the sign-in page goes straight to the page asked for.
    await page.goto(url(`/sign-in?next=${encodeURIComponent("/settings")}`));
    await expectHeading("Settings");
    await page.getByRole("link", { name: "Webhooks" }).click();
    await expectHeading("Webhooks");
    await page.getByLabel("URL").fill("https://hooks.example.test/oryn");
    await page.getByRole("button", { name: "Add endpoint" }).click();
    expect(await page.getByTestId("webhook-secret").textContent()).toMatch(/^whsec_/);
    await page.getByRole("heading", { name: "https://hooks.example.test/oryn" }).waitFor();
    await page.getByRole("button", { name: "Show deliveries" }).click();
    await page.getByRole("button", { name: "Hide deliveries" }).waitFor();
    await keep("webhooks");
    await page
      .getByRole("button", { name: "Remove the endpoint https://hooks.example.test/oryn" })
      .click();
    await page.getByText("No endpoints yet.").waitFor();
    await nav("Settings");
  });

  it("exports the data, refuses a wrong confirmation, and deletes the organisation", async () => {
    await expectHeading("Settings");
    await page.getByRole("button", { name: "Export all data" }).click();
    await page.getByText("The export is ready").waitFor({ timeout: 60_000 });
    const download = page.waitForEvent("download");
    await page.getByRole("button", { name: "Download" }).click();
    expect((await download).suggestedFilename()).toMatch(/\.tar\.gz$/);
    await keep("settings");

    await page.getByLabel("The organisation's slug").fill("not-the-slug");
    await page.getByRole("button", { name: "Delete the organisation" }).click();
    await page.getByRole("alert").getByText("must equal the tenant's slug").waitFor();
    await page.getByLabel("The organisation's slug").fill(slug);
    await page.getByRole("button", { name: "Delete the organisation" }).click();
    await page.getByText("The organisation is being deleted").waitFor();
    // Every session of a deleted tenant ends within seconds: the console notices the API's 401
    // and asks to sign in again rather than showing errors on every page.
    await expect
      .poll(async () => (await other?.GET("/v1/tenant"))?.response.status, patiently)
      .toBe(401);
    await nav("Projects");
    await page.waitForURL(/\/sign-in\?next=/);
    expect(problems).toEqual([]);
  }, 90_000);
});
