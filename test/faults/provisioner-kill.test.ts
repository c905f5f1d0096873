/**
 * Fault: the provisioner SIGKILLed mid-job, again and again, while 50 companies sign up through
 * the gateway. Each kill lands while tenants are being provisioned (a job holds its lock, a step
 * is half done); a new process takes over on the same port. Afterwards every tenant is active
 * with exactly one database and one role, the server holds no database or role that no active
 * tenant owns, and each tenant's database serves a write and a read through the gateway.
 *
 * Tenant databases go to a PostgreSQL server of this file's own, so comparing pg_database and
 * pg_roles with the control plane speaks of this test's objects only (crash.test.ts kills at
 * each step once, with jobs enqueued directly; this is the same under real signups and load).
 */
import { type Sql, tenantDatabaseName } from "@oryn/shared";
import { runCli } from "@oryn/testing/cli";
import { testRun } from "@oryn/testing/context";
import { ownTenantServer } from "@oryn/testing/own-tenant-server";
import { type Oryn, type RunningService, startOryn, startService } from "@oryn/testing/processes";
import { eventually, testPassword } from "@oryn/testing/wait";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { countedCaller } from "./counted-calls.ts";
import { recordFault } from "./report.ts";

const run = testRun();
const signups = 50;
const kills = 6;
let own: Awaited<ReturnType<typeof ownTenantServer>>;
let oryn: Oryn;
/** The provisioner process alive now: startOryn's first, then each replacement. */
let provisioner: RunningService | undefined;
let cp: Sql;
let admin: Sql;
let env: Record<string, string>;

beforeAll(async () => {
  own = await ownTenantServer("provkill", {
    // A killed worker's jobs are taken over after this (BullMQ's default is 30 s).
    PROVISIONING_JOB_LOCK_SECONDS: "1",
    // A job stalled twice is failed by BullMQ without our handler running; the sweep is what
    // sets such a tenant going again, so it runs often here.
    PROVISIONING_SWEEP_SECONDS: "2",
  });
  ({ cp, admin, env } = own);
  oryn = await startOryn(env);
  provisioner = oryn.services.provisioner;
}, 90_000);

afterAll(async () => {
  // The replacement provisioner is not one startOryn knows of.
  if (provisioner !== oryn?.services.provisioner) await provisioner?.stop("SIGKILL");
  await oryn?.stop();
  await own?.close();
});

async function tenantStates(): Promise<Record<string, number>> {
  const rows = await cp<{ status: string; n: number }[]>`
    select status, count(*)::int as n from tenants group by status`;
  return Object.fromEntries(rows.map((row) => [row.status, row.n]));
}

describe("the provisioner killed mid-job during 50 signups", () => {
  it("ends with every tenant active, each database usable, and no orphan", async () => {
    const { call, counts } = countedCaller(oryn.gatewayUrl);
    const tag = run.runId.slice(-6);

    // The killer: once tenants are being provisioned, SIGKILL the provisioner a few hundred ms
    // into its life, start a new one on the same port, and again, `kills` times.
    const killedMidJob: number[] = [];
    let killing = true;
    const killer = (async () => {
      await eventually(tenantStates, (states) => (states.provisioning ?? 0) > 0, {
        timeoutMs: 30_000,
      });
      while (killing && killedMidJob.length < kills) {
        await new Promise((resolve) => setTimeout(resolve, 200 + Math.random() * 400));
        const current = provisioner as RunningService;
        // Tenants with a step under way: the process dies holding their jobs.
        const [busy] = await cp<{ n: number }[]>`
          select count(*)::int as n from tenants
          where status = 'provisioning' and provisioning_step is not null`;
        await current.stop("SIGKILL");
        killedMidJob.push(busy?.n ?? 0);
        provisioner = await startService("provisioner", current.port, env);
      }
    })();

    // Fifty signups, ten at a time, while the killer works.
    const tenants: { id: string; token: string }[] = [];
    let next = 0;
    await Promise.all(
      Array.from({ length: 10 }, async () => {
        while (next < signups) {
          const index = next++;
          const slug = `kill-${tag}-${index}`;
          const answer = await call("POST", "/v1/signup", {
            body: {
              company: { name: `Killed ${index}`, slug },
              owner: { email: `owner${index}@${slug}.test`, password: testPassword, name: "O" },
            },
          });
          expect(answer.status, JSON.stringify(answer.json)).toBe(202);
          tenants.push({ id: answer.json.tenant.id, token: answer.json.tokens.accessToken });
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
      }),
    );

    // Clients poll their tenant as a real one would, while kills go on, until it is active or
    // has given up (then the states below say which).
    const polls = Promise.all(
      tenants.map((tenant) =>
        eventually(
          () => call("GET", "/v1/tenant", { token: tenant.token }),
          (answer) => ["active", "provisioning_failed"].includes(answer.json?.status),
          { timeoutMs: 150_000, intervalMs: 500 },
        ),
      ),
    );
    await eventually(
      async () => killedMidJob.length,
      (done) => done >= kills,
      { timeoutMs: 120_000, intervalMs: 200 },
    ).finally(() => {
      killing = false;
    });
    await killer;
    await polls;

    // Every tenant row active, none left behind in provisioning or failed.
    expect(await tenantStates()).toEqual({ active: signups });
    const ids = tenants.map((tenant) => tenant.id);
    expect(new Set(ids).size).toBe(signups);

    // The server holds exactly the active tenants' databases and roles: nothing half made.
    const databases = await admin<{ datname: string }[]>`
      select datname from pg_database where datname ~ '^oryn_t_[0-9a-f]{32}$'`;
    const roles = await admin<{ rolname: string }[]>`
      select rolname from pg_roles where rolname ~ '^oryn_t_[0-9a-f]{32}$'`;
    const expected = ids.map(tenantDatabaseName).sort();
    expect(databases.map((row) => row.datname).sort()).toEqual(expected);
    expect(roles.map((row) => row.rolname).sort()).toEqual(expected);
    const report = await runCli(["reconcile", "--json"], env);
    expect(report.code, report.stderr).toBe(0);
    expect(JSON.parse(report.stdout)).toMatchObject({ orphans: [], removed: false });

    // Each tenant's database takes a write and gives it back, as its own role, via workspace.
    let lost = 0;
    let leaks = 0;
    for (const tenant of tenants) {
      const created = await call("POST", "/v1/projects", {
        token: tenant.token,
        body: { name: `After kills ${tenant.id}` },
      });
      expect(created.status, JSON.stringify(created.json)).toBe(201);
      const listed = await call("GET", "/v1/projects", { token: tenant.token });
      expect(listed.status).toBe(200);
      const names = (listed.json.items as { name: string }[]).map((item) => item.name);
      if (!names.includes(`After kills ${tenant.id}`)) lost++;
      leaks += names.filter((name) => name !== `After kills ${tenant.id}`).length;
    }
    expect({ lost, leaks }).toEqual({ lost: 0, leaks: 0 });
    expect(counts.clientErrors, JSON.stringify(counts.statuses)).toBe(0);
    expect(killedMidJob.filter((busy) => busy > 0).length).toBeGreaterThanOrEqual(3);

    recordFault({
      fault: "provisioner SIGKILL during 50 signups",
      provoked: killedMidJob.length,
      requests: counts.requests,
      clientErrors: counts.clientErrors,
      dataLost: lost + (signups - ids.length),
      crossTenantLeaks: leaks,
      detail: {
        tenantsProvisioningAtEachKill: killedMidJob,
        statuses: counts.statuses,
      },
    });
  }, 240_000);
});
