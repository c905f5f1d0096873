/**
 * Tenants whose owner never verified their address are reclaimed through the deletion path
 * (issue 21): `deleting` with the grace period, then dropped like any deleted tenant. On a
 * control plane of this file's own, so no other file's sweep acts on its tenants.
 */
import { randomUUID } from "node:crypto";
import {
  closeRedis,
  connectRedisForWorker,
  createQueues,
  type Queues,
  type RedisClient,
  type Sql,
} from "@oryn/shared";
import { findTenant } from "@oryn/shared/control-plane/tables/tenants";
import { isolatedRun } from "@oryn/testing/isolated-run";
import { activeTenant, provisioningDeps } from "@oryn/testing/tenants";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deleteDueTenants } from "../src/deletion/delete-tenant.ts";
import { reclaimUnverifiedTenants } from "../src/deletion/reclaim-unverified.ts";

let run: Awaited<ReturnType<typeof isolatedRun>>;
let deps: ReturnType<typeof provisioningDeps>;
let cp: Sql;
let redis: RedisClient;
let queues: Queues;

beforeAll(async () => {
  run = await isolatedRun("reclaim");
  deps = provisioningDeps(run);
  cp = deps.controlPlane;
  redis = connectRedisForWorker(run.redisUrl);
  queues = createQueues(redis, run.redisPrefix, deps.logger);
});

afterAll(async () => {
  await queues?.close();
  if (redis) await closeRedis(redis);
  await deps?.close();
  await run?.drop();
});

/** An active tenant with an owner, signed up `ageDays` ago, verified or not. */
async function tenantWithOwner(ageDays: number, verified: boolean): Promise<string> {
  const tenantId = await activeTenant(deps);
  const userId = randomUUID();
  await cp`insert into users (id, email, name, password_hash, email_verified_at)
           values (${userId}, ${`o-${userId.slice(0, 8)}@example.test`}, 'O', 'x',
                   ${verified ? cp`now()` : null})`;
  await cp`insert into memberships (tenant_id, user_id, role) values (${tenantId}, ${userId}, 'owner')`;
  await cp`update tenants set created_at = now() - make_interval(days => ${ageDays}) where id = ${tenantId}`;
  return tenantId;
}

describe("reclaiming tenants no owner verified", () => {
  it("marks old unverified ones deleting, leaves verified and recent ones, and the sweep drops them", async () => {
    const unverified = await tenantWithOwner(15, false);
    const verified = await tenantWithOwner(15, true);
    const recent = await tenantWithOwner(1, false);
    const options = { afterSeconds: 14 * 24 * 3600, graceSeconds: 3600 };
    const context = { controlPlane: cp, queues, logger: deps.logger };

    expect(await reclaimUnverifiedTenants(context, options)).toBe(1);
    expect((await findTenant(cp, unverified))?.status).toBe("deleting");
    expect((await findTenant(cp, verified))?.status).toBe("active");
    expect((await findTenant(cp, recent))?.status).toBe("active");
    const [audit] = await cp<{ data: { via: string } }[]>`
      select data from audit_events
      where tenant_id = ${unverified} and action = 'tenant_deletion_requested'`;
    expect(audit?.data.via).toBe("unverified_owner");
    // Again: nothing more to do (a deleting tenant keeps its deadline).
    expect(await reclaimUnverifiedTenants(context, options)).toBe(0);

    // Past the grace period, the ordinary sweep deletes it.
    await cp`update tenants set delete_after = now() - interval '1 second' where id = ${unverified}`;
    await deleteDueTenants(deps);
    expect((await findTenant(cp, unverified))?.status).toBe("deleted");
    expect((await findTenant(cp, verified))?.status).toBe("active");
  });
});
