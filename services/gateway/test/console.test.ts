import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { isConsolePath } from "../src/console/serve-console.ts";
import { gatewayInProcess } from "./fixtures.ts";

// A stand-in build of the console, so these tests need neither Vite nor a browser (the real
// build, in Chromium, is test/console.test.ts).
const built = mkdtempSync(join(tmpdir(), "oryn-console-"));
mkdirSync(join(built, "assets"));
const page =
  '<!doctype html><div id="root"></div><script type="module" src="/assets/app-1.js"></script>';
writeFileSync(join(built, "index.html"), page);
writeFileSync(join(built, "assets", "app-1.js"), "console.log(1)");
writeFileSync(join(built, "favicon.svg"), "<svg/>");
const empty = mkdtempSync(join(tmpdir(), "oryn-console-empty-"));

const gateway = await gatewayInProcess({ CONSOLE_DIR: built });
const unbuilt = await gatewayInProcess({ CONSOLE_DIR: empty });
afterAll(async () => {
  await gateway.close();
  await unbuilt.close();
  rmSync(built, { recursive: true, force: true });
  rmSync(empty, { recursive: true, force: true });
});

const get = (path: string, app = gateway.app) => Promise.resolve(app.request(path));

describe("the console at the gateway's root", () => {
  it("answers its page for / and every deep link, never cached, under a strict CSP", async () => {
    for (const path of ["/", "/projects/1/tasks/2", "/verify-email?token=x", "/billing/success"]) {
      const answer = await get(path);
      expect(answer.status, path).toBe(200);
      expect(await answer.text()).toBe(page);
      expect(answer.headers.get("cache-control")).toBe("no-cache");
      const policy = answer.headers.get("content-security-policy") ?? "";
      expect(policy).toContain("default-src 'none'");
      expect(policy).toContain("script-src 'self'");
      expect(policy).toContain("style-src 'self'");
      expect(policy).toContain("frame-ancestors 'none'");
      expect(policy).not.toContain("unsafe");
    }
  });

  it("serves its hashed assets for good, and other files of the build for a while", async () => {
    const script = await get("/assets/app-1.js");
    expect(script.status).toBe(200);
    expect(script.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
    expect(script.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
    const icon = await get("/favicon.svg");
    expect(icon.headers.get("content-type")).toBe("image/svg+xml");
    expect(icon.headers.get("cache-control")).toBe("public, max-age=3600");
  });

  it("serves nothing from outside the build, however the path is spelled", async () => {
    writeFileSync(join(built, "..", "oryn-console-secret.js"), "secret");
    try {
      for (const path of [
        "/assets/../../oryn-console-secret.js",
        "/assets/%2e%2e/%2e%2e/oryn-console-secret.js",
        "/%2e%2e/oryn-console-secret.js",
        "/..%2foryn-console-secret.js",
      ]) {
        const answer = await get(path);
        expect(await answer.text(), path).not.toBe("secret");
      }
    } finally {
      rmSync(join(built, "..", "oryn-console-secret.js"), { force: true });
    }
  });

  it("leaves the API's paths to the API: an unknown one is a problem+json 404", async () => {
    for (const path of ["/v1/no-such-thing", "/webhooks/nothing", "/.well-known/nothing"]) {
      const answer = await get(path);
      expect(answer.status, path).toBe(404);
      expect(answer.headers.get("content-type")).toContain("application/problem+json");
      expect(answer.headers.get("content-security-policy")).toBe(
        "default-src 'none'; frame-ancestors 'none'",
      );
    }
    // A missing asset is not the app's page either: a script tag must not get HTML.
    expect((await get("/assets/gone-2.js")).status).toBe(404);
    expect((await get("/docs")).headers.get("content-security-policy")).toContain(
      "style-src 'self' 'unsafe-inline'",
    );
  });

  it("says how to build it when there is no build", async () => {
    const answer = await get("/", unbuilt.app);
    expect(answer.status).toBe(503);
    expect(await answer.text()).toContain("pnpm build:console");
  });

  it("knows which paths are the API's", () => {
    for (const path of [
      "/v1",
      "/v1/projects",
      "/docs",
      "/docs/init.js",
      "/openapi.json",
      "/healthz",
    ])
      expect(isConsolePath(path), path).toBe(false);
    for (const path of ["/", "/projects", "/v1x", "/docsearch", "/settings/webhooks"])
      expect(isConsolePath(path), path).toBe(true);
  });
});
