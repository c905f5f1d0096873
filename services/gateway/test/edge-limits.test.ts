import { randomBytes, randomUUID } from "node:crypto";
import { testRun } from "@oryn/testing/context";
import { afterAll, describe, expect, it } from "vitest";
import { gatewayInProcess, uniqueSignup } from "./fixtures.ts";

// Each gateway here counts under a Redis prefix of its own: the signup budget is global, and
// other test files sign up tenants under the run's prefix at the same time.
const ownPrefix = () => `${testRun().redisPrefix}-edge-${randomUUID().slice(0, 8)}`;
// Calls come from a trusted proxy on loopback that names a client of each test's own.
const uniqueIp = () =>
  `2001:db8::${randomBytes(2).toString("hex")}:${randomBytes(2).toString("hex")}`;
const fromProxy = { incoming: { socket: { remoteAddress: "127.0.0.1" } } };
const gateways: Array<Awaited<ReturnType<typeof gatewayInProcess>>> = [];
afterAll(() => Promise.all(gateways.map((gateway) => gateway.close())));
async function gateway(overrides: Record<string, string>) {
  const started = await gatewayInProcess({
    REDIS_PREFIX: ownPrefix(),
    TRUSTED_PROXIES: "loopback",
    ...overrides,
  });
  gateways.push(started);
  return started;
}

describe("the global signup budget", () => {
  it("refuses signups past SIGNUPS_PER_MINUTE with 429 and Retry-After, whatever the IP", async () => {
    const edge = await gateway({ SIGNUPS_PER_MINUTE: "2" });
    const signUp = (body: unknown) =>
      edge.call("POST", "/v1/signup", { body, headers: { "x-forwarded-for": uniqueIp() } });
    // Refused for its shape: it created nothing, so it is given back.
    expect((await signUp({ company: {} })).status).toBe(422);
    expect((await signUp(uniqueSignup())).status).toBe(202);
    expect((await signUp(uniqueSignup())).status).toBe(202);
    const refused = await signUp(uniqueSignup());
    expect(refused.status).toBe(429);
    expect(refused.json).toMatchObject({ code: "rate_limited" });
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expect(Number(refused.headers.get("retry-after"))).toBeLessThanOrEqual(60);
    // The per-IP bucket was not what refused it: other routes from that IP still answer.
    const login = await edge.call("POST", "/v1/auth/login", {
      body: { email: "nobody@example.test", password: "not the password" },
      headers: { "x-forwarded-for": uniqueIp() },
    });
    expect(login.status).toBe(401);
  });
});

describe("the API reference", () => {
  it("limits /openapi.json and /docs per IP, with Retry-After", async () => {
    const edge = await gateway({ DOCS_PER_IP_PER_MINUTE: "3" });
    const ip = uniqueIp();
    const get = (path: string, from = ip) =>
      edge.app.request(path, { headers: { "x-forwarded-for": from } }, fromProxy);
    expect((await get("/openapi.json")).status).toBe(200);
    expect((await get("/docs")).status).toBe(200);
    expect((await get("/docs/init.js")).status).toBe(200);
    const refused = await get("/openapi.json");
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expect((await get("/docs")).status).toBe(429);
    // Another address is not affected.
    expect((await get("/openapi.json", uniqueIp())).status).toBe(200);
  });

  it("answers 404, not 500, for asset names an object would inherit", async () => {
    const edge = await gateway({});
    for (const name of ["constructor", "__proto__", "toString", "hasOwnProperty", "valueOf"]) {
      const answer = await edge.app.request(
        `/docs/${name}`,
        { headers: { "x-forwarded-for": uniqueIp() } },
        fromProxy,
      );
      expect(answer.status, name).toBe(404);
    }
    const css = await edge.app.request(
      "/docs/swagger-ui.css",
      { headers: { "x-forwarded-for": uniqueIp() } },
      fromProxy,
    );
    expect(css.status).toBe(200);
  });

  it("builds the document once and answers If-None-Match with 304", async () => {
    const edge = await gateway({});
    const get = (headers: Record<string, string> = {}) =>
      edge.app.request(
        "/openapi.json",
        { headers: { "x-forwarded-for": uniqueIp(), ...headers } },
        fromProxy,
      );
    const first = await get();
    const etag = first.headers.get("etag") ?? "";
    expect(etag).toMatch(/^"[\w-]{27}"$/);
    const text = await first.text();
    const second = await get();
    expect(second.headers.get("etag")).toBe(etag);
    expect(await second.text()).toBe(text);
    const notModified = await get({ "if-none-match": etag });
    expect(notModified.status).toBe(304);
    expect(await notModified.text()).toBe("");
    expect((await get({ "if-none-match": "*" })).status).toBe(304);
    expect((await get({ "if-none-match": '"another"' })).status).toBe(200);
  });
});
