/**
 * Fault: the control plane's PostgreSQL server stopped (immediate: as if it crashed) and started
 * again, twice, while tenants read and write through the gateway and look at their tenant.
 *
 * Every service holds connections to the control plane: the gateway's (plans, API keys, tenants),
 * workspace's (each tenant's status and server), billing's, and the provisioner's, which also
 * holds its advisory locks on reserved connections. Each of those connections dies with the
 * server. What a user should see while it is down: tenants still read their data (workspace uses
 * the status and server it read last), writes and everything else answered 503 problem+json
 * at once, never a hang; afterwards every kind of request served again, a new signup
 * provisioned to active, every acknowledged write there, and no service gone.
 *
 * The control plane here is on a throwaway server of the test's own; tenant databases stay on
 * the machine's server, which is never stopped.
 */
import { connect } from "@oryn/shared";
import { serviceEnv } from "@oryn/testing/context";
import { isolatedRun } from "@oryn/testing/isolated-run";
import { startThrowawayPostgres, type ThrowawayPostgres } from "@oryn/testing/postgres-server";
import { type Oryn, startOryn } from "@oryn/testing/processes";
import { signUpAndWait } from "@oryn/testing/wait";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type LoadKind,
  lostAndLeakedTasks,
  reportExited,
  restartRounds,
  taskLoad,
} from "./acknowledged-tasks.ts";
import { countedCaller } from "./counted-calls.ts";
import { recordFault } from "./report.ts";

const stops = 2;
let server: ThrowawayPostgres | undefined;
let run: Awaited<ReturnType<typeof isolatedRun>> | undefined;
let oryn: Oryn | undefined;

beforeAll(async () => {
  server = await startThrowawayPostgres({ label: "cprestart" });
  run = await isolatedRun("cprestart", { controlPlaneServerUrl: server.url });
  const cp = connect(run.controlPlaneUrl, { max: 1 });
  try {
    const tenantServer = new URL(run.postgresUrl);
    await cp`
      insert into database_servers (name, host, port, capacity, state) values
        ('one', ${tenantServer.hostname}, ${Number(tenantServer.port || 5432)}, 100, 'accepting')`;
  } finally {
    await cp.end();
  }
  oryn = await startOryn({
    ...serviceEnv(run),
    // Clients here send as fast as they are answered; the plan's rate is not what is tested.
    RATE_LIMIT_TENANT_PER_MINUTE: "1000000",
  });
}, 120_000);

afterAll(async () => {
  reportExited(oryn);
  await oryn?.stop();
  // The control plane lists the tenants to remove from the machine's server: its own must be up.
  await server?.start().catch(() => {});
  await run?.drop();
  await server?.remove();
}, 120_000);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

type Phase = "before" | "between" | "down" | "back";
type Seen = { phase: Phase; kind: LoadKind; status: number; code?: string; type?: string };

describe("the control plane's database server stopped and restarted under load", () => {
  it("serves reads and answers 503 to the rest meanwhile, then serves everything again, provisions, and loses no acknowledged write", async () => {
    if (!oryn) throw new Error("no stack");
    const { call, counts } = countedCaller(oryn.gatewayUrl, { timeoutMs: 10_000 });
    const signedUp = await Promise.all(
      Array.from({ length: 3 }, () => signUpAndWait(call, { intervalMs: 200 })),
    );
    const tenants = await Promise.all(
      signedUp.map(async ({ tenantId, token }) => {
        const project = await call("POST", "/v1/projects", { token, body: { name: "Load" } });
        expect(project.status, JSON.stringify(project.json)).toBe(201);
        return {
          tenantId,
          token,
          projectId: project.json.id as string,
          acknowledged: [] as string[],
        };
      }),
    );

    // Each tenant writes a task, reads its tasks and reads its tenant, one after the other.
    const seen: Seen[] = [];
    let phase: Phase = "before";
    const load = taskLoad(
      call,
      tenants,
      ["write", "read", "tenant"],
      () => phase,
      (_, { phase, kind, answer }) =>
        seen.push({
          phase,
          kind,
          status: answer.status,
          code: answer.json?.code,
          type: answer.headers.get("content-type") ?? undefined,
        }),
    );

    const downSignups: number[] = [];
    const { recoveryMs } = await restartRounds(load, {
      stops,
      phase: (next) => {
        phase = next;
      },
      outage: async (round) => {
        // "down" only from when the server has stopped until it is told to start: a request sent
        // as it stops or starts may be served.
        phase = "between";
        await server?.stop();
        phase = "down";
        await sleep(1_000);
        // A signup while the control plane is away: refused at once, not lost half-way.
        const refused = await call("POST", "/v1/signup", {
          body: {
            company: { name: "While down", slug: `down-${crypto.randomUUID().slice(0, 8)}` },
            owner: {
              email: `down-${round}@down.test`,
              password: "a long enough password",
              name: "Owner",
            },
          },
        });
        downSignups.push(refused.status);
        await sleep(2_000);
        phase = "between";
        await server?.start();
      },
      // Served again: every tenant's read, write and tenant lookup.
      servedAgain: () =>
        Promise.all(
          tenants.flatMap((tenant) => [
            call("GET", `/v1/projects/${tenant.projectId}/tasks?limit=1`, {
              token: tenant.token,
            }),
            call("POST", `/v1/projects/${tenant.projectId}/tasks`, {
              token: tenant.token,
              body: { title: `${tenant.tenantId} recovery` },
            }),
            call("GET", "/v1/tenant", { token: tenant.token }),
          ]),
        ),
    });

    // The provisioner's locks and queues came through: a signup now ends active.
    const after = await signUpAndWait(call, { intervalMs: 200, timeoutMs: 60_000 });
    expect(after.tenantId).toBeTruthy();

    console.log(
      "[control plane restart]",
      JSON.stringify({ recoveryMs, downSignups, statuses: counts.statuses }),
    );
    const byPhase = (p: Phase) => seen.filter((s) => s.phase === p);
    // Served normally before each stop.
    expect(new Set(byPhase("before").map((s) => s.status))).toEqual(new Set([200, 201]));
    // While down: reads served. Writes too while workspace's cached tenant state is fresh
    // (TENANT_STATUS_CACHE_MS), then 503 problem+json; tenant lookups 503 problem+json.
    // Requests sent in one phase and answered in another are not in `seen`.
    const down = byPhase("down");
    const refused = { status: 503, type: "application/problem+json" };
    expect(down.filter((s) => s.kind === "read").length).toBeGreaterThan(0);
    expect(down.filter((s) => s.kind === "write" && s.status === 503).length).toBeGreaterThan(0);
    for (const answer of down) {
      if (answer.kind === "read") expect(answer).toMatchObject({ status: 200 });
      else if (answer.kind === "write" && answer.status === 201) continue;
      else expect(answer).toMatchObject(refused);
    }
    for (const status of downSignups) expect(status).toBe(503);
    const why = counts.errors.join("\n");
    expect(counts.timeouts, why).toBe(0);
    expect(counts.connectionErrors, why).toBe(0);
    expect(
      Object.keys(counts.statuses).filter((status) => /^5\d\d$/.test(status) && status !== "503"),
    ).toEqual([]);

    // Every acknowledged write is there, and only the tenant's own.
    const { lost, leaks } = await lostAndLeakedTasks(call, tenants);
    expect({ lost, leaks }).toEqual({ lost: 0, leaks: 0 });

    // No service went down.
    for (const service of Object.values(oryn.services)) {
      expect([service.name, service.process.exitCode, service.process.signalCode]).toEqual([
        service.name,
        null,
        null,
      ]);
    }

    recordFault({
      fault: "control plane database stopped and restarted",
      provoked: stops,
      requests: counts.requests,
      clientErrors: counts.clientErrors,
      dataLost: lost,
      crossTenantLeaks: leaks,
      detail: {
        msFromRestartToAllServed: recoveryMs,
        signupsWhileDown: downSignups,
        statusesWhileDown: Object.fromEntries(
          (["write", "read", "tenant"] as const).map((kind) => [
            kind,
            [
              ...new Set(
                byPhase("down")
                  .filter((s) => s.kind === kind)
                  .map((s) => s.status),
              ),
            ],
          ]),
        ),
        acknowledgedWrites: tenants.reduce((sum, tenant) => sum + tenant.acknowledged.length, 0),
        statuses: counts.statuses,
      },
    });
  }, 180_000);
});
