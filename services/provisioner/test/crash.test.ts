/**
 * Provisioning survives a crash at any step: a real provisioner process SIGKILLs itself when a
 * job reaches step N (ORYN_TEST_CRASH_AT_STEP, read by the test entry point
 * crashing-provisioner.ts, not by the service), for each step
 * in turn; a fresh process then finishes every tenant with exactly one database and one role, and
 * the reconciler finds nothing left over. Runs on a PostgreSQL server of its own so that the
 * reconciler's "nothing left over" is about this test's objects alone.
 */
import { once } from "node:events";
import { createQueues, enqueue, Redis, type Sql } from "@oryn/shared";
import { findTenant } from "@oryn/shared/control-plane/tables/tenants";
import { stepNames } from "@oryn/shared/provisioning-steps";
import { runCli } from "@oryn/testing/cli";
import { testRun } from "@oryn/testing/context";
import { ownTenantServer } from "@oryn/testing/own-tenant-server";
import { freePort, type RunningService, startService } from "@oryn/testing/processes";
import { countTenantObjects, insertTenant } from "@oryn/testing/tenants";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const run = testRun();
const prefix = `${run.redisPrefix}-crash`;
let own: Awaited<ReturnType<typeof ownTenantServer>>;
let cp: Sql;
let admin: Sql;
const redis = new Redis(run.redisUrl, { maxRetriesPerRequest: null });
const queues = createQueues(redis, prefix);
let env: Record<string, string>;

beforeAll(async () => {
  own = await ownTenantServer("crash", {
    PROVISIONING_CONCURRENCY: "1",
    // A dead worker's job is taken over after this: short, so the test does not wait 30 s.
    PROVISIONING_JOB_LOCK_SECONDS: "1",
  });
  ({ cp, admin, env } = own);
}, 60_000);

afterAll(async () => {
  await queues.close();
  redis.disconnect();
  await own?.close();
});

async function until(condition: () => Promise<boolean>, what: string, ms = 30_000) {
  for (const deadline = Date.now() + ms; !(await condition()); ) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The provisioner with its crash hook, which production's entry point does not have. */
const withCrashHook = { entry: "services/provisioner/test/crashing-provisioner.ts" };

describe("a provisioner killed at every step", () => {
  it("leaves every tenant active with one database and one role once a new process runs", async () => {
    const tenants: { id: string; step: string }[] = [];
    // One step at a time, each crash recovered before the next: otherwise the next crashing
    // process would take over the previous one's stalled job and die on that tenant instead.
    for (const step of stepNames) {
      const crashing: RunningService = await startService(
        "provisioner",
        await freePort(),
        {
          ...env,
          ORYN_TEST_CRASH_AT_STEP: step,
        },
        withCrashHook,
      );
      const exited = once(crashing.process, "exit");
      const id = await insertTenant(cp);
      await enqueue(queues, "provisionTenant", { tenantId: id });
      const [code, signal] = (await exited) as [number | null, string | null];
      expect({ code, signal }, crashing.output()).toEqual({ code: null, signal: "SIGKILL" });
      // It died in the middle: the tenant shows the step it was in, and is not active.
      expect(await findTenant(cp, id)).toMatchObject({
        status: "provisioning",
        provisioningStep: step,
      });
      tenants.push({ id, step });

      // A new process takes the dead worker's job over once its lock expires.
      const survivor = await startService("provisioner", await freePort(), env);
      try {
        await until(
          async () => (await findTenant(cp, id))?.status === "active",
          `the tenant killed at ${step} to become active`,
        );
      } finally {
        await survivor.stop();
      }
    }
    for (const tenant of tenants) {
      expect({ step: tenant.step, ...(await countTenantObjects(admin, tenant.id)) }).toEqual({
        step: tenant.step,
        databases: 1,
        roles: 1,
      });
    }
    const report = await runCli(["reconcile", "--json"], env);
    expect(report.code, report.stderr).toBe(0);
    expect(JSON.parse(report.stdout)).toMatchObject({ orphans: [], removed: false });
  }, 120_000);

  it("finishes a tenant whose provisioner died between claiming a spare and renaming it", async () => {
    const spares = { ...env, TENANT_SPARE_DATABASES: "2" };
    const ready = async () =>
      (
        await cp<{ count: number }[]>`
          select count(*)::int from spare_databases where state = 'ready' and tenant_id is null`
      )[0]?.count ?? 0;
    // A process that only fills the pool, then one that dies holding a claim.
    const filler = await startService("provisioner", await freePort(), spares);
    try {
      await until(async () => (await ready()) >= 1, "a ready spare");
    } finally {
      await filler.stop();
    }
    const crashing = await startService(
      "provisioner",
      await freePort(),
      {
        ...spares,
        ORYN_TEST_CRASH_AT_STEP: "spare_claimed",
      },
      withCrashHook,
    );
    const exited = once(crashing.process, "exit");
    const id = await insertTenant(cp);
    await enqueue(queues, "provisionTenant", { tenantId: id });
    const [, signal] = (await exited) as [number | null, string | null];
    expect(signal, crashing.output()).toBe("SIGKILL");
    const [claim] = await cp<{ name: string }[]>`
      select name from spare_databases where tenant_id = ${id}`;
    expect(claim?.name).toMatch(/^oryn_spare_/);

    const survivor = await startService("provisioner", await freePort(), spares);
    try {
      await until(
        async () => (await findTenant(cp, id))?.status === "active",
        "the tenant killed mid-claim to become active",
      );
    } finally {
      await survivor.stop();
    }
    expect(await countTenantObjects(admin, id)).toEqual({ databases: 1, roles: 1 });
    // The claimed spare became the tenant's database: it is gone under its own name, and no
    // claim is left.
    const [left] = await admin<{ count: number }[]>`
      select count(*)::int from pg_database where datname = ${claim?.name ?? ""}`;
    expect(left?.count).toBe(0);
    expect(await cp`select 1 from spare_databases where tenant_id is not null`).toHaveLength(0);
    const report = await runCli(["reconcile", "--json"], spares);
    expect(report.code, report.stderr).toBe(0);
    expect(JSON.parse(report.stdout)).toMatchObject({ orphans: [], removed: false });
  }, 120_000);
});
