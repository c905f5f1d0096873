import {
  closeRedis,
  connectRedisForWorker,
  createJobWorker,
  createLogger,
  createQueues,
  type RedisClient,
} from "@oryn/shared";
import { runCli } from "@oryn/testing/cli";
import { serviceEnv } from "@oryn/testing/context";
import { isolatedRun } from "@oryn/testing/isolated-run";
import { insertTenant, provisioningDeps } from "@oryn/testing/tenants";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startProvisioningWorker } from "../src/provisioning/worker.ts";
import type { OperatorTenant } from "../src/tenants/operator-view.ts";

let run: Awaited<ReturnType<typeof isolatedRun>>;
let deps: ReturnType<typeof provisioningDeps>;
let redis: RedisClient;
let env: Record<string, string>;
let active: string;
let failed: string;
let placed: string;

beforeAll(async () => {
  run = await isolatedRun("clitenants");
  deps = provisioningDeps(run);
  redis = connectRedisForWorker(run.redisUrl);
  env = serviceEnv(run);
  const sql = deps.controlPlane;
  active = await insertTenant(sql);
  await sql`update tenants set status = 'active', schema_version = 5 where id = ${active}`;
  failed = await insertTenant(sql);
  await sql`
    update tenants set status = 'provisioning_failed', provisioning_step = 'create_database',
      provisioning_attempts = 5,
      provisioning_error = 'Provisioning stopped at step create_database after the last attempt',
      provisioning_error_detail = 'could not connect to db-7.internal'
    where id = ${failed}`;
  placed = await insertTenant(sql);
  // The run's own server, registered: the retried tenant below is placed (for real) there.
  const local = new URL(run.postgresUrl);
  await sql`
    insert into database_servers (name, host, port, capacity)
    values ('east-1', ${local.hostname}, ${Number(local.port || 5432)}, 10)`;
  await sql`update tenants set status = 'active', server_id = (select id from database_servers where name = 'east-1') where id = ${placed}`;
});
// Dropping the file's databases waits its turn behind other files' drops (the 300-tenant test
// drops 300 at once): past the 60 s default in a full run.
afterAll(async () => {
  await deps?.close();
  if (redis) await closeRedis(redis);
  await run?.drop();
}, 180_000);

async function json<T>(args: string[]): Promise<T> {
  const result = await runCli([...args, "--json"], env);
  expect(result.code, result.stderr).toBe(0);
  return JSON.parse(result.stdout) as T;
}

describe("pnpm oryn tenants", () => {
  it("lists tenants, filtered by status and by server", async () => {
    const all = await json<OperatorTenant[]>(["tenants", "list"]);
    expect(all.map((tenant) => tenant.id)).toEqual([active, failed, placed]);
    const failedOnly = await json<OperatorTenant[]>([
      "tenants",
      "list",
      "--status",
      "provisioning_failed",
    ]);
    expect(failedOnly.map((tenant) => tenant.id)).toEqual([failed]);
    const east = await json<OperatorTenant[]>(["tenants", "list", "--server", "east-1"]);
    expect(east).toEqual([expect.objectContaining({ id: placed, server: "east-1" })]);
    const human = await runCli(["tenants", "list", "--status", "active"], env);
    expect(human.stdout.trim().split("\n")).toHaveLength(2);
    const bogus = await runCli(["tenants", "list", "--status", "asleep"], env);
    expect(bogus.code).toBe(2);
  });

  it("shows one tenant by id or slug, with the operator-only error detail", async () => {
    const byId = await json<OperatorTenant>(["tenants", "show", failed]);
    expect(byId).toMatchObject({
      id: failed,
      status: "provisioning_failed",
      server: "TENANT_DATABASE_URL",
      provisioningAttempts: 5,
      provisioningErrorDetail: "could not connect to db-7.internal",
    });
    const bySlug = await json<OperatorTenant>(["tenants", "show", byId.slug]);
    expect(bySlug.id).toBe(failed);
    const human = await runCli(["tenants", "show", byId.slug], env);
    expect(human.stdout).toMatch(/detail: could not connect to db-7.internal/);
    const missing = await runCli(["tenants", "show", "no-such-tenant"], env);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/no tenant no-such-tenant/);
  });

  it("retry refuses a tenant that is not provisioning_failed, and changes nothing", async () => {
    const result = await runCli(["tenants", "retry", active], env);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/is active, not provisioning_failed/);
    const [row] = await deps.controlPlane<{ status: string }[]>`
      select status from tenants where id = ${active}`;
    expect(row?.status).toBe("active");
  });

  it("retry replaces the spent job and resets the tenant, which the worker then activates", async () => {
    // The failed job the attempts left behind holds the tenant's job id: an enqueue beside it
    // would be a no-op, so retry must remove it.
    const logger = createLogger("provisioner-test", "silent");
    const queues = createQueues(redis, run.redisPrefix);
    const queue = queues.get("provisioning");
    const failing = createJobWorker({
      queue: "provisioning",
      connection: redis,
      prefix: run.redisPrefix,
      concurrency: 1,
      logger,
      handlers: {
        provisionTenant: async () => {
          throw new Error("the last attempt");
        },
      },
    });
    try {
      await queue.add("provisionTenant", { tenantId: failed }, { jobId: failed, attempts: 1 });
      await expect.poll(async () => (await queue.getJob(failed))?.getState()).toBe("failed");
      await failing.close();

      const retried = await json<{ outcome: string }>(["tenants", "retry", failed]);
      expect(retried.outcome).toBe("requeued");
      const [row] = await deps.controlPlane<
        { status: string; provisioningAttempts: number; provisioningError: string | null }[]
      >`select status, provisioning_attempts, provisioning_error from tenants where id = ${failed}`;
      expect(row).toEqual({
        status: "provisioning",
        provisioningAttempts: 0,
        provisioningError: null,
      });
      expect(await (await queue.getJob(failed))?.getState()).toBe("waiting");

      const worker = startProvisioningWorker({
        deps,
        connection: redis,
        prefix: run.redisPrefix,
        concurrency: 1,
        logger,
      });
      try {
        await expect
          .poll(
            async () =>
              (
                await deps.controlPlane<{ status: string }[]>`
                select status from tenants where id = ${failed}`
              )[0]?.status,
            { timeout: 20_000 },
          )
          .toBe("active");
      } finally {
        await worker.close();
      }
    } finally {
      await failing.close();
      await queues.close();
    }
  });
});
