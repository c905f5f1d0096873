/**
 * The warm pool against the real PostgreSQL, in a control plane of this file's own with the
 * shared server registered as `default`: spares are made up to the target and no further, a
 * signup claims one and ends exactly as a cloned tenant does, concurrent claims never share a
 * spare, a claim cut short between its parts is finished by the retry, and the reconciler, fleet
 * migrations and the harness's cleanup all know the spares.
 */
import { cpSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  connect,
  currentVersion,
  latestVersion,
  tenantDatabaseName,
  tenantMigrations,
  tenantRoleName,
  tenantRolePassword,
  withDatabase,
} from "@oryn/shared";
import { setServerState } from "@oryn/shared/control-plane/tables/database-servers";
import { findTenant } from "@oryn/shared/control-plane/tables/tenants";
import { isolatedRun } from "@oryn/testing/isolated-run";
import { countTenantObjects, insertTenant, provisioningDeps } from "@oryn/testing/tenants";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { migrateSpares } from "../src/fleet/spares.ts";
import { provisionTenant } from "../src/provisioning/provision-tenant.ts";
import { ensureTenantRole } from "../src/provisioning/tenant-database.ts";
import { findOrphans, removeOrphans } from "../src/reconcile/orphans.ts";
import { createServerAdmins } from "../src/servers/admins.ts";
import { ensureDefaultServer } from "../src/servers/registry.ts";
import { refillSpares } from "../src/spares/refill.ts";

let run: Awaited<ReturnType<typeof isolatedRun>>;
let deps: ReturnType<typeof provisioningDeps>;
let claims = 0;
/** Provisioning with the pool on, as main.ts wires it when TENANT_SPARE_DATABASES > 0. */
let pooled: ReturnType<typeof provisioningDeps>;
const latest = latestVersion(tenantMigrations);

beforeAll(async () => {
  run = await isolatedRun("spares");
  deps = provisioningDeps(run);
  await ensureDefaultServer(deps.controlPlane, run.postgresUrl, 1000);
  pooled = { ...deps, spares: { claimed: () => claims++ } };
}, 60_000);

afterAll(async () => {
  await deps?.close();
  await run?.drop();
});

async function readySpares(): Promise<{ name: string; schemaVersion: number }[]> {
  return deps.controlPlane`
    select name, schema_version from spare_databases
    where state = 'ready' and tenant_id is null order by name`;
}

async function databasesNamed(names: string[]): Promise<string[]> {
  if (names.length === 0) return [];
  const rows = await deps.admin<{ datname: string }[]>`
    select datname from pg_database where datname in ${deps.admin(names)} order by 1`;
  return rows.map((row) => row.datname);
}

const refill = (target: number) => refillSpares(deps, { target, concurrency: 2 });

/** What a tenant's database looks like to PostgreSQL, with its own names written generically. */
async function databaseShape(tenantId: string) {
  const name = tenantDatabaseName(tenantId);
  const [row] = await deps.admin<{ owner: string; acl: string; template: boolean }[]>`
    select pg_get_userbyid(datdba) as owner, datacl::text as acl, datistemplate as template
    from pg_database where datname = ${name}`;
  const asTenant = connect(withDatabase(run.postgresUrl, name), {
    max: 1,
    username: tenantRoleName(tenantId),
  });
  try {
    const [inserted] = await asTenant`insert into projects (name) values ('shape') returning name`;
    const [tables] = await asTenant<{ tables: string }[]>`
      select string_agg(tablename, ',' order by tablename) as tables
      from pg_tables where schemaname = 'public'`;
    return {
      owner: row?.owner,
      acl: row?.acl.replaceAll(tenantRoleName(tenantId), "<tenant>"),
      template: row?.template,
      insertedAsTenant: inserted?.name,
      tables: tables?.tables,
      version: await versionOf(name),
      controlPlane: await findTenant(deps.controlPlane, tenantId).then((tenant) => ({
        status: tenant?.status,
        schemaVersion: tenant?.schemaVersion,
      })),
      objects: await countTenantObjects(deps.admin, tenantId),
    };
  } finally {
    await asTenant.end();
  }
}

/** A database's applied tenant migrations, read as the admin (tenant roles may not). */
async function versionOf(database: string): Promise<number> {
  const sql = connect(withDatabase(run.postgresUrl, database), { max: 1 });
  try {
    return await currentVersion(sql);
  } finally {
    await sql.end();
  }
}

describe("the warm pool", () => {
  it("is filled to the target and no further, even by two refills at once", async () => {
    const results = await Promise.all([refill(3), refill(3)]);
    expect(results.flat().reduce((made, result) => made + result.made, 0)).toBe(3);
    const spares = await readySpares();
    expect(spares).toHaveLength(3);
    expect(spares.every((spare) => spare.schemaVersion === latest)).toBe(true);
    expect(await databasesNamed(spares.map((spare) => spare.name))).toHaveLength(3);
    // Nobody but the platform connects to a spare.
    const [acl] = await deps.admin<{ publicCanConnect: boolean }[]>`
      select bool_or(has_database_privilege('public', datname, 'connect')) as public_can_connect
      from pg_database where datname in ${deps.admin(spares.map((spare) => spare.name))}`;
    expect(acl?.publicCanConnect).toBe(false);
    expect((await refill(3))[0]).toMatchObject({ made: 0, dropped: 0 });
  });

  it("a signup claims a spare and ends identical to a cloned tenant", async () => {
    const before = await readySpares();
    const claimedBefore = claims;
    const fromPool = await insertTenant(deps.controlPlane);
    expect(await provisionTenant(pooled, fromPool, 1)).toBe("activated");
    expect(claims).toBe(claimedBefore + 1);
    const after = await readySpares();
    expect(after).toHaveLength(before.length - 1);
    const taken = before.filter((spare) => !after.some((left) => left.name === spare.name));
    expect(taken).toHaveLength(1);
    expect(await databasesNamed(taken.map((spare) => spare.name))).toEqual([]);
    const [rows] = await deps.controlPlane<{ count: number }[]>`
      select count(*)::int from spare_databases where tenant_id is not null`;
    expect(rows?.count).toBe(0);

    // The pool's rows are there, but this provisioning has no pool: it clones, as before.
    const cloned = await insertTenant(deps.controlPlane);
    expect(await provisionTenant(deps, cloned, 1)).toBe("activated");
    expect(await readySpares()).toHaveLength(after.length);

    const expected = {
      acl: expect.stringMatching(/<tenant>=c\//),
      template: false,
      insertedAsTenant: "shape",
      version: latest,
      controlPlane: { status: "active", schemaVersion: latest },
      objects: { databases: 1, roles: 1 },
    };
    const pooledShape = await databaseShape(fromPool);
    expect(pooledShape).toMatchObject(expected);
    expect(pooledShape).toEqual(await databaseShape(cloned));
    // PUBLIC has nothing: the ACL lists the owner and the tenant only.
    expect(pooledShape.acl).not.toMatch(/(^|[{,])=/);

    // One tenant's role cannot reach the other's database.
    const intruder = connect(withDatabase(run.postgresUrl, tenantDatabaseName(cloned)), {
      max: 1,
      username: tenantRoleName(fromPool),
    });
    try {
      await expect(intruder`select 1`).rejects.toThrow(/permission denied/);
    } finally {
      await intruder.end();
    }
  });

  it("gives every one of many concurrent signups its own database, spares or clones", async () => {
    await refill(4);
    const spares = (await readySpares()).map((spare) => spare.name);
    expect(spares).toHaveLength(4);
    const tenants = await Promise.all(
      Array.from({ length: 7 }, () => insertTenant(deps.controlPlane)),
    );
    const claimedBefore = claims;
    const outcomes = await Promise.all(tenants.map((id) => provisionTenant(pooled, id, 1)));
    expect(outcomes).toEqual(tenants.map(() => "activated"));
    // Four took a spare each (none shared: each spare is renamed at most once), three cloned.
    expect(claims).toBe(claimedBefore + 4);
    expect(await readySpares()).toEqual([]);
    expect(await databasesNamed(spares)).toEqual([]);
    for (const id of tenants) {
      expect(await countTenantObjects(deps.admin, id)).toEqual({ databases: 1, roles: 1 });
      expect((await findTenant(deps.controlPlane, id))?.schemaVersion).toBe(latest);
    }
    const [left] = await deps.controlPlane<{ count: number }[]>`
      select count(*)::int from spare_databases`;
    expect(left?.count).toBe(0);
  });

  it("a job cut short after recording its claim, or after the rename, is retried to the same end", async () => {
    await refill(2);
    const [first, second] = await readySpares();
    if (!first || !second) throw new Error("two spares expected");
    // What a kill leaves: a claim recorded and the database not yet renamed ...
    const claimedOnly = await insertTenant(deps.controlPlane);
    // ... and a claim whose rename was done, the row not yet removed.
    const renamed = await insertTenant(deps.controlPlane);
    for (const [tenantId, spare] of [
      [claimedOnly, first],
      [renamed, second],
    ] as const) {
      const [server] = await deps.controlPlane<{ id: string }[]>`
        select id from database_servers where name = 'default'`;
      await deps.controlPlane`update tenants set server_id = ${server?.id ?? null} where id = ${tenantId}`;
      await deps.controlPlane`
        update spare_databases set tenant_id = ${tenantId} where name = ${spare.name}`;
    }
    // Both had passed create_role, which comes before create_database.
    for (const tenantId of [claimedOnly, renamed]) {
      await ensureTenantRole(
        deps.admin,
        tenantId,
        tenantRolePassword(run.tenantDbPasswordSecret, tenantId),
      );
    }
    await deps.admin`alter database ${deps.admin(second.name)} rename to ${deps.admin(tenantDatabaseName(renamed))}`;
    // Another spare is ready: a retry must finish its own claim, not take a second spare.
    await refill(3);
    const readyBefore = (await readySpares()).length;

    // The first retry runs with the pool turned off meanwhile: it must still finish its claim,
    // not clone and leave the claimed spare held forever.
    for (const [tenantId, retryDeps] of [
      [claimedOnly, deps],
      [renamed, pooled],
    ] as const) {
      expect(await provisionTenant(retryDeps, tenantId, 2)).toBe("activated");
      expect(await countTenantObjects(deps.admin, tenantId)).toEqual({ databases: 1, roles: 1 });
    }
    expect(await readySpares()).toHaveLength(readyBefore);
    expect(await databasesNamed([first.name, second.name])).toEqual([]);
    const [claimed] = await deps.controlPlane<{ count: number }[]>`
      select count(*)::int from spare_databases where tenant_id is not null`;
    expect(claimed?.count).toBe(0);
    expect(await databaseShape(claimedOnly)).toMatchObject({
      controlPlane: { status: "active", schemaVersion: latest },
      version: latest,
    });
  });

  it("a spare older than the release is brought forward by the migrate step, never handed over behind", async () => {
    const migrations = mkdtempSync(join(tmpdir(), "oryn-spare-migrations-"));
    try {
      cpSync(tenantMigrations, migrations, { recursive: true });
      writeFileSync(
        join(migrations, "9003_newer_release.sql"),
        "alter table projects add column newer_release text;\n",
      );
      await refill(1);
      expect((await readySpares())[0]?.schemaVersion).toBe(latest);
      const tenantId = await insertTenant(deps.controlPlane);
      const claimedBefore = claims;
      expect(await provisionTenant({ ...pooled, migrations }, tenantId, 1)).toBe("activated");
      expect(claims).toBe(claimedBefore + 1);
      expect(await versionOf(tenantDatabaseName(tenantId))).toBe(9003);
      expect((await findTenant(deps.controlPlane, tenantId))?.schemaVersion).toBe(9003);
    } finally {
      rmSync(migrations, { recursive: true, force: true });
    }
  });

  it("the reconciler calls recorded spares no orphans, and an unrecorded one an orphan", async () => {
    await refill(2);
    const spares = (await readySpares()).map((spare) => spare.name);
    const stray = "oryn_spare_0123456789abcdef0123456789abcdef";
    await deps.admin`create database ${deps.admin(stray)}`;
    try {
      const orphans = await findOrphans(deps.controlPlane, [
        { name: "default", admin: deps.admin },
      ]);
      const names = orphans.map((orphan) => orphan.name);
      for (const spare of spares) expect(names).not.toContain(spare);
      expect(orphans).toContainEqual({
        server: "default",
        kind: "database",
        name: stray,
        tenantId: null,
        reason: "unrecorded_spare",
      });
    } finally {
      await deps.admin`drop database if exists ${deps.admin(stray)}`;
    }
  });

  it("the reconciler reports and removes a spare claimed by a tenant whose provisioning was given up", async () => {
    await refill(1);
    const [spare] = await readySpares();
    if (!spare) throw new Error("no spare made");
    const tenantId = await insertTenant(deps.controlPlane);
    await deps.controlPlane`update tenants set status = 'provisioning_failed' where id = ${tenantId}`;
    await deps.controlPlane`
      update spare_databases set tenant_id = ${tenantId} where name = ${spare.name}`;
    const servers = [{ name: "default", admin: deps.admin }];
    const orphans = await findOrphans(deps.controlPlane, servers);
    expect(orphans).toContainEqual({
      server: "default",
      kind: "database",
      name: spare.name,
      tenantId,
      reason: "abandoned_claim",
    });
    await removeOrphans(
      deps.controlPlane,
      servers,
      orphans.filter((orphan) => orphan.name === spare.name),
    );
    expect(await databasesNamed([spare.name])).toEqual([]);
    const [row] = await deps.controlPlane`select 1 from spare_databases where name = ${spare.name}`;
    expect(row).toBeUndefined();
    await deps.controlPlane`delete from tenants where id = ${tenantId}`;
  });

  it("a fleet migration brings the spares forward", async () => {
    const migrations = mkdtempSync(join(tmpdir(), "oryn-spare-migrations-"));
    const admins = createServerAdmins({
      defaultAdmin: deps.admin,
      adminUrl: run.postgresUrl,
      maxPerServer: 2,
    });
    try {
      cpSync(tenantMigrations, migrations, { recursive: true });
      writeFileSync(
        join(migrations, "9002_spare_test.sql"),
        "alter table projects add column spare_label text;\n",
      );
      await refill(2);
      const spares = await readySpares();
      expect(spares).toHaveLength(2);
      expect(
        await migrateSpares({ controlPlane: deps.controlPlane, admins, migrations }, 9002, 2),
      ).toEqual({ migrated: 2, dropped: 0, failures: [] });
      for (const spare of await readySpares()) {
        expect(spare.schemaVersion).toBe(9002);
        expect(await versionOf(spare.name)).toBe(9002);
      }
    } finally {
      await admins.close();
      rmSync(migrations, { recursive: true, force: true });
    }
  });

  it("a draining server keeps no spares, and a lower target drops the excess", async () => {
    await refill(3);
    expect((await refill(1))[0]).toMatchObject({ made: 0, dropped: 2 });
    const [kept] = await readySpares();
    expect(await setServerState(deps.controlPlane, "default", "draining")).toBe(true);
    try {
      expect((await refill(3))[0]).toMatchObject({ made: 0, dropped: 1 });
      expect(await readySpares()).toEqual([]);
      expect(await databasesNamed([kept?.name ?? ""])).toEqual([]);
    } finally {
      await setServerState(deps.controlPlane, "default", "accepting");
    }
  });

  it("the harness's cleanup drops a run's spares", async () => {
    await refill(2);
    const spares = (await readySpares()).map((spare) => spare.name);
    expect(await databasesNamed(spares)).toHaveLength(2);
    await run.drop();
    expect(await databasesNamed(spares)).toEqual([]);
  });
});
