import { connect, type Sql } from "@oryn/shared";
import { setServerState } from "@oryn/shared/control-plane/tables/database-servers";
import { isolatedRun } from "@oryn/testing/isolated-run";
import { insertTenant } from "@oryn/testing/tenants";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { placeTenant } from "../src/servers/placement.ts";
import { addServer, ensureDefaultServer } from "../src/servers/registry.ts";

// A control plane of its own: registering servers in the run's would move other tests' tenants.
let controlPlane: Awaited<ReturnType<typeof isolatedRun>>;
let sql: Sql;

beforeAll(async () => {
  controlPlane = await isolatedRun("placement");
  sql = connect(controlPlane.controlPlaneUrl, { max: 10 });
});
afterAll(async () => {
  await sql?.end();
  await controlPlane?.drop();
});

const serverOf = async (tenantId: string) =>
  (
    await sql<{ name: string }[]>`
    select s.name from tenants t join database_servers s on s.id = t.server_id where t.id = ${tenantId}`
  )[0]?.name;

describe("placing tenants on database servers", () => {
  it("with none registered, leaves the tenant on TENANT_DATABASE_URL; registering it adopts older tenants", async () => {
    const old = await insertTenant(sql);
    expect(await placeTenant(sql, old)).toBeNull();
    await ensureDefaultServer(sql, "postgres://admin:secret@db-a.internal:5433/postgres", 2);
    await ensureDefaultServer(sql, "postgres://admin:secret@db-a.internal:5433/postgres", 2);
    const rows = await sql`select name, host, port, capacity from database_servers`;
    // Registered once, and no credential reached the registry.
    expect(rows).toEqual([{ name: "default", host: "db-a.internal", port: 5433, capacity: 2 }]);
    expect(await serverOf(old)).toBe("default");
  });

  it("fills the least loaded accepting server in proportion to capacity, race-safely, never past capacity", async () => {
    await addServer(sql, { name: "big", host: "db-b.internal", port: 5432, capacity: 30 });
    await setServerState(sql, "default", "draining");
    // 20 placements at once: under the registry lock each sees the others' choices.
    const tenants = await Promise.all(Array.from({ length: 20 }, () => insertTenant(sql)));
    await Promise.all(tenants.map((id) => placeTenant(sql, id)));
    const names = await Promise.all(tenants.map(serverOf));
    expect(names.filter((name) => name === "big")).toHaveLength(20);

    await setServerState(sql, "default", "accepting");
    await addServer(sql, { name: "small", host: "db-c.internal", port: 5432, capacity: 10 });
    // default: 1/2 full, big: 20/30, small: 0/10 → small takes the next 4 (4/10 is still below 1/2).
    const more = await Promise.all(Array.from({ length: 4 }, () => insertTenant(sql)));
    for (const id of more) await placeTenant(sql, id);
    const counts = await sql<{ name: string; tenants: number }[]>`
      select s.name, count(t.id)::int as tenants from database_servers s
      left join tenants t on t.server_id = s.id group by s.name order by s.name`;
    expect(counts).toEqual([
      { name: "big", tenants: 20 },
      { name: "default", tenants: 1 },
      { name: "small", tenants: 4 },
    ]);
  });

  it("keeps a placed tenant where it is, and refuses when every accepting server is full or draining", async () => {
    const placed = await insertTenant(sql);
    const first = await placeTenant(sql, placed);
    expect(await placeTenant(sql, placed)).toEqual(first);
    for (const name of ["default", "big", "small"]) await setServerState(sql, name, "draining");
    await expect(placeTenant(sql, await insertTenant(sql))).rejects.toThrow(
      /no database server is accepting/,
    );
    await addServer(sql, { name: "tiny", host: "db-d.internal", port: 5432, capacity: 1 });
    await placeTenant(sql, await insertTenant(sql));
    await expect(placeTenant(sql, await insertTenant(sql))).rejects.toThrow(/full/);
  });
});
