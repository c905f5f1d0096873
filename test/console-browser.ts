import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import {
  type Browser,
  type BrowserContext,
  type BrowserContextOptions,
  chromium,
  type Page,
} from "playwright-core";
import { expect } from "vitest";

/**
 * What the browser tests share (the console's, and /docs's launch): Debian's Chromium launched off the closed network,
 * pages watched for console errors and failed requests, a screenshot and an axe-core scan per
 * main page, and waiting for a page by its heading.
 */
export const chromiumPath = process.env.ORYN_CHROMIUM ?? "/usr/bin/chromium";
const chromiumArgs = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];
export const screenshots = join("test-results", "console");
/** Under a loaded machine a page can take seconds to settle: expect.poll's default is one second. */
export const patiently = { timeout: 30_000 };
const axeSource = readFileSync(
  createRequire(import.meta.url).resolve("axe-core/axe.min.js"),
  "utf8",
);

export async function launchChromium(): Promise<Browser> {
  expect(existsSync(chromiumPath), `${chromiumPath} (apt-get install chromium)`).toBe(true);
  mkdirSync(screenshots, { recursive: true });
  return chromium.launch({ executablePath: chromiumPath, args: chromiumArgs });
}

/**
 * A new page whose console errors and failed requests land in `problems` (a CSP that blocked
 * part of the app shows up there). An API's 4xx is logged by Chromium too: those are the flows'
 * own; `allowFailed` names request URLs that may fail (stubbed pages).
 */
export async function watchedPage(
  context: BrowserContext,
  problems: string[],
  allowFailed: (url: string) => boolean = () => false,
): Promise<Page> {
  const page = await context.newPage();
  page.on("console", (message) => {
    const text = message.text();
    if (message.type() === "error" && !text.startsWith("Failed to load resource: the server"))
      problems.push(text);
  });
  page.on("requestfailed", (request) => {
    // A request cut short by a navigation is the browser's own doing; nothing else may fail.
    const reason = request.failure()?.errorText ?? "";
    if (!allowFailed(request.url()) && reason !== "net::ERR_ABORTED")
      problems.push(`failed: ${request.url()} (${reason})`);
  });
  return page;
}

/** A file's main window on the console: Chromium launched, a 1200×900 context, a watched page. */
export async function consoleWindow(
  problems: string[],
  allowFailed?: (url: string) => boolean,
): Promise<{ browser: Browser; context: BrowserContext; page: Page }> {
  const browser = await launchChromium();
  const context = await browser.newContext({ viewport: { width: 1200, height: 900 } });
  return { browser, context, page: await watchedPage(context, problems, allowFailed) };
}

/**
 * `use` given a watched page in another browser (a context of its own: its own cookies, none of
 * the main window's), closed afterwards whatever happens.
 */
export async function inAnotherBrowser(
  browser: Browser,
  problems: string[],
  use: (tab: Page, context: BrowserContext) => Promise<void>,
  options: BrowserContextOptions = {},
): Promise<void> {
  const context = await browser.newContext(options);
  try {
    await use(await watchedPage(context, problems), context);
  } finally {
    await context.close();
  }
}

/** A screenshot under test-results/console/, and no serious or critical axe-core violation. */
export async function keepPage(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(screenshots, `${name}.png`), fullPage: true });
  await page.evaluate(axeSource);
  const violations = await page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run(): Promise<any> } }).axe;
    const results = await axe.run();
    return results.violations
      .filter((violation: any) => ["serious", "critical"].includes(violation.impact))
      .map((violation: any) => `${violation.id}: ${violation.help} (${violation.nodes.length})`);
  });
  expect(violations, `axe on ${name}`).toEqual([]);
}

/** Waits for the page titled `text`; when it does not come, fails with what the page says. */
export async function expectHeading(page: Page, text: string): Promise<void> {
  try {
    await page.getByRole("heading", { level: 1, name: text, exact: true }).waitFor();
  } catch (error) {
    const alerts = await page.getByRole("alert").allTextContents();
    throw new Error(`no page "${text}" at ${page.url()}; alerts: ${JSON.stringify(alerts)}`, {
      cause: error,
    });
  }
}

/** A mailed link, on this stack's gateway (the mail names APP_URL's default origin). */
export function mailedLink(gatewayUrl: string, mail: { link: string | undefined }): string {
  const link = new URL(mail.link ?? "about:blank");
  return `${gatewayUrl}${link.pathname}${link.search}`;
}

/** The sign-in form filled and sent (the page is on /sign-in). */
export async function submitSignIn(
  page: Page,
  who: { email: string; password: string },
): Promise<void> {
  await page.getByLabel("Email").fill(who.email);
  await page.getByLabel("Password").fill(who.password);
  await page.getByRole("button", { name: "Sign in" }).click();
}
