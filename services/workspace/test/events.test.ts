import { serviceEnv } from "@oryn/testing/context";
import { isolatedRun } from "@oryn/testing/isolated-run";
import { activeTenant, provisioningDeps } from "@oryn/testing/tenants";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { recordTenantEvent } from "../src/events/outbox.ts";
import { writeAs } from "../src/lib/write-as.ts";
import { workspaceInProcess } from "./fixtures.ts";

// A control plane of its own: a sweep visits every marked tenant of its control plane, and on
// the run's shared one that is every tenant other files write to. There, this file's sweeps
// counted other files' events caught between commit and relay (`sweep()` toBe(0) failed), and
// other files' workspace processes (a sweep each 30 s) could move this file's events first.
const run = await isolatedRun("events");
const provisioning = provisioningDeps(run);
const workspace = await workspaceInProcess(serviceEnv(run));
const controlPlane = provisioning.controlPlane;
let tenant: string;
let token: string;

beforeAll(async () => {
  tenant = await activeTenant(provisioning);
  await controlPlane`update tenants set plan = 'business' where id = ${tenant}`;
  token = await workspace.tokenFor(tenant);
});
afterAll(async () => {
  await workspace.close();
  await provisioning.close();
  await run.drop();
});

type LoggedEvent = {
  id: string;
  sequence: string;
  type: string;
  data: Record<string, unknown>;
  previous: Record<string, unknown> | null;
};

async function eventsOf(tenantId: string): Promise<LoggedEvent[]> {
  await workspace.deps.events.settle();
  return controlPlane<LoggedEvent[]>`
    select id, sequence::text, type, data, previous from events
    where tenant_id = ${tenantId} and sequence is not null order by sequence`;
}

const outboxLength = (tenantId: string) =>
  workspace.deps.pools.run(tenantId, async (sql) => {
    const [row] = await sql<{ count: number }[]>`select count(*)::int as count from event_outbox`;
    return row?.count ?? 0;
  });

describe("events: the tenant database's outbox", () => {
  it("records project and task changes with the API's objects, numbered 1, 2, 3… in order", async () => {
    const own = await activeTenant(provisioning);
    const ownToken = await workspace.tokenFor(own);
    const created = await workspace.call("POST", "/v1/projects", {
      token: ownToken,
      body: { name: "Apollo" },
    });
    const projectId = created.json.id;
    const updated = await workspace.call("PATCH", `/v1/projects/${projectId}`, {
      token: ownToken,
      body: { name: "Artemis" },
    });
    const task = await workspace.call("POST", `/v1/projects/${projectId}/tasks`, {
      token: ownToken,
      body: { title: "Launch" },
    });
    const taskPath = `/v1/projects/${projectId}/tasks/${task.json.id}`;
    const doneTask = await workspace.call("PATCH", taskPath, {
      token: ownToken,
      body: { status: "done" },
    });
    expect(doneTask.status).toBe(200);
    expect((await workspace.call("DELETE", taskPath, { token: ownToken })).status).toBe(204);
    expect(
      (await workspace.call("DELETE", `/v1/projects/${projectId}`, { token: ownToken })).status,
    ).toBe(204);

    const events = await eventsOf(own);
    expect(events.map((event) => [event.sequence, event.type])).toEqual([
      ["1", "project.created"],
      ["2", "project.updated"],
      ["3", "task.created"],
      ["4", "task.updated"],
      ["5", "task.deleted"],
      ["6", "project.deleted"],
    ]);
    expect(events[0]?.data).toEqual(created.json);
    expect(events[1]?.data).toEqual(updated.json);
    expect(events[1]?.previous).toEqual({
      name: "Apollo",
      updatedAt: created.json.updatedAt,
      version: 1,
    });
    expect(events[2]?.data).toEqual(task.json);
    expect(events[3]?.previous).toMatchObject({ status: task.json.status });
    expect(events[4]?.data).toEqual(doneTask.json);
    expect(events[5]?.data).toEqual(updated.json);
    expect(new Set(events.map((event) => event.id)).size).toBe(6);
    expect(await outboxLength(own)).toBe(0);
  });

  it("a rolled-back change leaves no event: a stale If-Match, and a failure after the event was written", async () => {
    const project = await workspace.call("POST", "/v1/projects", { token, body: { name: "Kept" } });
    const before = (await eventsOf(tenant)).length;

    const stale = await workspace.call("PATCH", `/v1/projects/${project.json.id}`, {
      token,
      body: { name: "Lost" },
      headers: { "if-match": '"999"' },
    });
    expect(stale.status).toBe(412);
    await expect(
      workspace.deps.pools.run(tenant, (sql) =>
        writeAs(sql, { userId: crypto.randomUUID(), requestId: "rollback-test" }, async (tx) => {
          await recordTenantEvent(tx, "project.created", { name: "never" });
          throw new Error("the change fails after its event was written");
        }),
      ),
    ).rejects.toThrow("after its event was written");

    await workspace.deps.events.relay(tenant);
    expect(await outboxLength(tenant)).toBe(0);
    expect((await eventsOf(tenant)).length).toBe(before);
  });

  it("the sweep moves what a crash between commit and relay left behind, once", async () => {
    // A committed event that no relay ran for: what a workspace killed after commit leaves. The
    // mark is taken before the write, as the routes do (events.writing).
    await workspace.deps.events.mark(tenant);
    const [left] = await workspace.deps.pools.run(tenant, (sql) =>
      writeAs(sql, { userId: crypto.randomUUID(), requestId: "crash-test" }, async (tx) => {
        await recordTenantEvent(tx, "project.created", { id: "left-behind" });
        return tx<{ id: string }[]>`select id from event_outbox order by position desc limit 1`;
      }),
    );
    expect(await outboxLength(tenant)).toBeGreaterThanOrEqual(1);
    expect(await workspace.deps.events.sweep()).toBeGreaterThanOrEqual(1);
    expect(await workspace.deps.events.sweep()).toBe(0);
    const events = await eventsOf(tenant);
    expect(events.filter((event) => event.id === left?.id)).toHaveLength(1);
    const sequences = events.map((event) => Number(event.sequence));
    expect(sequences).toEqual(sequences.map((_, index) => index + 1));
  });

  it("the sweep visits only marked tenants, and drops a mark once it is old and its outbox empty", async () => {
    // Another active tenant, never written through workspace: no mark, so the sweep opens no
    // connection to its database (it used to visit every active tenant every period).
    const idle = await activeTenant(provisioning);
    await controlPlane`delete from event_outbox_marks where tenant_id = ${idle}`;
    await workspace.deps.pools.run(
      idle,
      (sql) =>
        sql`insert into event_outbox (type, data) values ('project.created', ${sql.json({})})`,
    );
    await workspace.deps.events.sweep();
    expect(await controlPlane`select 1 from events where tenant_id = ${idle}`).toHaveLength(0);

    // Once marked, the sweep moves it; a fresh mark stays (another process may count on it).
    await workspace.deps.events.mark(idle);
    expect(await workspace.deps.events.sweep()).toBeGreaterThanOrEqual(1);
    expect(await controlPlane`select 1 from events where tenant_id = ${idle}`).toHaveLength(1);
    expect(
      await controlPlane`select 1 from event_outbox_marks where tenant_id = ${idle}`,
    ).toHaveLength(1);
    // An old mark with nothing behind it goes; a mark renewed since (a newer write) stays.
    await controlPlane`
      update event_outbox_marks set marked_at = now() - interval '1 hour'
      where tenant_id in (${idle}, ${tenant})`;
    await controlPlane`update event_outbox_marks set marked_at = now() where tenant_id = ${tenant}`;
    await workspace.deps.events.sweep();
    expect(
      await controlPlane`select 1 from event_outbox_marks where tenant_id = ${idle}`,
    ).toHaveLength(0);
    expect(
      await controlPlane`select 1 from event_outbox_marks where tenant_id = ${tenant}`,
    ).toHaveLength(1);
  });

  it("marks a tenant before its first write through the API", async () => {
    const fresh = await activeTenant(provisioning);
    await controlPlane`delete from event_outbox_marks where tenant_id = ${fresh}`;
    const created = await workspace.call("POST", "/v1/projects", {
      token: await workspace.tokenFor(fresh),
      body: { name: "marked" },
    });
    expect(created.status).toBe(201);
    expect(
      await controlPlane`select 1 from event_outbox_marks where tenant_id = ${fresh}`,
    ).toHaveLength(1);
  });

  it("moving the same events twice (a crash before the outbox delete) adds nothing", async () => {
    const logged = await eventsOf(tenant);
    const last = logged.at(-1);
    if (!last) throw new Error("the tests above logged events");
    await workspace.deps.pools.run(
      tenant,
      (sql) =>
        sql`insert into event_outbox (id, type, data) values (${last.id}, ${last.type}, ${sql.json({})})`,
    );
    const before = logged.length;
    expect(await workspace.deps.events.relay(tenant)).toBe(1);
    expect((await eventsOf(tenant)).length).toBe(before);
    expect(await outboxLength(tenant)).toBe(0);
  });
});
