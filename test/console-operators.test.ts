import { runCli } from "@oryn/testing/cli";
import { type OperatorStack, operatorStack } from "@oryn/testing/operator-stack";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildConsole } from "../scripts/build-console.ts";
import { consoleWindow, keepPage, patiently } from "./console-browser.ts";

/**
 * The console's operator area in a real browser against the real stack: a tenant whose
 * provisioning really failed (its database server was down), found in the fleet, looked at, and
 * retried from the page once the server is back; servers and the last fleet migration. Each page
 * kept as a screenshot under test-results/console/operator-*.png and scanned with axe-core.
 */
describe("console: the operators' area", () => {
  let stack: OperatorStack;
  let browser: Browser;
  let page: Page;
  const problems: string[] = [];
  let failed: { slug: string; tenantId: string };
  let healthy: { slug: string; tenantId: string };

  beforeAll(async () => {
    buildConsole();
    stack = await operatorStack("console_operators");
    failed = await stack.failedSignup(`ops-broken-${crypto.randomUUID().slice(0, 6)}`);
    healthy = await stack.activeSignup(`ops-fine-${crypto.randomUUID().slice(0, 6)}`);
    // The server comes back; a fleet migration runs and records its report.
    await stack.bringFlakyUp();
    const migrated = await runCli(["migrate", "--json"], stack.oryn.env.provisioner);
    expect(migrated.code, migrated.stderr).toBe(0);
    // The wrong token's 401 is the sign-in page's own answer, which watchedPage lets pass.
    ({ browser, page } = await consoleWindow(problems));
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await stack?.close();
  });

  const keep = (name: string) => keepPage(page, name);
  const url = (path: string) => `${stack.oryn.gatewayUrl}${path}`;
  const heading = (name: string) =>
    page.getByRole("heading", { level: 1, name, exact: true }).waitFor(patiently);
  const nav = (name: string) =>
    page
      .getByRole("navigation", { name: "Operators" })
      .getByRole("link", { name, exact: true })
      .click();

  it("asks for the operator token, refuses a wrong one, and opens the page asked for", async () => {
    await page.goto(url("/operator/tenants?status=provisioning_failed"));
    await heading("Operator sign-in");
    expect(new URL(page.url()).searchParams.get("next")).toBe(
      "/operator/tenants?status=provisioning_failed",
    );
    await keep("operator-sign-in");
    await page.getByLabel("Operator token").fill("x".repeat(43));
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect
      .poll(() => page.getByRole("alert").textContent(), patiently)
      .toMatch(/operator token was refused/);
    await page.getByLabel("Operator token").fill(stack.token);
    await page.getByRole("button", { name: "Sign in" }).click();
    await heading("Tenants");
    // The deep link's filter holds: only the failed tenant.
    await expect
      .poll(() => page.getByRole("link", { name: failed.slug }).count(), patiently)
      .toBe(1);
    expect(await page.getByRole("link", { name: healthy.slug }).count()).toBe(0);
    expect(await page.getByLabel("Status").inputValue()).toBe("provisioning_failed");
  });

  it("lists the fleet, filters by server in the URL, and goes back", async () => {
    await page.getByLabel("Status").selectOption("");
    await expect
      .poll(() => page.getByRole("link", { name: healthy.slug }).count(), patiently)
      .toBe(1);
    await keep("operator-tenants");
    await page.getByLabel("Database server").selectOption("main");
    await expect.poll(() => new URL(page.url()).searchParams.get("server"), patiently).toBe("main");
    await expect
      .poll(() => page.getByRole("link", { name: failed.slug }).count(), patiently)
      .toBe(0);
    await page.goBack();
    await expect
      .poll(() => page.getByRole("link", { name: failed.slug }).count(), patiently)
      .toBe(1);
    // The queue board is linked (on the provisioner's internal port).
    const board = page.getByRole("link", { name: /Queue board/ });
    expect(await board.getAttribute("href")).toMatch(/:8083\/admin\/queues$/);
  });

  it("shows one tenant with its provisioning error", async () => {
    // Found by slug, as a support request names it.
    await page.getByLabel("Tenant id or slug").fill(failed.slug);
    await page.getByRole("button", { name: "Open" }).click();
    await heading(`Tenant ${failed.slug}`);
    await page.goBack();
    await heading("Tenants");
    await page.getByRole("link", { name: failed.slug }).click();
    await heading(`Tenant ${failed.slug}`);
    expect(await page.getByTestId("operator-tenant-status").textContent()).toBe(
      "Provisioning failed",
    );
    await expect.poll(() => page.locator("main").textContent()).toMatch(/ECONNREFUSED|connect/);
    await keep("operator-tenant");
  });

  it("shows the servers with their load, and the last fleet migration's report", async () => {
    await nav("Servers");
    await heading("Servers");
    await page.getByRole("meter", { name: "Load of main" }).waitFor(patiently);
    await keep("operator-servers");
    await nav("Fleet migration");
    await heading("Last fleet migration");
    await expect
      .poll(() => page.getByTestId("fleet-run-state").textContent(), patiently)
      .toBe("Succeeded");
    await keep("operator-fleet-migration");
  });

  it("retries the failed provisioning from the page and follows it to active", async () => {
    await nav("Failed provisioning");
    await heading("Failed provisioning");
    await page.getByRole("heading", { level: 2, name: failed.slug }).waitFor(patiently);
    await keep("operator-failed");
    await page.getByRole("button", { name: `Retry ${failed.slug}` }).click();
    await expect
      .poll(() => page.getByRole("status").allTextContents(), { timeout: 60_000 })
      .toContain(`${failed.slug} is active now.`);
    await keep("operator-retried");
    await page.getByRole("link", { name: failed.slug }).click();
    await heading(`Tenant ${failed.slug}`);
    await expect
      .poll(() => page.getByTestId("operator-tenant-status").textContent(), patiently)
      .toBe("Active");
  }, 90_000);

  it("stays usable on a phone-sized screen", async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await nav("Tenants");
    await heading("Tenants");
    await page.getByRole("link", { name: healthy.slug }).waitFor(patiently);
    const overflow = await page.evaluate(
      () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
    );
    expect(overflow).toBeLessThanOrEqual(0);
    await keep("operator-tenants-phone");
    expect(problems).toEqual([]);
  });
});
