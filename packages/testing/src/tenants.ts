import { randomUUID } from "node:crypto";
import { type ProvisioningDeps, provisionTenant } from "@oryn/provisioner/provisioning";
import {
  connect,
  createLogger,
  type Sql,
  tenantDatabaseName,
  tenantRoleName,
  tenantRolePassword,
  withDatabase,
} from "@oryn/shared";
import type { TestRun } from "./context.ts";

/** Provisioning dependencies against this run's servers, as main.ts would build them. */
export function provisioningDeps(run: TestRun): ProvisioningDeps & { close(): Promise<void> } {
  const controlPlane = connect(run.controlPlaneUrl, { max: 3 });
  const admin = connect(run.postgresUrl, { max: 5 });
  return {
    controlPlane,
    admin,
    adminUrl: run.postgresUrl,
    template: run.templateDatabase,
    passwordSecret: run.tenantDbPasswordSecret,
    logger: createLogger("provisioner-test", "silent"),
    async close() {
      await Promise.all([controlPlane.end(), admin.end()]);
    },
  };
}

/** Connections into tenant databases, each of one connection, all ended by `close`. */
export type TenantConnections = {
  /** As tenant `tenantId`'s own role, to `database` (its own database unless told). */
  asTenant(tenantId: string, database?: string): Sql;
  /** As the server's superuser, to tenant `tenantId`'s database. */
  asSuperuser(tenantId: string): Sql;
  close(): Promise<void>;
};

/** The kit's `tenantSql` fixture: how tests look inside a tenant's database, and who may. */
export function tenantConnections(run: TestRun): TenantConnections {
  const opened: Sql[] = [];
  const open = (database: string, credentials: { username?: string; password?: string } = {}) => {
    const sql = connect(withDatabase(run.postgresUrl, database), { max: 1, ...credentials });
    opened.push(sql);
    return sql;
  };
  return {
    asTenant: (tenantId, database = tenantDatabaseName(tenantId)) =>
      open(database, {
        username: tenantRoleName(tenantId),
        password: tenantRolePassword(run.tenantDbPasswordSecret, tenantId),
      }),
    asSuperuser: (tenantId) => open(tenantDatabaseName(tenantId)),
    close: async () => {
      await Promise.all(opened.splice(0).map((sql) => sql.end()));
    },
  };
}

/** A tenant row as signup leaves it: `provisioning`, no database yet. */
export async function insertTenant(controlPlane: Sql): Promise<string> {
  const id = randomUUID();
  // Slugs are unique in the run's one control plane, which holds many hundreds of these
  // (tenant-pools-300 alone makes 300): 32 bits of the id met about once in 30,000 runs, 64 do not.
  const slug = `t-${id.replaceAll("-", "").slice(0, 16)}`;
  await controlPlane`insert into tenants (id, slug, name) values (${id}, ${slug}, 'Test tenant')`;
  return id;
}

/** How many databases and roles carry this tenant's name (each must be exactly one). */
export async function countTenantObjects(
  admin: Sql,
  tenantId: string,
): Promise<{ databases: number; roles: number }> {
  const [row] = await admin<{ databases: number; roles: number }[]>`
    select (select count(*)::int from pg_database where datname = ${tenantDatabaseName(tenantId)}) as databases,
           (select count(*)::int from pg_roles where rolname = ${tenantRoleName(tenantId)}) as roles`;
  return row ?? { databases: 0, roles: 0 };
}

/** A tenant that went through the real provisioning steps and is `active`. */
export async function activeTenant(deps: ProvisioningDeps): Promise<string> {
  const id = await insertTenant(deps.controlPlane);
  if ((await provisionTenant(deps, id, 1)) !== "activated")
    throw new Error("tenant did not activate");
  return id;
}

/** `count` active tenants, provisioned `concurrency` at a time through the real steps. */
export async function activeTenants(
  deps: ProvisioningDeps,
  count: number,
  concurrency = 4,
): Promise<string[]> {
  const ids: string[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        next++;
        ids.push(await activeTenant(deps));
      }
    }),
  );
  return ids;
}

/** Drops tenants' databases and roles and their rows, `concurrency` at a time (tests that make many). */
export async function removeTenants(
  admin: Sql,
  controlPlane: Sql,
  tenantIds: string[],
  concurrency = 4,
): Promise<void> {
  const queue = [...tenantIds];
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let id = queue.pop(); id !== undefined; id = queue.pop()) {
        await admin`drop database if exists ${admin(tenantDatabaseName(id))} with (force)`;
        await admin`drop role if exists ${admin(tenantRoleName(id))}`;
        await controlPlane`delete from tenants where id = ${id}`;
      }
    }),
  );
}
