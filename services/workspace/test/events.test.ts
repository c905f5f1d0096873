import { connect, createLogger, tenantDatabaseName, withDatabase } from "@oryn/shared";
import { serviceEnv } from "@oryn/testing/context";
import { isolatedRun } from "@oryn/testing/isolated-run";
import { activeTenant, provisioningDeps } from "@oryn/testing/tenants";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { recordTenantEvent } from "../src/events/outbox.ts";
import { createEventRelay } from "../src/events/relay.ts";
import { writeAs } from "../src/lib/write-as.ts";
import type { RunOptions, TenantPools } from "../src/tenants/tenant-pools.ts";
import { workspaceInProcess } from "./fixtures.ts";

// A control plane of its own: a sweep relays every orphaned mark (older than three periods) of its
// control plane, and on the run's shared one those are other files' stopped stacks' marks, which
// this file's sweeps would count; their workspaces could also move this file's events first.
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

describe("events: the sweep with several workspace replicas", () => {
  /**
   * Another workspace process over the same control plane and tenant databases: its own relay
   * and mark id, through the file's pools, with a list of the tenants its relays connected to.
   * `refuse` fails a connection; `enter` is awaited before each.
   */
  function replica(
    name: string,
    {
      refuse = () => false,
      enter,
    }: {
      refuse?: (tenantId: string, options?: RunOptions) => boolean;
      enter?: (tenantId: string) => Promise<void>;
    } = {},
  ) {
    const connected: string[] = [];
    const pools: TenantPools = {
      ...workspace.deps.pools,
      async run(tenantId, work, options) {
        connected.push(tenantId);
        await enter?.(tenantId);
        if (refuse(tenantId, options)) throw new Error("the tenant's database is away");
        return workspace.deps.pools.run(tenantId, work, options);
      },
    };
    const events = createEventRelay({
      pools,
      controlPlane,
      logger: createLogger("events-test", "silent"),
      markSeconds: 30,
      processId: `${name}-${crypto.randomUUID()}`,
    });
    return { events, connected };
  }

  /** A committed event no relay ran for (what a crash after commit leaves). */
  const strand = (tenantId: string) =>
    workspace.deps.pools.run(
      tenantId,
      (sql) =>
        sql`insert into event_outbox (type, data) values ('project.created', ${sql.json({})})`,
    );
  const logged = async (tenantId: string) =>
    (await controlPlane`select 1 from events where tenant_id = ${tenantId}`).length;
  const markOf = async (tenantId: string) => {
    const [row] = await controlPlane<{ markedBy: string | null }[]>`
      select marked_by from event_outbox_marks where tenant_id = ${tenantId}`;
    return row;
  };

  it("a replica's sweep leaves another's fresh marks alone: no connection to that tenant; its maker's sweep moves them", async () => {
    const a = replica("a");
    const b = replica("b");
    const tenantId = await activeTenant(provisioning);
    await a.events.mark(tenantId);
    await strand(tenantId);
    expect(await markOf(tenantId)).toEqual({ markedBy: a.events.processId });

    await b.events.sweep();
    expect(b.connected).not.toContain(tenantId);
    expect(await logged(tenantId)).toBe(0);

    expect(await a.events.sweep()).toBeGreaterThanOrEqual(1);
    expect(a.connected).toContain(tenantId);
    expect(await logged(tenantId)).toBe(1);
  });

  it("a mark older than three periods is an orphan: another replica moves it and drops the mark, and leaves the fresh one", async () => {
    const a = replica("a");
    const b = replica("b");
    const [orphaned, fresh] = [await activeTenant(provisioning), await activeTenant(provisioning)];
    for (const tenantId of [orphaned, fresh]) {
      await a.events.mark(tenantId);
      await strand(tenantId);
    }
    // Its maker stopped sweeping it (died after the mark): a live one drops it after two periods.
    await controlPlane`
      update event_outbox_marks set marked_at = now() - interval '1 hour' where tenant_id = ${orphaned}`;

    await b.events.sweep();
    expect(await logged(orphaned)).toBe(1);
    expect(await markOf(orphaned)).toBeUndefined();
    expect(b.connected).not.toContain(fresh);
    expect(await logged(fresh)).toBe(0);
    expect(await markOf(fresh)).toEqual({ markedBy: a.events.processId });
    await a.events.sweep();
    expect(await logged(fresh)).toBe(1);
  });

  it("a mark of no process (made before marks named their maker) is anyone's to sweep", async () => {
    const a = replica("a");
    const b = replica("b");
    const [unnamed, named] = [await activeTenant(provisioning), await activeTenant(provisioning)];
    await controlPlane`insert into event_outbox_marks (tenant_id) values (${unnamed})`;
    await a.events.mark(named);
    for (const tenantId of [unnamed, named]) await strand(tenantId);

    await b.events.sweep();
    expect(await logged(unnamed)).toBe(1);
    // Fresh: kept, as b's now (its sweep claimed it before moving it).
    expect(await markOf(unnamed)).toEqual({ markedBy: b.events.processId });
    expect(b.connected).not.toContain(named);
    expect(await logged(named)).toBe(0);
    // Left for no other sweep of the run to find.
    await a.events.sweep();
    await controlPlane`delete from event_outbox_marks where tenant_id in (${unnamed}, ${named})`;
  });

  it("after restarts, each orphan is claimed by one replica's sweep: every event moved, each tenant connected to by one replica", async () => {
    // Marks whose maker is gone (every replica restarted under a new id), each over an event.
    const dead = replica("dead");
    const orphans: string[] = [];
    for (let index = 0; index < 4; index++) orphans.push(await activeTenant(provisioning));
    for (const tenantId of orphans) {
      await dead.events.mark(tenantId);
      await strand(tenantId);
    }
    await controlPlane`update event_outbox_marks set marked_at = now() - interval '1 hour'
                       where tenant_id in ${controlPlane(orphans)}`;
    // Both sweeps read the marks before either moves or drops one: each waits at its first
    // connection to one of these tenants until the other has reached its own.
    let arrived = 0;
    let bothIn = () => {};
    const both = new Promise<void>((resolve) => {
      bothIn = resolve;
    });
    const enter = async (tenantId: string) => {
      if (!orphans.includes(tenantId)) return;
      if (++arrived === 2) bothIn();
      await both;
    };
    const a = replica("a", { enter });
    const b = replica("b", { enter });

    const moved = await Promise.all([a.events.sweep(), b.events.sweep()]);
    expect(moved[0] + moved[1]).toBeGreaterThanOrEqual(orphans.length);
    for (const tenantId of orphans) {
      const visitors = Object.entries({ a, b })
        .filter(([, replica]) => replica.connected.includes(tenantId))
        .map(([name]) => name);
      expect(visitors, `replicas that connected to ${tenantId}`).toHaveLength(1);
      expect(await logged(tenantId)).toBe(1);
      expect(await outboxLength(tenantId)).toBe(0);
      expect(await markOf(tenantId)).toBeUndefined();
    }
    // Each won one at least: the first it claimed (the other's wait needs its own).
    for (const replica of [a, b]) {
      expect(orphans.some((tenantId) => replica.connected.includes(tenantId))).toBe(true);
    }
  });

  it("a claimed orphan is the claimer's mark: a failed relay is left to it, not taken by another replica's next sweep", async () => {
    const dead = replica("dead");
    const tenantId = await activeTenant(provisioning);
    await dead.events.mark(tenantId);
    await strand(tenantId);
    await controlPlane`update event_outbox_marks set marked_at = now() - interval '1 hour'
                       where tenant_id = ${tenantId}`;
    let failing = true;
    const a = replica("a", { refuse: (id) => failing && id === tenantId });
    const b = replica("b");

    expect(await a.events.sweep()).toBe(0);
    expect(await markOf(tenantId)).toEqual({ markedBy: a.events.processId });
    await b.events.sweep();
    expect(b.connected).not.toContain(tenantId);
    failing = false;
    expect(await a.events.sweep()).toBe(1);
    expect(await logged(tenantId)).toBe(1);
    // Kept until it is old: the claim timed it then.
    expect(await markOf(tenantId)).toEqual({ markedBy: a.events.processId });
    await controlPlane`delete from event_outbox_marks where tenant_id = ${tenantId}`;
  });

  it("visits a tenant it wrote and relayed once, when the mark is old, not each period: what another process stranded is moved then", async () => {
    const a = replica("a");
    const tenantId = await activeTenant(provisioning);
    await a.events.writing(tenantId, () => strand(tenantId));
    await a.events.settle();
    expect(await logged(tenantId)).toBe(1);
    // Another process's write under this mark, its relay lost with it.
    await strand(tenantId);
    a.connected.length = 0;
    expect(await a.events.sweep()).toBe(0);
    expect(a.connected).not.toContain(tenantId);
    expect(await markOf(tenantId)).toEqual({ markedBy: a.events.processId });
    // Old: visited, moved, and the mark dropped.
    await controlPlane`update event_outbox_marks set marked_at = now() - interval '1 hour'
                       where tenant_id = ${tenantId}`;
    expect(await a.events.sweep()).toBe(1);
    expect(await logged(tenantId)).toBe(2);
    expect(await markOf(tenantId)).toBeUndefined();
  });

  it("keeps visiting a tenant whose relay failed, each period", async () => {
    const tenantId = await activeTenant(provisioning);
    let failing = true;
    // The relay after the write fails; the sweep's own connections get through.
    const { events } = replica("a", {
      refuse: (id, options) => failing && id === tenantId && !options?.background,
    });
    await events.mark(tenantId);
    await strand(tenantId);
    events.relaySoon(tenantId);
    await events.settle();
    failing = false;
    expect(await events.sweep()).toBe(1);
    expect(await logged(tenantId)).toBe(1);
  });

  it("keeps an old mark while another relay still holds part of the outbox: what that relay leaves is swept later", async () => {
    const b = replica("b");
    const tenantId = await activeTenant(provisioning);
    await b.events.mark(tenantId);
    // More than a relay's batch (500), and the mark old enough to be dropped once found empty.
    await workspace.deps.pools.run(
      tenantId,
      (sql) => sql`insert into event_outbox (type, data)
                   select 'project.created', '{}'::jsonb from generate_series(1, 502)`,
    );
    await controlPlane`update event_outbox_marks set marked_at = now() - interval '1 hour'
                       where tenant_id = ${tenantId}`;
    // Another relay's first batch, deleted and not committed yet (its rows locked).
    const database = connect(withDatabase(run.postgresUrl, tenantDatabaseName(tenantId)), {
      max: 2,
    });
    try {
      const other = await database.reserve();
      await other`begin`;
      await other`delete from event_outbox where position in (
                    select position from event_outbox order by position limit 500)`;
      const swept = b.events.sweep();
      // b's batch picks the same 500 rows and waits on their locks; the other relay commits.
      await expect
        .poll(
          async () =>
            (
              await database`select 1 from pg_stat_activity
                             where datname = current_database() and wait_event_type = 'Lock'`
            ).length,
          { timeout: 10_000 },
        )
        .toBe(1);
      await other`commit`;
      other.release();
      // b found them gone and its relay ended there, with 2 rows left behind the other relay.
      expect(await swept).toBe(0);
      expect(await outboxLength(tenantId)).toBe(2);
      expect(await markOf(tenantId)).toEqual({ markedBy: b.events.processId });
      // The next sweep moves them and, the outbox empty, drops the mark.
      expect(await b.events.sweep()).toBe(2);
      expect(await markOf(tenantId)).toBeUndefined();
    } finally {
      await database.end();
    }
  });

  it("a tenant whose traffic moves: the new replica's mark makes it that replica's to sweep, and the old one marks it again when the traffic comes back", async () => {
    const a = replica("a");
    const b = replica("b");
    const tenantId = await activeTenant(provisioning);
    const write = () =>
      workspace.deps.pools.run(tenantId, (sql) =>
        writeAs(sql, { userId: crypto.randomUUID(), requestId: "moving" }, (tx) =>
          recordTenantEvent(tx, "project.created", { name: "moving" }),
        ),
      );
    await a.events.writing(tenantId, write);
    // The gateway now sends the tenant to b (a was passed over): b marks it as its own.
    await b.events.writing(tenantId, write);
    expect(await markOf(tenantId)).toEqual({ markedBy: b.events.processId });
    // Back to a within its mark's trust: a does not mark again, and still relays its write.
    await a.events.writing(tenantId, write);
    for (const replica of [a, b]) await replica.events.settle();
    expect(await logged(tenantId)).toBe(3);
    expect(await markOf(tenantId)).toEqual({ markedBy: b.events.processId });

    // What a crash of a after a commit leaves is under b's mark. a's sweep does not visit it; b
    // relayed its own write, so its sweep looks again once the mark is old (past two periods,
    // short of an orphan's three), and moves it then.
    await strand(tenantId);
    a.connected.length = 0;
    await a.events.sweep();
    expect(a.connected).not.toContain(tenantId);
    expect(await b.events.sweep()).toBe(0);
    await controlPlane`update event_outbox_marks set marked_at = now() - interval '65 seconds'
                       where tenant_id = ${tenantId}`;
    expect(await b.events.sweep()).toBe(1);
    expect(await logged(tenantId)).toBe(4);
    // a's sweep saw the mark was b's and stopped trusting its own: its next write marks again.
    await a.events.mark(tenantId);
    expect(await markOf(tenantId)).toEqual({ markedBy: a.events.processId });
  });

  it("the sweep's connections do not count as uses: a tenant only swept loses its connection to one a request used", async () => {
    const small = await workspaceInProcess({
      ...serviceEnv(run),
      TENANT_CONNECTIONS_MAX: "2",
      TENANT_POOLS_MAX: "2",
      TENANT_POOL_MAX: "1",
      // No mark of another test is an orphan to this process's sweep.
      EVENT_OUTBOX_SWEEP_SECONDS: "3600",
    });
    const superuser = connect(run.postgresUrl, { max: 1 });
    const connectionsTo = async (tenantId: string) => {
      const [row] = await superuser<{ count: number }[]>`
        select count(*)::int as count from pg_stat_activity
        where datname = ${tenantDatabaseName(tenantId)} and application_name = 'oryn-workspace'`;
      return row?.count ?? 0;
    };
    try {
      const [served, swept, newcomer] = [
        await activeTenant(provisioning),
        await activeTenant(provisioning),
        await activeTenant(provisioning),
      ];
      const use = (tenantId: string) => small.deps.pools.run(tenantId, (sql) => sql`select 1`);
      await use(served);
      // Swept three times (its own mark, so each sweep connects), and used last.
      await small.deps.events.mark(swept);
      for (let sweep = 0; sweep < 3; sweep++) await small.deps.events.sweep();
      expect(await connectionsTo(swept)).toBe(1);

      // Room for a third tenant comes from the tenant seen least: the one no request used.
      await use(newcomer);
      expect(await connectionsTo(served)).toBe(1);
      expect(await connectionsTo(swept)).toBe(0);
      await controlPlane`delete from event_outbox_marks where tenant_id = ${swept}`;
    } finally {
      await superuser.end();
      await small.close();
    }
  });
});
