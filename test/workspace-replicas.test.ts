/**
 * Two workspace replicas behind a gateway that lists both (WORKSPACE_URL), as real processes:
 * each tenant's requests land on one replica (its pools are there only, seen in each replica's
 * tenant_pools gauges); one replica killed, its tenants are answered by the other with no request
 * lost beyond those in flight; restarted, its tenants come back to it (their pools open there).
 */
import { serviceEnv } from "@oryn/testing/context";
import { jsonCaller } from "@oryn/testing/http";
import { isolatedRun } from "@oryn/testing/isolated-run";
import {
  freePort,
  type Oryn,
  type RunningService,
  startOryn,
  startService,
} from "@oryn/testing/processes";
import { eventually, signUpAndWait } from "@oryn/testing/wait";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { rendezvousChoice } from "../services/gateway/src/proxy/replicas.ts";

const initialTenants = 8;
let run: Awaited<ReturnType<typeof isolatedRun>>;

let oryn: Oryn;
let second: RunningService;
let gateway: RunningService;
const started: RunningService[] = [];

/** A replica's gauge (or counter) as its /metrics says now. */
async function metric(replica: RunningService, name: string): Promise<number> {
  const text = await (await fetch(`${replica.url}/metrics`)).text();
  const line = text.split("\n").find((candidate) => candidate.startsWith(`${name}{`));
  return Number(line?.split(" ").at(-1) ?? Number.NaN);
}

beforeAll(async () => {
  // Five processes starting on a busy machine can take a while.
  const slow = { healthTimeoutMs: 180_000 };
  // A control plane of its own, so that pools are opened by the requests below only: each
  // workspace's outbox sweep (at start, then each period) visits every tenant written recently
  // on its control plane, and on the run's shared one those are other files' tenants.
  run = await isolatedRun("replicas");
  oryn = await startOryn(serviceEnv(run), {}, slow);
  second = await startService("workspace", await freePort(), oryn.env.workspace, slow);
  started.push(second);
  // A gateway of its own in front of both replicas; signups go through startOryn's.
  gateway = await startService(
    "gateway",
    await freePort(),
    {
      ...oryn.env.gateway,
      OPS_PORT: String(await freePort()),
      WORKSPACE_URL: `${oryn.services.workspace.url},${second.url}`,
      // Tried again soon after it refused, so the test need not wait long for tenants to move back.
      WORKSPACE_EJECT_MS: "1000",
    },
    slow,
  );
  started.push(gateway);
}, 600_000);

afterAll(async () => {
  await Promise.all(started.map((service) => service.stop()));
  await oryn?.stop();
  await run?.drop();
}, 180_000);

describe("two workspace replicas behind the gateway", () => {
  it("keep each tenant on one replica, serve a killed replica's tenants on the other, and take them back", async () => {
    const signups = jsonCaller((path, init) => fetch(`${oryn.gatewayUrl}${path}`, init));
    const tenants = await Promise.all(
      Array.from({ length: initialTenants }, () => signUpAndWait(signups)),
    );
    const call = jsonCaller((path, init) =>
      fetch(`${gateway.url}${path}`, { ...init, signal: AbortSignal.timeout(10_000) }),
    );
    const first = oryn.services.workspace;
    const urls = [first.url, second.url];
    const onSecondReplica = () =>
      tenants.filter((t) => rendezvousChoice(t.tenantId, urls) === second.url);
    // Both replicas must serve some tenants for the test to mean much. Ids and ports are new each
    // run, so eight tenants all land on one side about once in 128 runs: sign up more until not.
    while (onSecondReplica().length % tenants.length === 0)
      tenants.push(await signUpAndWait(signups));
    const onSecond = onSecondReplica();
    const tenantCount = tenants.length;

    // Each tenant a few times, in turns: each replica opens a pool for its own tenants only.
    for (let round = 0; round < 3; round++) {
      for (const tenant of tenants) {
        const answer = await call("GET", "/v1/projects", { token: tenant.token });
        expect(answer.status, JSON.stringify(answer.json)).toBe(200);
      }
    }
    expect(await metric(first, "tenant_pools_open")).toBe(tenantCount - onSecond.length);
    expect(await metric(second, "tenant_pools_open")).toBe(onSecond.length);
    expect(
      (await metric(first, "tenant_pools_opened_total")) +
        (await metric(second, "tenant_pools_opened_total")),
    ).toBe(tenantCount);

    // Clients sending one request after another for every tenant, while the second replica is
    // killed and started again on its port.
    const clients = 4;
    const statuses: { status: number; tenant: string; at: number }[] = [];
    let stop = false;
    const load = Array.from({ length: clients }, async (_, client) => {
      for (let turn = client; !stop; turn += clients) {
        const tenant = tenants[turn % tenantCount] as (typeof tenants)[number];
        const answer = await call("GET", "/v1/projects", { token: tenant.token });
        statuses.push({ status: answer.status, tenant: tenant.tenantId, at: Date.now() });
      }
    });
    let revived: RunningService | undefined;
    try {
      const settle = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
      await settle(500);
      await second.stop("SIGKILL");
      const killedAt = Date.now();
      // Every tenant of the killed replica is answered, by the first one.
      await eventually(
        async () =>
          onSecond.every((tenant) =>
            statuses.some(
              (s) => s.tenant === tenant.tenantId && s.at > killedAt && s.status === 200,
            ),
          ),
        Boolean,
        { timeoutMs: 20_000 },
      );
      expect(await metric(first, "tenant_pools_open")).toBe(tenantCount);

      const back = await startService("workspace", second.port, oryn.env.workspace, {
        healthTimeoutMs: 180_000,
      });
      started.push(back);
      revived = back;
      // Back on their replica: their pools open there again (a fresh process counts from zero).
      await eventually(
        () => metric(back, "tenant_pools_open"),
        (open) => open === onSecond.length,
        { timeoutMs: 20_000 },
      );
    } finally {
      // Also when an expectation above failed: no client left sending after the test.
      stop = true;
      await Promise.allSettled(load);
    }
    // No request lost beyond those in flight when the replica was killed.
    const failed = statuses.filter((s) => s.status !== 200);
    expect(failed.length, JSON.stringify(failed)).toBeLessThanOrEqual(clients);
    expect(await metric(revived as RunningService, "tenant_pools_opened_total")).toBe(
      onSecond.length,
    );
  }, 400_000);
});
