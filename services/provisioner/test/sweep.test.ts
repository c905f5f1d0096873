import { createQueues, jobCatalogue, Redis, type Sql } from "@oryn/shared";
import { findTenant } from "@oryn/shared/control-plane/tables/tenants";
import { isolatedRun } from "@oryn/testing/isolated-run";
import { insertTenant, provisioningDeps } from "@oryn/testing/tenants";
import { afterAll, describe, expect, it } from "vitest";
import { requeueWaitingTenants } from "../src/provisioning/sweep.ts";
import { startProvisioningWorker } from "../src/provisioning/worker.ts";

// A control plane of its own. The sweep takes every tenant of its control plane waiting in
// `provisioning`, and this file's are made an hour old: on the run's shared one, its sweep could
// count other files' tenants (left there over half an hour), and the provisioners of other
// files' stacks, which sweep the shared one every 30 s, could take these tenants first.
const run = await isolatedRun("sweep");
const deps = provisioningDeps(run);
// A prefix of its own: these workers must not take other test files' jobs, nor the reverse.
const prefix = run.redisPrefix;
const redis = new Redis(run.redisUrl, { maxRetriesPerRequest: null });
const queues = createQueues(redis, prefix);
const queue = queues.get("provisioning");

afterAll(async () => {
  await queues.close();
  redis.disconnect();
  await deps.close();
  await run.drop();
});

/** A tenant the sweep will consider: `provisioning`, untouched for an hour. */
async function staleTenant(controlPlane: Sql): Promise<string> {
  const id = await insertTenant(controlPlane);
  await controlPlane`update tenants set updated_at = now() - interval '1 hour' where id = ${id}`;
  return id;
}

async function until(condition: () => Promise<boolean>, what: string): Promise<void> {
  for (let waited = 0; !(await condition()); waited += 20) {
    if (waited > 15_000) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const sweep = () =>
  requeueWaitingTenants({
    controlPlane: deps.controlPlane,
    queues,
    logger: deps.logger,
    olderThanSeconds: 1800,
  });
const isActive = (id: string) => async () =>
  (await findTenant(deps.controlPlane, id))?.status === "active";

describe("the provisioning sweep", () => {
  it("enqueues a tenant whose signup could not enqueue, and leaves a tenant whose job waits alone", async () => {
    const orphan = await staleTenant(deps.controlPlane);
    const queued = await staleTenant(deps.controlPlane);
    await queue.add(
      "provisionTenant",
      { tenantId: queued },
      { jobId: jobCatalogue.provisionTenant.jobId({ tenantId: queued }) },
    );

    expect(await sweep()).toBe(1);
    const orphanJob = await queue.getJob(jobCatalogue.provisionTenant.jobId({ tenantId: orphan }));
    expect(orphanJob?.data).toEqual({ tenantId: orphan });

    const worker = startProvisioningWorker({
      deps,
      connection: redis,
      prefix,
      concurrency: 2,
      logger: deps.logger,
    });
    try {
      await until(isActive(orphan), "the orphan to activate");
      await until(isActive(queued), "the queued tenant to activate");
    } finally {
      await worker.close();
    }
  });

  it("retries a failed job whose tenant was left in provisioning", async () => {
    const tenantId = await staleTenant(deps.controlPlane);
    const jobId = jobCatalogue.provisionTenant.jobId({ tenantId });
    const failing = startProvisioningWorker({
      deps: {
        ...deps,
        beforeStep: () => {
          throw new Error("injected");
        },
      },
      connection: redis,
      prefix,
      concurrency: 1,
      logger: deps.logger,
    });
    // One attempt only, as if the last failure could not be recorded on the tenant.
    await queue.add("provisionTenant", { tenantId }, { jobId, attempts: 1 });
    await until(
      async () => (await queue.getJob(jobId))?.failedReason === "injected",
      "the job to fail",
    );
    await failing.close();
    await deps.controlPlane`update tenants set updated_at = now() - interval '1 hour' where id = ${tenantId}`;

    expect(await sweep()).toBeGreaterThanOrEqual(1);
    const worker = startProvisioningWorker({
      deps,
      connection: redis,
      prefix,
      concurrency: 1,
      logger: deps.logger,
    });
    try {
      await until(isActive(tenantId), "the retried tenant to activate");
    } finally {
      await worker.close();
    }
  });
});
