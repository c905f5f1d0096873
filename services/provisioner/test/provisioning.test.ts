import {
  createQueues,
  enqueue,
  jobCatalogue,
  latestVersion,
  Redis,
  tenantDatabaseName,
  tenantMigrations,
} from "@oryn/shared";
import { findTenant } from "@oryn/shared/control-plane/tables/tenants";
import { stepNames } from "@oryn/shared/provisioning-steps";
import { testRun } from "@oryn/testing/context";
import { countTenantObjects, insertTenant, provisioningDeps } from "@oryn/testing/tenants";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { provisionTenant } from "../src/provisioning/provision-tenant.ts";
import { runProvisioningAttempt, startProvisioningWorker } from "../src/provisioning/worker.ts";

const run = testRun();
const deps = provisioningDeps(run);

afterAll(() => deps.close());

describe("provisioning a tenant", () => {
  it("creates one database and one role, and marks the tenant active", async () => {
    const tenantId = await insertTenant(deps.controlPlane);
    expect(await provisionTenant(deps, tenantId, 1)).toBe("activated");
    expect(await countTenantObjects(deps.admin, tenantId)).toEqual({ databases: 1, roles: 1 });
    const tenant = await findTenant(deps.controlPlane, tenantId);
    expect(tenant).toMatchObject({
      status: "active",
      provisioningStep: "done",
      provisioningAttempts: 1,
      schemaVersion: latestVersion(tenantMigrations),
    });
  });

  it("changes nothing when the job runs again", async () => {
    const tenantId = await insertTenant(deps.controlPlane);
    await provisionTenant(deps, tenantId, 1);
    const oid = async () =>
      (
        await deps.admin`select oid from pg_database where datname = ${tenantDatabaseName(tenantId)}`
      )[0]?.oid;
    const before = await oid();
    expect(await provisionTenant(deps, tenantId, 2)).toBe("already_done");
    expect(await oid()).toBe(before);
    expect(await countTenantObjects(deps.admin, tenantId)).toEqual({ databases: 1, roles: 1 });
  });

  it("ends with one database and one role when two jobs for one tenant run at once", async () => {
    const tenantId = await insertTenant(deps.controlPlane);
    // BullMQ's job id normally prevents this; the steps must not depend on it.
    const outcomes = await Promise.allSettled([
      provisionTenant(deps, tenantId, 1),
      provisionTenant(deps, tenantId, 1),
    ]);
    const rejected = outcomes.filter((outcome) => outcome.status === "rejected");
    // The loser may fail on a catalog row the winner is changing ("tuple concurrently updated");
    // like any failed attempt it is retried, and the retry must reach the same end.
    if (rejected.length > 0)
      expect(["activated", "already_done"]).toContain(await provisionTenant(deps, tenantId, 2));
    expect(await countTenantObjects(deps.admin, tenantId)).toEqual({ databases: 1, roles: 1 });
    expect((await findTenant(deps.controlPlane, tenantId))?.status).toBe("active");
  });

  it.each(stepNames)(
    "recovers from a failure at step %s: one database, one role, active",
    async (failingStep) => {
      const tenantId = await insertTenant(deps.controlPlane);
      const failing = {
        ...deps,
        beforeStep: (step: string) => {
          if (step === failingStep) throw new Error(`injected failure at ${step}`);
        },
      };
      await expect(runProvisioningAttempt(failing, tenantId, 1)).rejects.toThrow(
        `injected failure at ${failingStep}`,
      );
      const failed = await findTenant(deps.controlPlane, tenantId);
      expect(failed).toMatchObject({
        status: "provisioning",
        provisioningStep: failingStep,
        provisioningError: `Step ${failingStep} failed; it will be retried`,
      });

      // Whatever step failed, PUBLIC cannot connect to a database that exists.
      const [acl] = await deps.admin<{ exists: boolean; publicCanConnect: boolean }[]>`
      select count(*) > 0 as exists,
             coalesce(bool_or(has_database_privilege('public', datname, 'connect')), false) as public_can_connect
      from pg_database where datname = ${tenantDatabaseName(tenantId)}`;
      expect(acl?.publicCanConnect).toBe(false);

      expect(await runProvisioningAttempt(deps, tenantId, 2)).toBe("activated");
      expect(await countTenantObjects(deps.admin, tenantId)).toEqual({ databases: 1, roles: 1 });
      expect(await findTenant(deps.controlPlane, tenantId)).toMatchObject({
        status: "active",
        provisioningAttempts: 2,
        provisioningError: null,
      });
    },
  );

  it("gives up after the last attempt: provisioning_failed, telling the tenant the step and operators the reason", async () => {
    const tenantId = await insertTenant(deps.controlPlane);
    const broken = {
      ...deps,
      beforeStep: (step: string) => {
        if (step === "create_database") throw new Error("could not reach 10.0.0.7:5432");
      },
    };
    const attempts = jobCatalogue.provisionTenant.options.attempts;
    await expect(runProvisioningAttempt(broken, tenantId, attempts - 1)).rejects.toThrow();
    expect(await findTenant(deps.controlPlane, tenantId)).toMatchObject({
      status: "provisioning",
      provisioningError: "Step create_database failed; it will be retried",
    });
    await expect(runProvisioningAttempt(broken, tenantId, attempts)).rejects.toThrow();
    const tenant = await findTenant(deps.controlPlane, tenantId);
    expect(tenant).toMatchObject({
      status: "provisioning_failed",
      provisioningError: "Provisioning stopped at step create_database after the last attempt",
    });
    const [row] =
      await deps.controlPlane`select provisioning_error_detail from tenants where id = ${tenantId}`;
    expect(row?.provisioningErrorDetail).toBe("could not reach 10.0.0.7:5432");
  });
});

describe("the provisioning queue", () => {
  const redis = new Redis(run.redisUrl, { maxRetriesPerRequest: null });
  const queues = createQueues(redis, run.redisPrefix);
  let worker: ReturnType<typeof startProvisioningWorker>;

  beforeAll(() => {
    worker = startProvisioningWorker({
      deps,
      connection: redis,
      prefix: run.redisPrefix,
      concurrency: 2,
      logger: deps.logger,
    });
  });
  afterAll(async () => {
    await worker.close();
    await queues.close();
    redis.disconnect();
  });

  it("runs an enqueued job to an active tenant, and a second enqueue adds no second job", async () => {
    const tenantId = await insertTenant(deps.controlPlane);
    await enqueue(queues, "provisionTenant", { tenantId });
    await enqueue(queues, "provisionTenant", { tenantId });
    const queue = queues.get("provisioning");
    const jobId = jobCatalogue.provisionTenant.jobId({ tenantId });
    for (
      let waited = 0;
      (await findTenant(deps.controlPlane, tenantId))?.status !== "active";
      waited += 20
    ) {
      expect(waited).toBeLessThan(15_000);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const jobs = await queue.getJobs(["completed", "active", "waiting", "delayed", "failed"]);
    const forTenant = jobs.filter((job) => job.data.tenantId === tenantId);
    expect(forTenant.map((job) => job.id)).toEqual([jobId]);
    expect(forTenant[0]?.returnvalue).toBe("activated");
    expect(await countTenantObjects(deps.admin, tenantId)).toEqual({ databases: 1, roles: 1 });
  });

  it("refuses a payload that does not fit the job's schema", async () => {
    await expect(enqueue(queues, "provisionTenant", { tenantId: "not-a-uuid" })).rejects.toThrow();
  });
});
