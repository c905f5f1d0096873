import { startPrivateRedis } from "@oryn/testing/redis-server";
import { Redis } from "ioredis";
import { afterAll, describe, expect, it } from "vitest";
import { gatewayInProcess, uniqueSignup } from "./fixtures.ts";

// A quota of 200 a minute leases 20 points at a time (a tenth); the burst window is out of the way.
const quota = 200;
const settings = {
  RATE_LIMIT_TENANT_PER_MINUTE: String(quota),
  RATE_LIMIT_TENANT_PER_SECOND: "100000",
  RATE_LIMIT_LEASE_MAX: "100",
};
const first = await gatewayInProcess(settings);
const second = await gatewayInProcess(settings);
afterAll(() => Promise.all([first.close(), second.close()]));

async function tenantToken(): Promise<string> {
  const signup = await first.call("POST", "/v1/signup", { body: uniqueSignup() });
  expect(signup.status).toBe(202);
  return signup.json.tokens.accessToken;
}

describe("rate limits counted through leases", () => {
  it("let exactly the quota through one gateway, with exact RateLimit headers", async () => {
    const token = await tenantToken();
    const remaining: number[] = [];
    let status = 200;
    while (status === 200) {
      const answer = await first.call("GET", "/v1/tenant", { token });
      status = answer.status;
      const header = answer.headers.get("ratelimit") ?? "";
      if (header.startsWith('"tenant";')) remaining.push(Number(header.match(/;r=(\d+);/)?.[1]));
    }
    expect(status).toBe(429);
    // The signup's token made no request of its own: 200 answers, r counting down to 0.
    const served = remaining.length - 1;
    expect(served).toBe(quota);
    expect(remaining.slice(0, served)).toEqual(
      Array.from({ length: served }, (_, index) => quota - 1 - index),
    );
    expect(remaining.at(-1)).toBe(0);
  });

  it("never let more than the quota through two gateways together", async () => {
    const token = await tenantToken();
    const statuses = await Promise.all(
      Array.from({ length: 2 * quota }, (_, index) =>
        (index % 2 === 0 ? first : second).call("GET", "/v1/tenant", { token }),
      ),
    ).then((answers) => answers.map((answer) => answer.status));
    // Every point leased is counted in Redis before it is spent; once both gateways are refused,
    // neither holds a point, so none of the quota was lost either.
    expect(statuses.filter((status) => status === 200)).toHaveLength(quota);
    expect(statuses.filter((status) => status === 429)).toHaveLength(quota);
    for (const gateway of [first, second]) {
      expect((await gateway.call("GET", "/v1/tenant", { token })).status).toBe(429);
    }
  });
});

describe("a lease", () => {
  it("costs one Redis round trip for many requests", async () => {
    // A Redis of its own, so that only this gateway's commands are counted.
    const redis = await startPrivateRedis();
    const alone = await gatewayInProcess({ ...settings, REDIS_URL: redis.url });
    const inspect = new Redis(redis.url);
    try {
      const signup = await alone.call("POST", "/v1/signup", { body: uniqueSignup() });
      const token = signup.json.tokens.accessToken;
      const commands = async () =>
        Number((await inspect.info("stats")).match(/total_commands_processed:(\d+)/)?.[1]);
      const before = await commands();
      for (let sent = 0; sent < 100; sent++) {
        expect((await alone.call("GET", "/v1/tenant", { token })).status).toBe(200);
      }
      // Two windows counted in Redis request by request would be 200 commands; leases of 20 and
      // 100 points take 5 and 1 (a script load the first time), besides the INFO calls and the
      // gateway's background work (queues): 25 were seen.
      expect((await commands()) - before).toBeLessThan(50);
    } finally {
      inspect.disconnect();
      await alone.close();
      await redis.stop();
    }
  });
});
