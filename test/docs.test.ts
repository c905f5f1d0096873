import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { serviceEnv, testRun } from "@oryn/testing/context";
import { type Oryn, startOryn } from "@oryn/testing/processes";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchChromium } from "./console-browser.ts";

describe("API documentation", () => {
  let oryn: Oryn;
  beforeAll(async () => {
    oryn = await startOryn(serviceEnv(testRun()));
  }, 60_000);
  afterAll(() => oryn?.stop());

  it("/openapi.json is one OpenAPI 3.1 document with the gateway's, workspace's and billing's routes", async () => {
    const answer = await fetch(`${oryn.gatewayUrl}/openapi.json`);
    expect(answer.status).toBe(200);
    const document = await answer.json();
    expect(document.openapi).toBe("3.1.0");
    expect(document["x-oryn-missing"]).toBeUndefined();
    const paths = Object.keys(document.paths);
    for (const path of [
      "/v1/signup",
      "/v1/members",
      "/v1/projects",
      "/v1/projects/{id}",
      "/webhooks/stripe",
    ]) {
      expect(paths).toContain(path);
    }
    // Only what the gateway forwards: no upstream's internal routes.
    for (const path of paths) expect(path).toMatch(/^\/(v1|webhooks)\//);
    expect(Object.keys(document.components.schemas)).toEqual(
      expect.arrayContaining(["Problem", "Project", "Tokens"]),
    );
    expect(document.components.securitySchemes.bearer).toMatchObject({ scheme: "bearer" });
  });

  it("leaves out an upstream that is down, and says so, rather than failing", async () => {
    await oryn.services.billing.stop();
    // The document is cached for 30 s; a gateway started after billing stopped has no copy.
    const { startService, freePort } = await import("@oryn/testing/processes");
    const gateway = await startService("gateway", await freePort(), {
      ...serviceEnv(testRun()),
      OPS_PORT: String(await freePort()),
      WORKSPACE_URL: oryn.services.workspace.url,
      BILLING_URL: oryn.services.billing.url,
      PROVISIONER_URL: oryn.services.provisioner.url,
    });
    try {
      const document = await (await fetch(`${gateway.url}/openapi.json`)).json();
      expect(document["x-oryn-missing"]).toEqual(["billing"]);
      expect(Object.keys(document.paths)).toContain("/v1/projects");
      expect(Object.keys(document.paths)).not.toContain("/webhooks/stripe");
    } finally {
      await gateway.stop();
    }
  });

  it("/docs renders in headless Chromium and lists the endpoints", async () => {
    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      const failed: string[] = [];
      page.on("requestfailed", (request) => failed.push(request.url()));
      // A Content-Security-Policy that blocked part of the page would show up here.
      page.on("console", (message) => {
        if (message.type() === "error") failed.push(message.text());
      });
      await page.goto(`${oryn.gatewayUrl}/docs`);
      await page.waitForSelector(".opblock", { timeout: 20_000 });
      const listed = await page.locator(".opblock-summary-path").allTextContents();
      const normalized = listed.map((path) => path.replace(/\u200b/g, "").trim());
      for (const path of [
        "/v1/signup",
        "/v1/members/{userId}",
        "/v1/projects/{id}",
        "/v1/api-keys",
      ]) {
        expect(normalized).toContain(path);
      }
      expect(await page.title()).toBe("Oryn API reference");
      // Everything the page needs comes from the gateway itself.
      expect(failed).toEqual([]);
      mkdirSync("test-results", { recursive: true });
      await page.screenshot({ path: join("test-results", "docs.png"), fullPage: false });
    } finally {
      await browser.close();
    }
  }, 60_000);
});
