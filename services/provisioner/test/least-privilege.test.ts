import { connect, tenantDatabaseName, tenantRoleName, withDatabase } from "@oryn/shared";
import { findTenant } from "@oryn/shared/control-plane/tables/tenants";
import { testRun } from "@oryn/testing/context";
import { countTenantObjects, insertTenant, provisioningDeps } from "@oryn/testing/tenants";
import { afterAll, describe, expect, it } from "vitest";
import { provisionTenant } from "../src/provisioning/provision-tenant.ts";

const run = testRun();
const superuser = connect(run.postgresUrl, { max: 1 });
// What docs/security.md asks of TENANT_DATABASE_URL in production: CREATEDB and CREATEROLE, no superuser.
const role = `oryn_lp_${run.runId}`;
const template = `oryn_tpl_${run.runId}_lp`;
const made: string[] = [];

afterAll(async () => {
  for (const tenantId of made) {
    await superuser`drop database if exists ${superuser(tenantDatabaseName(tenantId))} with (force)`;
    await superuser`drop role if exists ${superuser(tenantRoleName(tenantId))}`;
  }
  await superuser`drop database if exists ${superuser(template)} with (force)`;
  await superuser`drop role if exists ${superuser(role)}`;
  await superuser.end();
});

describe("provisioning as a CREATEDB CREATEROLE role, not a superuser", () => {
  it("provisions a tenant that is isolated as usual", async () => {
    await superuser`create role ${superuser(role)} login createdb createrole`;
    const adminUrl = (() => {
      const url = new URL(run.postgresUrl);
      url.username = role;
      return url.toString();
    })();
    const base = provisioningDeps(run);
    const admin = connect(adminUrl, { max: 3 });
    const deps = { ...base, admin, adminUrl, template };
    try {
      const tenantId = await insertTenant(deps.controlPlane);
      made.push(tenantId);
      expect(await provisionTenant(deps, tenantId, 1)).toBe("activated");
      expect(await countTenantObjects(superuser, tenantId)).toEqual({ databases: 1, roles: 1 });
      expect((await findTenant(deps.controlPlane, tenantId))?.status).toBe("active");
      const [acl] = await superuser<{ publicCanConnect: boolean; roleCanConnect: boolean }[]>`
        select has_database_privilege('public', ${tenantDatabaseName(tenantId)}, 'connect') as public_can_connect,
               has_database_privilege(${tenantRoleName(tenantId)}, ${tenantDatabaseName(tenantId)}, 'connect') as role_can_connect`;
      expect(acl).toEqual({ publicCanConnect: false, roleCanConnect: true });
      // The tenant role works its tables through the group role, as with a superuser admin.
      const asTenant = connect(withDatabase(run.postgresUrl, tenantDatabaseName(tenantId)), {
        max: 1,
        username: tenantRoleName(tenantId),
      });
      try {
        const [row] =
          await asTenant`insert into projects (name) values ('via limited admin') returning name`;
        expect(row?.name).toBe("via limited admin");
      } finally {
        await asTenant.end();
      }
    } finally {
      await admin.end();
      await base.close();
    }
  });
});
