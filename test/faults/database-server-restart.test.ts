/**
 * Fault: a tenant database server stopped (immediate: as if it crashed) and started again, twice,
 * while its tenants and those of another server read and write through the gateway. The four
 * services run as real processes with tenants on two servers (twoServerStack: the machine's
 * `one`, and a throwaway `two` that this test stops).
 *
 * Meanwhile `two`'s tenants get 503 problem+json with Retry-After, quickly, and `one`'s are
 * served every time; once `two` is back its tenants are served again on every request (no pool
 * is left holding dead connections). No write a client saw acknowledged is missing afterwards,
 * no tenant sees another's, and workspace ends with no connection in use or waiting and, once
 * its pools have idled out, none open to `two`. database-servers.test.ts checks the same split
 * once, request by request; this is the same under load, twice, with the counting.
 */

import { twoServerStack } from "@oryn/testing/two-servers";
import { eventually, signUpAndWait } from "@oryn/testing/wait";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { lostAndLeakedTasks, reportExited, restartRounds, taskLoad } from "./acknowledged-tasks.ts";
import { countedCaller } from "./counted-calls.ts";
import { recordFault } from "./report.ts";

const stops = 2;
let stack: Awaited<ReturnType<typeof twoServerStack>>;

beforeAll(async () => {
  stack = await twoServerStack("dbrestart", {
    secondState: "accepting",
    // Clients here send as fast as they are answered; the plan's rate is not what is tested.
    env: { RATE_LIMIT_TENANT_PER_MINUTE: "1000000" },
    // Pools idle out soon, so the end of the test can see every one of them closed.
    overrides: { workspace: { TENANT_POOL_IDLE_MS: "2000" } },
  });
}, 120_000);

afterAll(async () => {
  reportExited(stack?.oryn);
  await stack?.close();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

type Phase = "before" | "down" | "back";
type Tenant = {
  tenantId: string;
  token: string;
  server: "one" | "two";
  projectId: string;
  /** Titles of tasks whose creation was answered 201. */
  acknowledged: string[];
  answers: { phase: Phase; status: number; code?: string; retryAfter: string | null }[];
};

/** Gauges and counters of workspace's /metrics, by name (labels summed). */
async function workspaceMetrics(): Promise<Record<string, number>> {
  const text = await (await fetch(`${stack.oryn.services.workspace.url}/metrics`)).text();
  const values: Record<string, number> = {};
  for (const line of text.split("\n")) {
    if (!line.startsWith("tenant_")) continue;
    const name = line.split(/[{ ]/)[0] as string;
    values[name] = (values[name] ?? 0) + Number(line.split(" ").at(-1));
  }
  return values;
}

describe("a tenant database server stopped and restarted under load", () => {
  it("answers its tenants 503 then 200, never disturbs the other server's, loses no acknowledged write and leaves no pool broken", async () => {
    const { call, counts } = countedCaller(stack.oryn.gatewayUrl, { timeoutMs: 5_000 });
    const signedUp = await Promise.all(
      Array.from({ length: 6 }, () => signUpAndWait(call, { intervalMs: 200 })),
    );
    const placement = new Map(
      (
        await stack.cp<{ id: string; name: "one" | "two" }[]>`
          select t.id, s.name from tenants t join database_servers s on s.id = t.server_id`
      ).map((row) => [row.id, row.name]),
    );
    const tenants: Tenant[] = [];
    for (const { tenantId, token } of signedUp) {
      const project = await call("POST", "/v1/projects", { token, body: { name: "Load" } });
      expect(project.status, JSON.stringify(project.json)).toBe(201);
      tenants.push({
        tenantId,
        token,
        server: placement.get(tenantId) as "one" | "two",
        projectId: project.json.id,
        acknowledged: [],
        answers: [],
      });
    }
    const onOne = tenants.filter((tenant) => tenant.server === "one");
    const onTwo = tenants.filter((tenant) => tenant.server === "two");
    expect(onOne.length).toBeGreaterThanOrEqual(2);
    expect(onTwo.length).toBeGreaterThanOrEqual(2);

    // Each tenant alternates a write (a task) and a read (its tasks), one after the other.
    let phase: Phase = "before";
    const load = taskLoad(
      call,
      tenants,
      ["write", "read"],
      () => phase,
      (tenant, { phase, answer }) =>
        tenant.answers.push({
          phase,
          status: answer.status,
          code: answer.json?.code,
          retryAfter: answer.headers.get("retry-after"),
        }),
    );

    const { outageMs, recoveryMs } = await restartRounds(load, {
      stops,
      phase: (next) => {
        phase = next;
      },
      outage: async () => {
        phase = "down";
        await stack.second.stop();
        await sleep(3_000);
        await stack.second.start();
      },
      // Served again: every tenant of `two` gets a 200 on a read.
      servedAgain: () =>
        Promise.all(
          onTwo.map((tenant) =>
            call("GET", `/v1/projects/${tenant.projectId}/tasks?limit=1`, { token: tenant.token }),
          ),
        ),
    });

    // `one`'s tenants: served on every request, stops or not.
    for (const tenant of onOne) {
      const statuses = new Set(tenant.answers.map((answer) => answer.status));
      expect({ tenant: tenant.tenantId, statuses }).toEqual({
        tenant: tenant.tenantId,
        statuses: new Set([200, 201]),
      });
    }
    // `two`'s: 503 with Retry-After while down, nothing else failing; served between stops.
    for (const tenant of onTwo) {
      const down = tenant.answers.filter((answer) => answer.phase === "down");
      const refused = down.filter((answer) => answer.status === 503);
      expect(refused.length).toBeGreaterThan(0);
      for (const answer of refused) {
        expect(answer).toMatchObject({ code: "upstream_unavailable" });
        expect(Number(answer.retryAfter)).toBeGreaterThan(0);
      }
      expect(new Set(down.map((answer) => answer.status))).toSatisfy((set: Set<number>) =>
        [...set].every((status) => [200, 201, 503].includes(status)),
      );
      const before = tenant.answers.filter((answer) => answer.phase === "before");
      expect(new Set(before.map((answer) => answer.status))).toEqual(new Set([200, 201]));
    }
    const unanswered = tenants.flatMap((tenant) =>
      tenant.answers
        .filter((answer) => answer.status === 0)
        .map((answer) => `${tenant.server} ${answer.phase}`),
    );
    const why = `${unanswered.join(", ")}\n${counts.errors.join("\n")}`;
    expect(counts.timeouts, why).toBe(0);
    expect(counts.connectionErrors, why).toBe(0);
    // Every 5xx a client saw was one of `two`'s 503s while it was down.
    const expected503 = onTwo
      .flatMap((tenant) => tenant.answers)
      .filter((answer) => answer.status === 503).length;
    expect(counts.statuses["503"] ?? 0).toBeGreaterThanOrEqual(expected503);
    expect(
      Object.keys(counts.statuses).filter((status) => /^5\d\d$/.test(status) && status !== "503"),
    ).toEqual([]);

    // Every acknowledged write is there, and only the tenant's own.
    const { lost, leaks } = await lostAndLeakedTasks(call, tenants);
    expect({ lost, leaks }).toEqual({ lost: 0, leaks: 0 });

    // No pool left broken: nothing in use or waiting now, and once the pools idle out, no
    // connection of workspace's is left open on either server.
    const now = await workspaceMetrics();
    expect([now.tenant_connections_in_use, now.tenant_connection_waiting]).toEqual([0, 0]);
    const settled = await eventually(
      async () => ({
        metrics: await workspaceMetrics(),
        onTwo: (
          await stack.secondAdmin<{ n: number }[]>`
            select count(*)::int as n from pg_stat_activity where application_name = 'oryn-workspace'`.catch(
            // The admin pool's own connection may have died with the server: asked again next time.
            () => [{ n: -1 }],
          )
        )[0]?.n,
      }),
      ({ metrics, onTwo }) => metrics.tenant_pools_open === 0 && onTwo === 0,
      { timeoutMs: 20_000, intervalMs: 250 },
    );
    expect(settled.metrics.tenant_connections_budgeted).toBe(0);

    recordFault({
      fault: "tenant database server stopped and restarted",
      provoked: stops,
      requests: counts.requests,
      clientErrors: counts.clientErrors,
      dataLost: lost,
      crossTenantLeaks: leaks,
      detail: {
        tenantsPerServer: { one: onOne.length, two: onTwo.length },
        outageMs,
        msFromRestartToAllServed: recoveryMs,
        acknowledgedWrites: tenants.reduce((sum, tenant) => sum + tenant.acknowledged.length, 0),
        statuses: counts.statuses,
        poolsClosed: settled.metrics.tenant_pools_closed_total,
      },
    });
  }, 180_000);
});
