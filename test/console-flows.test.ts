import { createOrynClient } from "@oryn/client";
import { serviceEnv, testRun } from "@oryn/testing/context";
import { type Oryn, startOryn } from "@oryn/testing/processes";
import { type SmtpReceiver, startSmtpReceiver } from "@oryn/testing/smtp-receiver";
import { Secret, TOTP } from "otpauth";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildConsole } from "../scripts/build-console.ts";
import {
  consoleWindow,
  expectHeading,
  inAnotherBrowser,
  keepPage,
  mailedLink,
  patiently,
  submitSignIn,
} from "./console-browser.ts";

/**
 * The console's flows that need a stack of their own (signups confirmed by mail) or a second
 * browser: signup from the mailed link with a slug taken meanwhile; members' roles changed and a
 * member removed, the last owner kept; two-factor sign-in with an app code and a recovery code;
 * the sessions list, where ending another browser's session signs that browser out.
 */
describe("console flows", () => {
  let oryn: Oryn;
  let smtp: SmtpReceiver;
  let browser: Browser;
  let page: Page;
  const problems: string[] = [];
  const id = Date.now().toString(36);
  const owner = {
    email: `owner-${id}@flows.test`,
    password: "correct horse battery",
    name: "Ada Flows",
  };
  const member = { email: `grace-${id}@flows.test`, password: "grace's password", name: "Grace" };
  const wantedSlug = `flows-${id}`;
  let recoveryCodes: string[] = [];
  let totpSecret = "";

  beforeAll(async () => {
    buildConsole();
    smtp = await startSmtpReceiver();
    const run = testRun();
    oryn = await startOryn(
      // A queue prefix of the file's own: its mailer must not send other files' mail.
      { ...serviceEnv(run), REDIS_PREFIX: `${run.redisPrefix}-console-flows` },
      { gateway: { SIGNUP_CONFIRMATION: "email" }, mailer: { SMTP_URL: smtp.url } },
      { mailer: true },
    );
    ({ browser, page } = await consoleWindow(problems));
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await oryn?.stop();
    await smtp?.stop();
  });

  const url = (path: string) => `${oryn.gatewayUrl}${path}`;
  const keep = (name: string, on: Page = page) => keepPage(on, name);
  const api = () => createOrynClient({ baseUrl: oryn.gatewayUrl });
  /** The app's code one step ahead: the step just spent on enrolment is not taken twice. */
  const nextCode = () =>
    TOTP.generate({ secret: Secret.fromBase32(totpSecret), timestamp: Date.now() + 30_000 });

  it("signs up by the mailed link; a slug taken meanwhile asks for another", async () => {
    await page.goto(url("/sign-up"));
    await expectHeading(page, "Create your organisation");
    await page.getByLabel("Organisation name").fill("Flows Co");
    await page.getByLabel("Short name (slug)").fill(wantedSlug);
    await page.getByLabel("Your name").fill(owner.name);
    await page.getByLabel("Email").fill(owner.email);
    await page.getByLabel("Password").fill(owner.password);
    await page.getByRole("button", { name: "Create organisation" }).click();
    await expectHeading(page, "Check your email");
    await page.getByTestId("signup-sent").getByText(owner.email).waitFor();
    await keep("sign-up-check-email");

    // Someone else signs up with the same slug and confirms first.
    const rival = `rival-${id}@flows.test`;
    const asked = await api().POST("/v1/signup", {
      body: {
        company: { name: "Rival Co", slug: wantedSlug },
        owner: { name: "Rival", email: rival, password: "another long password" },
      },
    });
    expect(asked.response.status).toBe(202);
    const rivalToken = (await smtp.waitForMail(rival)).token ?? "";
    const confirmed = await api().POST("/v1/signup/confirm", { body: { token: rivalToken } });
    expect(confirmed.response.status).toBe(202);

    const mail = await smtp.waitForMail(owner.email);
    expect(new URL(mail.link ?? "about:blank").pathname).toBe("/confirm-signup");
    await page.goto(mailedLink(oryn.gatewayUrl, mail));
    await expectHeading(page, "Create your organisation");
    await keep("confirm-signup");
    await page.getByRole("button", { name: "Confirm and create the organisation" }).click();
    await page.getByRole("alert").getByText("The slug is taken").waitFor();
    const another = page.getByLabel("Another short name (slug)");
    await another.waitFor();
    await keep("confirm-signup-slug-taken");
    await another.fill(`${wantedSlug}-2`);
    await page.getByRole("button", { name: "Confirm and create the organisation" }).click();
    await expectHeading(page, "Overview");
    await page.getByTestId("tenant-status").getByText("Active").waitFor({ timeout: 60_000 });
    expect(await page.locator("dd code").first().textContent()).toBe(`${wantedSlug}-2`);
  }, 120_000);

  it("changes a member's role, removes a member, and keeps the last owner", async () => {
    // The owner's address is verified by the confirmed signup: they may invite (through the API).
    const login = await api().POST("/v1/auth/login", {
      body: { email: owner.email, password: owner.password },
    });
    const token = login.data && "accessToken" in login.data ? login.data.accessToken : "";
    const ownersApi = createOrynClient({ baseUrl: oryn.gatewayUrl, token });
    const invited = await ownersApi.POST("/v1/invitations", {
      body: { email: member.email, role: "member" },
    });
    expect(invited.response.status).toBe(201);
    const invitation = (await smtp.waitForMail(member.email)).token ?? "";
    const accepted = await api().POST("/v1/invitations/accept", {
      body: { token: invitation, name: member.name, password: member.password },
    });
    expect(accepted.response.ok).toBe(true);

    await page.goto(url("/members"));
    await expectHeading(page, "Members");
    await page.getByLabel(`Role of ${member.name}`).selectOption("admin");
    await page.getByText(`${member.name} is now admin.`).waitFor();
    await expect
      .poll(() => page.getByLabel(`Role of ${member.name}`).inputValue(), patiently)
      .toBe("admin");
    await keep("members");

    // The only owner stepping down would leave nobody in charge: refused, in words.
    await page.getByLabel(`Role of ${owner.name}`).selectOption("admin");
    await page.getByRole("alert").getByText("A tenant needs at least one owner").waitFor();
    await keep("members-last-owner");

    await page.getByRole("button", { name: `Remove ${member.name}` }).click();
    await page.getByText(`${member.name} was removed.`).waitFor();
    await expect.poll(() => page.getByLabel(`Role of ${member.name}`).count(), patiently).toBe(0);
  }, 60_000);

  it("signs in with an app code after a wrong one, and ends another browser's session", async () => {
    // Two-factor on from the account page, as an authenticator app would.
    await page.goto(url("/account/security"));
    await expectHeading(page, "Sign-in and security");
    await page.getByRole("button", { name: "Set up two-factor sign-in" }).click();
    totpSecret = ((await page.getByTestId("totp-secret").textContent()) ?? "").replace(/\s/g, "");
    await page
      .getByLabel("Code from the app")
      .fill(TOTP.generate({ secret: Secret.fromBase32(totpSecret) }));
    await page.getByRole("button", { name: "Turn on" }).click();
    recoveryCodes = ((await page.getByTestId("recovery-codes").textContent()) ?? "")
      .split(/\s+/)
      .filter(Boolean);
    expect(recoveryCodes.length).toBeGreaterThan(0);

    // A second browser, told apart in the sessions list by its user agent.
    await inAnotherBrowser(
      browser,
      problems,
      async (tab) => {
        await tab.goto(url("/sign-in"));
        await expectHeading(tab, "Sign in");
        await submitSignIn(tab, owner);
        await expectHeading(tab, "Two-factor sign-in");
        await keep("sign-in-code", tab);
        await tab.getByLabel("Code").fill("000000");
        await tab.getByRole("button", { name: "Continue" }).click();
        await tab.getByRole("alert").getByText("The code is wrong, used or expired").waitFor();
        await keep("sign-in-code-wrong", tab);
        // The refused code left the challenge open: the right one completes it.
        await tab.getByLabel("Code").fill(nextCode());
        await tab.getByRole("button", { name: "Continue" }).click();
        await expectHeading(tab, "Overview");

        // The first browser sees both sessions and ends the second one.
        await page.reload();
        await expectHeading(page, "Sign-in and security");
        const sessions = page.getByRole("table", { name: "Your sessions" });
        await sessions.getByText("(this one)").waitFor();
        const theirs = sessions.getByRole("row").filter({ hasText: "Second browser" });
        await theirs.waitFor();
        await keep("account-sessions");
        await theirs.getByRole("button").click();
        await expect.poll(() => theirs.count(), patiently).toBe(0);

        // The second browser's cookie is spent: its next reload asks to sign in.
        await tab.reload();
        await tab.waitForURL(/\/sign-in\?next=/);
        await expectHeading(tab, "Sign in");
      },
      { userAgent: "Second browser" },
    );
  }, 90_000);

  it("signs in with a recovery code", async () => {
    await inAnotherBrowser(browser, problems, async (tab) => {
      await tab.goto(url("/sign-in"));
      await submitSignIn(tab, owner);
      await expectHeading(tab, "Two-factor sign-in");
      await tab.getByLabel("Code").fill(recoveryCodes[0] ?? "");
      await tab.getByRole("button", { name: "Continue" }).click();
      await expectHeading(tab, "Overview");
      await keep("overview-after-recovery-code", tab);
    });
    expect(problems).toEqual([]);
  }, 60_000);
});
