import { randomUUID } from "node:crypto";
import { connect, type Sql, tenantDatabaseName } from "@oryn/shared";
import { testRun } from "@oryn/testing/context";
import { startThrowawayPostgres, type ThrowawayPostgres } from "@oryn/testing/postgres-server";
import { countTenantObjects, insertTenant, provisioningDeps } from "@oryn/testing/tenants";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { provisionTenant } from "../src/provisioning/provision-tenant.ts";
import { findOrphans, removeOrphans } from "../src/reconcile/orphans.ts";

// A server of its own: the machine's shared server holds other runs' tenant databases, which
// this control plane rightly calls orphans.
const run = testRun();
let server: ThrowawayPostgres;
let admin: Sql;
let deps: ReturnType<typeof provisioningDeps>;

beforeAll(async () => {
  server = await startThrowawayPostgres({ label: "reconcile" });
  admin = connect(server.url, { max: 3 });
  deps = { ...provisioningDeps(run), admin, adminUrl: server.url };
}, 60_000);

afterAll(async () => {
  await deps?.close();
  await admin?.end();
  await server?.remove();
});

const servers = () => [{ name: "second", admin }];

describe("the reconciler's orphans", () => {
  it("reports objects of no tenant and of a failed tenant, drops them only when told, and spares live tenants", async () => {
    const live = await insertTenant(deps.controlPlane);
    expect(await provisionTenant(deps, live, 1)).toBe("activated");
    const failed = await insertTenant(deps.controlPlane);
    expect(await provisionTenant(deps, failed, 1)).toBe("activated");
    await deps.controlPlane`update tenants set status = 'provisioning_failed' where id = ${failed}`;
    // A signup whose tenant row is gone (or never committed), leaving a role and a database.
    const ghost = randomUUID();
    const ghostName = tenantDatabaseName(ghost);
    await admin`create role ${admin(ghostName)}`;
    await admin`create database ${admin(ghostName)}`;
    // Still provisioning, role made, database not yet: it owns its role.
    const midway = await insertTenant(deps.controlPlane);
    await admin`create role ${admin(tenantDatabaseName(midway))}`;

    const orphans = await findOrphans(deps.controlPlane, servers());
    expect(orphans).toEqual(
      expect.arrayContaining([
        {
          server: "second",
          kind: "database",
          name: ghostName,
          tenantId: null,
          reason: "no_tenant",
        },
        { server: "second", kind: "role", name: ghostName, tenantId: null, reason: "no_tenant" },
        {
          server: "second",
          kind: "database",
          name: tenantDatabaseName(failed),
          tenantId: failed,
          reason: "provisioning_failed",
        },
        {
          server: "second",
          kind: "role",
          name: tenantDatabaseName(failed),
          tenantId: failed,
          reason: "provisioning_failed",
        },
      ]),
    );
    expect(orphans).toHaveLength(4);
    // Reporting dropped nothing.
    expect(await countTenantObjects(admin, ghost)).toEqual({ databases: 1, roles: 1 });

    await removeOrphans(deps.controlPlane, servers(), orphans);
    expect(await findOrphans(deps.controlPlane, servers())).toEqual([]);
    expect(await countTenantObjects(admin, ghost)).toEqual({ databases: 0, roles: 0 });
    expect(await countTenantObjects(admin, failed)).toEqual({ databases: 0, roles: 0 });
    expect(await countTenantObjects(admin, live)).toEqual({ databases: 1, roles: 1 });
    expect(await countTenantObjects(admin, midway)).toEqual({ databases: 0, roles: 1 });
    // The template is named oryn_tpl_…, which a LIKE 'oryn_t_%' would have taken for a tenant's.
    const [template] =
      await admin`select 1 from pg_database where datname = ${run.templateDatabase}`;
    expect(template).toBeDefined();
  });

  it("refuses to drop a name that is not a tenant's", async () => {
    await expect(
      removeOrphans(deps.controlPlane, servers(), [
        {
          server: "second",
          kind: "database",
          name: run.templateDatabase,
          tenantId: null,
          reason: "no_tenant",
        },
      ]),
    ).rejects.toThrow(/not a tenant object/);
  });
});
