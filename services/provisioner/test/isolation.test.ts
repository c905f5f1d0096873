import { databaseOf, tenantDatabaseName } from "@oryn/shared";
import { describe, expect, test } from "@oryn/testing";
import { insertTenant } from "@oryn/testing/tenants";
import { provisionTenant } from "../src/provisioning/provision-tenant.ts";

/** Two tenants provisioned by the provisioner's own steps, shared by the file's tests. */
const it = test.extend("pair", { scope: "file" }, async ({ provisioning }) => {
  const tenantA = await insertTenant(provisioning.controlPlane);
  const tenantB = await insertTenant(provisioning.controlPlane);
  await provisionTenant(provisioning, tenantA, 1);
  await provisionTenant(provisioning, tenantB, 1);
  return { tenantA, tenantB };
});

function pgCode(promise: Promise<unknown>): Promise<string | undefined> {
  return promise.then(
    () => undefined,
    (error: { code?: string }) => error.code,
  );
}

describe("tenant isolation inside PostgreSQL", () => {
  it("lets a tenant's role into its own database", async ({ tenantSql, pair: { tenantA } }) => {
    const own = tenantSql.asTenant(tenantA);
    const [row] = await own`insert into projects (name) values ('mine') returning name`;
    expect(row?.name).toBe("mine");
  });

  it("refuses a tenant's role at another tenant's database, the control plane and the template", async ({
    run,
    tenantSql: { asTenant: connectAs },
    pair: { tenantA, tenantB },
  }) => {
    // 42501: permission denied for database (CONNECT was revoked from PUBLIC).
    expect(await pgCode(connectAs(tenantA, tenantDatabaseName(tenantB))`select 1`)).toBe("42501");
    expect(await pgCode(connectAs(tenantB, tenantDatabaseName(tenantA))`select 1`)).toBe("42501");
    expect(await pgCode(connectAs(tenantA, databaseOf(run.controlPlaneUrl))`select 1`)).toBe(
      "42501",
    );
    expect(await pgCode(connectAs(tenantA, run.templateDatabase)`select 1`)).toBe("42501");
  });

  it("gives the tenant's role no way to change or forge its audit log", async ({
    tenantSql,
    pair: { tenantA },
  }) => {
    const own = tenantSql.asTenant(tenantA);
    const [{ count } = { count: 0 }] = await own<
      { count: number }[]
    >`select count(*)::int as count from audit_log`;
    expect(count).toBeGreaterThan(0);
    expect(await pgCode(own`update audit_log set actor_id = null`)).toBe("42501");
    expect(await pgCode(own`delete from audit_log`)).toBe("42501");
    expect(await pgCode(own`truncate audit_log`)).toBe("42501");
    expect(
      await pgCode(
        own`insert into audit_log (action, entity, entity_id) values ('created', 'project', gen_random_uuid())`,
      ),
    ).toBe("42501");
    // Nor change the schema under the audit trigger.
    expect(await pgCode(own`drop trigger projects_audit on projects`)).toBe("42501");
    expect(await pgCode(own`create table sneaky (id int)`)).toBe("42501");
  });

  it("refuses UPDATE, DELETE and TRUNCATE on the audit log even to the table's owner", async ({
    tenantSql,
    pair: { tenantA },
  }) => {
    const owner = tenantSql.asSuperuser(tenantA);
    for (const statement of [
      owner`update audit_log set actor_id = null`,
      owner`delete from audit_log`,
      owner`truncate audit_log`,
    ]) {
      await expect(statement).rejects.toThrow(/audit_log is append-only/);
    }
  });
});
