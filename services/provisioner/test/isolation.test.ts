import {
  connect,
  databaseOf,
  type Sql,
  tenantDatabaseName,
  tenantRoleName,
  tenantRolePassword,
  withDatabase,
} from "@oryn/shared";
import { testRun } from "@oryn/testing/context";
import { insertTenant, provisioningDeps } from "@oryn/testing/tenants";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { provisionTenant } from "../src/provisioning/provision-tenant.ts";

const run = testRun();
const deps = provisioningDeps(run);
const opened: Sql[] = [];

/** A connection as tenant `asTenant`'s own role, to database `database`. */
function connectAs(asTenant: string, database: string): Sql {
  const sql = connect(withDatabase(run.postgresUrl, database), {
    max: 1,
    username: tenantRoleName(asTenant),
    password: tenantRolePassword(run.tenantDbPasswordSecret, asTenant),
  });
  opened.push(sql);
  return sql;
}

function pgCode(promise: Promise<unknown>): Promise<string | undefined> {
  return promise.then(
    () => undefined,
    (error: { code?: string }) => error.code,
  );
}

describe("tenant isolation inside PostgreSQL", () => {
  let tenantA: string;
  let tenantB: string;

  beforeAll(async () => {
    tenantA = await insertTenant(deps.controlPlane);
    tenantB = await insertTenant(deps.controlPlane);
    await provisionTenant(deps, tenantA, 1);
    await provisionTenant(deps, tenantB, 1);
  });

  afterAll(async () => {
    await Promise.all(opened.map((sql) => sql.end()));
    await deps.close();
  });

  it("lets a tenant's role into its own database", async () => {
    const own = connectAs(tenantA, tenantDatabaseName(tenantA));
    const [row] = await own`insert into projects (name) values ('mine') returning name`;
    expect(row?.name).toBe("mine");
  });

  it("refuses a tenant's role at another tenant's database, the control plane and the template", async () => {
    // 42501: permission denied for database (CONNECT was revoked from PUBLIC).
    expect(await pgCode(connectAs(tenantA, tenantDatabaseName(tenantB))`select 1`)).toBe("42501");
    expect(await pgCode(connectAs(tenantB, tenantDatabaseName(tenantA))`select 1`)).toBe("42501");
    expect(await pgCode(connectAs(tenantA, databaseOf(run.controlPlaneUrl))`select 1`)).toBe(
      "42501",
    );
    expect(await pgCode(connectAs(tenantA, run.templateDatabase)`select 1`)).toBe("42501");
  });

  it("gives the tenant's role no way to change or forge its audit log", async () => {
    const own = connectAs(tenantA, tenantDatabaseName(tenantA));
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

  it("refuses UPDATE, DELETE and TRUNCATE on the audit log even to the table's owner", async () => {
    const owner = connect(withDatabase(run.postgresUrl, tenantDatabaseName(tenantA)), { max: 1 });
    opened.push(owner);
    for (const statement of [
      owner`update audit_log set actor_id = null`,
      owner`delete from audit_log`,
      owner`truncate audit_log`,
    ]) {
      await expect(statement).rejects.toThrow(/audit_log is append-only/);
    }
  });
});
