import { serviceEnv, testRun } from "@oryn/testing/context";
import { jsonCaller } from "@oryn/testing/http";
import { type Oryn, startOryn } from "@oryn/testing/processes";
import { startRedisCluster } from "@oryn/testing/redis-cluster";
import { Cluster } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const quota = 40;

describe("Oryn on a three-node Redis Cluster", () => {
  let cluster: Awaited<ReturnType<typeof startRedisCluster>>;
  let oryn: Oryn;
  beforeAll(async () => {
    cluster = await startRedisCluster();
    oryn = await startOryn(
      { ...serviceEnv(testRun()), REDIS_URL: cluster.url },
      { gateway: { RATE_LIMIT_TENANT_PER_MINUTE: String(quota) } },
    );
  }, 90_000);
  afterAll(async () => {
    await oryn?.stop();
    await cluster?.stop();
  });

  it("provisions through its queue and limits rates in it", async () => {
    const call = jsonCaller((path, init) => fetch(`${oryn.gatewayUrl}${path}`, init));
    const slug = `cluster-${crypto.randomUUID().slice(0, 8)}`;
    const signup = await call("POST", "/v1/signup", {
      body: {
        company: { name: slug, slug },
        owner: { email: `o@${slug}.test`, password: "a long enough password", name: "O" },
      },
    });
    expect(signup.status).toBe(202);
    const token = signup.json.tokens.accessToken;
    const tenantId = signup.json.tenant.id;
    // Provisioning goes through BullMQ on the cluster: the tenant becoming active proves it.
    let used = 0;
    const deadline = Date.now() + 30_000;
    for (;;) {
      used++;
      if ((await call("GET", "/v1/tenant", { token })).json.status === "active") break;
      if (Date.now() > deadline) throw new Error("tenant did not become active");
      await new Promise((resolve) => setTimeout(resolve, 200));
    }

    // The tenant's quota, counted in the cluster, runs out on time.
    const statuses: number[] = [];
    for (let sent = used + 1; sent <= quota + 1; sent++) {
      statuses.push((await call("GET", "/v1/tenant", { token })).status);
    }
    expect(statuses.at(-1)).toBe(429);
    expect(statuses.slice(0, -1)).toEqual(statuses.slice(0, -1).map(() => 200));

    // The keys are where they should be: all of the provisioning queue's in one slot (its
    // prefix is a hash tag), the rate-limit key anywhere.
    const inspect = new Cluster(cluster.ports.map((port) => ({ host: "127.0.0.1", port })));
    try {
      // Nodes are known once the client has read the cluster's slots.
      if (inspect.status !== "ready")
        await new Promise((resolve) => inspect.once("ready", resolve));
      const masters = inspect.nodes("master");
      expect(masters).toHaveLength(3);
      const keys = (await Promise.all(masters.map((node) => node.keys("*")))).flat();
      const queueKeys = keys.filter((key) => key.includes(":provisioning:"));
      expect(queueKeys.length).toBeGreaterThan(0);
      const slots = new Set(
        await Promise.all(queueKeys.map((key) => inspect.cluster("KEYSLOT", key))),
      );
      expect(slots.size).toBe(1);
      expect(keys.filter((key) => key.includes("rl:"))).toContainEqual(
        expect.stringContaining(`rl:tenant:free:${tenantId}`),
      );
    } finally {
      inspect.disconnect();
    }
  }, 60_000);
});
