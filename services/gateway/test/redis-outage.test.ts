import { startPrivateRedis } from "@oryn/testing/redis-server";
import { within } from "@oryn/testing/wait";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { gatewayInProcess, uniqueSignup } from "./fixtures.ts";

// The gateway's Redis is a private server this test stops and restarts.
const quota = 40;
let redis: Awaited<ReturnType<typeof startPrivateRedis>>;
let gateway: Awaited<ReturnType<typeof gatewayInProcess>>;
beforeAll(async () => {
  redis = await startPrivateRedis();
  gateway = await gatewayInProcess({
    REDIS_URL: redis.url,
    RATE_LIMIT_TENANT_PER_MINUTE: String(quota),
  });
});
afterAll(async () => {
  await gateway?.close();
  await redis?.stop();
});

async function metric(pattern: RegExp): Promise<number> {
  const text = await gateway.deps.metrics.registry.metrics();
  return text
    .split("\n")
    .filter((line) => pattern.test(line))
    .reduce((sum, line) => sum + Number(line.split(" ").at(-1)), 0);
}

describe("a key over its limit", () => {
  it("is refused from memory, without asking Redis, until its window ends", async () => {
    const signup = await gateway.call("POST", "/v1/signup", { body: uniqueSignup() });
    const token = signup.json.tokens.accessToken;
    const inspect = new Redis(redis.url);
    try {
      let last = 0;
      for (let sent = 0; sent <= quota && last !== 429; sent++) {
        last = (await gateway.call("GET", "/v1/tenant", { token })).status;
      }
      expect(last).toBe(429);
      const commands = async () =>
        Number((await inspect.info("stats")).match(/total_commands_processed:(\d+)/)?.[1]);
      const before = await commands();
      for (let sent = 0; sent < 30; sent++) {
        expect((await gateway.call("GET", "/v1/tenant", { token })).status).toBe(429);
      }
      // Thirty refusals cost Redis nothing: the INFO calls themselves are all it saw, give or
      // take a stray command from the gateway's own background work.
      expect((await commands()) - before).toBeLessThan(5);
    } finally {
      inspect.disconnect();
    }
  });
});

describe("rate limits while Redis is away", () => {
  it("never hang or refuse wrongly, keep limiting per process, and return to Redis when it is back", async () => {
    const signup = await gateway.call("POST", "/v1/signup", { body: uniqueSignup() });
    expect(signup.status).toBe(202);
    const token = signup.json.tokens.accessToken;
    const tenantId = signup.json.tenant.id;
    const get = () => within(gateway.call("GET", "/v1/tenant", { token }), 3_000);

    // Redis counts while it is there.
    for (let sent = 0; sent < 5; sent++) expect((await get()).status).toBe(200);
    const inspect = new Redis(redis.url);
    expect(await inspect.keys(`*rl:tenant:free:${tenantId}`)).toHaveLength(1);
    inspect.disconnect();

    await redis.stop();
    // Load while Redis is down: every request answers, quickly, and nothing but 200 and 429.
    const during: number[] = [];
    for (let sent = 0; sent < quota + 10; sent++) during.push((await get()).status);
    expect(new Set(during)).toEqual(new Set([200, 429]));
    // Per process, from zero: the quota's worth is served, then the limit holds. Before the
    // gateway notices Redis is gone it may still spend what it had leased from Redis (5 of
    // two leases of 4 used): up to 3 more.
    const served = during.filter((status) => status === 200).length;
    expect(served).toBeGreaterThanOrEqual(quota);
    expect(served).toBeLessThanOrEqual(quota + 3);
    expect(await metric(/^oryn_rate_limit_decisions_total\{.*store="memory"/)).toBeGreaterThan(0);
    // Anything else that does not need Redis keeps working, e.g. members.
    expect((await within(gateway.call("GET", "/v1/members", { token }), 3_000)).status).toBe(429);

    // Redis returns on the same port: the gateway reconnects and counts there again.
    redis = await startPrivateRedis(redis.port);
    const deadline = Date.now() + 10_000;
    while (gateway.deps.redis.status !== "ready" && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(gateway.deps.redis.status).toBe("ready");
    const back = await get();
    expect(back.status).toBe(200);
    const again = new Redis(redis.url);
    expect(await again.keys(`*rl:tenant:free:${tenantId}`)).toHaveLength(1);
    again.disconnect();
    expect(await metric(/^oryn_rate_limit_decisions_total\{.*store="redis"/)).toBeGreaterThan(0);
  }, 60_000);
});
