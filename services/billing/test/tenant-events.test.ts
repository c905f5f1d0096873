import { connect } from "@oryn/shared";
import { testRun } from "@oryn/testing/context";
import { insertTenant } from "@oryn/testing/tenants";
import { afterAll, describe, expect, it } from "vitest";
import { applyToTenant } from "../src/sync/apply-to-tenant.ts";

const sql = connect(testRun().controlPlaneUrl, { max: 2 });
afterAll(() => sql.end());

const eventsOf = (tenantId: string) =>
  sql<{ sequence: string; type: string; data: unknown; previous: unknown }[]>`
    select sequence::text, type, data, previous from events
    where tenant_id = ${tenantId} order by sequence`;

describe("billing's changes to a tenant are its events", () => {
  it("plan_changed, restricted and restored, in the transaction of the change", async () => {
    const tenantId = await insertTenant(sql);
    await sql`update tenants set status = 'active' where id = ${tenantId}`;
    const apply = (plan: "free" | "pro", access: "active" | "restricted") =>
      sql.begin((tx) => applyToTenant(tx, { tenantId, plan, access, cause: "test", details: {} }));
    await apply("pro", "active");
    await apply("pro", "restricted");
    await apply("pro", "active");
    await apply("pro", "active"); // no change: no event
    await expect(
      sql.begin(async (tx) => {
        await applyToTenant(tx, {
          tenantId,
          plan: "free",
          access: "active",
          cause: "t",
          details: {},
        });
        throw new Error("rolled back");
      }),
    ).rejects.toThrow("rolled back");

    expect(await eventsOf(tenantId)).toEqual([
      {
        sequence: "1",
        type: "tenant.plan_changed",
        data: { id: tenantId, plan: "pro" },
        previous: { plan: "free" },
      },
      {
        sequence: "2",
        type: "tenant.restricted",
        data: { id: tenantId, status: "restricted" },
        previous: { status: "active" },
      },
      {
        sequence: "3",
        type: "tenant.restored",
        data: { id: tenantId, status: "active" },
        previous: { status: "restricted" },
      },
    ]);
  });
});
