/**
 * Tenants spread over two PostgreSQL servers: the machine's and one this test starts. Through the
 * four real processes: tenants land on both, each is served; stopping the second server makes
 * only its tenants answer 503 while the others keep answering 200, until it is back.
 */
import { connect, type Sql } from "@oryn/shared";
import { testRun } from "@oryn/testing/context";
import { jsonCaller } from "@oryn/testing/http";
import type { ThrowawayPostgres } from "@oryn/testing/postgres-server";
import type { Oryn } from "@oryn/testing/processes";
import { countTenantObjects } from "@oryn/testing/tenants";
import { twoServerStack } from "@oryn/testing/two-servers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const run = testRun();
let stack: Awaited<ReturnType<typeof twoServerStack>>;
let oryn: Oryn;
let cp: Sql;
let firstAdmin: Sql;
let secondAdmin: Sql;
let second: ThrowawayPostgres;

beforeAll(async () => {
  stack = await twoServerStack("servers", { secondState: "accepting" });
  ({ oryn, cp, firstAdmin, secondAdmin, second } = stack);
}, 90_000);

afterAll(async () => {
  // The test reconnects to the second server after restarting it.
  if (secondAdmin !== stack?.secondAdmin) await secondAdmin?.end();
  await stack?.close();
});

describe("tenants on two database servers", () => {
  it("places tenants on both, serves each, and a stopped server takes only its own tenants down", async () => {
    const call = jsonCaller((path, init) => fetch(`${oryn.gatewayUrl}${path}`, init));
    const tag = run.runId.slice(-6);
    const tenants = await Promise.all(
      [0, 1, 2, 3].map(async (index) => {
        const answer = await call("POST", "/v1/signup", {
          body: {
            company: { name: `Placed ${index}`, slug: `placed-${tag}-${index}` },
            owner: {
              email: `placed${index}@${tag}.test`,
              password: "a long enough password",
              name: "O",
            },
          },
        });
        expect(answer.status).toBe(202);
        return {
          id: answer.json.tenant.id as string,
          token: answer.json.tokens.accessToken as string,
        };
      }),
    );
    for (let deadline = Date.now() + 60_000; ; ) {
      const [row] = await cp<
        { active: number }[]
      >`select count(*)::int as active from tenants where status = 'active'`;
      if (row?.active === tenants.length) break;
      if (Date.now() > deadline) throw new Error("tenants did not become active");
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const placement = new Map(
      (
        await cp<{ id: string; name: string }[]>`
          select t.id, s.name from tenants t join database_servers s on s.id = t.server_id`
      ).map((row) => [row.id, row.name]),
    );
    const onTwo = tenants.filter((tenant) => placement.get(tenant.id) === "two");
    const onOne = tenants.filter((tenant) => placement.get(tenant.id) === "one");
    expect([onOne.length, onTwo.length]).toEqual([2, 2]);
    for (const tenant of onOne) {
      expect(await countTenantObjects(firstAdmin, tenant.id)).toEqual({ databases: 1, roles: 1 });
      expect(await countTenantObjects(secondAdmin, tenant.id)).toEqual({ databases: 0, roles: 0 });
    }
    for (const tenant of onTwo) {
      expect(await countTenantObjects(secondAdmin, tenant.id)).toEqual({ databases: 1, roles: 1 });
      expect(await countTenantObjects(firstAdmin, tenant.id)).toEqual({ databases: 0, roles: 0 });
    }

    const projects = (tenant: { token: string }) =>
      call("GET", "/v1/projects", { token: tenant.token });
    for (const tenant of tenants) {
      const created = await call("POST", "/v1/projects", {
        token: tenant.token,
        body: { name: "Here" },
      });
      expect(created.status).toBe(201);
      expect((await projects(tenant)).json.items).toHaveLength(1);
    }

    await secondAdmin.end();
    await second.stop();
    for (const tenant of onTwo) {
      const answer = await projects(tenant);
      expect({ status: answer.status, code: answer.json?.code }).toEqual({
        status: 503,
        code: "upstream_unavailable",
      });
    }
    for (const tenant of onOne) expect((await projects(tenant)).status).toBe(200);

    await second.start();
    for (const tenant of onTwo) {
      // Pools reconnect on the next query; the first may still meet a connection that died.
      let answer = await projects(tenant);
      for (let tries = 0; answer.status !== 200 && tries < 20; tries++) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        answer = await projects(tenant);
      }
      expect(answer.status).toBe(200);
      expect(answer.json.items).toHaveLength(1);
    }
    for (const tenant of onOne) expect((await projects(tenant)).status).toBe(200);
    secondAdmin = connect(second.url, { max: 2 });
  }, 120_000);
});
