import { connect, type Sql, tenantDatabaseName, tenantRoleName } from "@oryn/shared";
import { Redis } from "ioredis";

/**
 * Removes what one run made: its tenants' databases and roles, its spare databases, the template, the control-plane
 * database, and every Redis key under its prefix. The shared `oryn_tenant` group role goes too,
 * unless another database still grants it something (then PostgreSQL refuses, and it stays).
 */
export async function removeRun(options: {
  postgresUrl: string;
  controlPlaneDatabase: string;
  templateDatabase: string;
  redisUrl: string;
  redisPrefix: string;
}): Promise<void> {
  const admin = connect(options.postgresUrl, { max: 1 });
  const runId = options.controlPlaneDatabase.replace(/^oryn_test_/, "");
  try {
    // The run's control plane, and those of files that made their own (isolated-run.ts) and
    // could not remove them: every tenant any of them knows goes first.
    const controlPlanes = await admin<{ datname: string }[]>`
      select datname from pg_database
      where datname = ${options.controlPlaneDatabase}
         or starts_with(datname, ${`${options.controlPlaneDatabase}_`})`;
    for (const { datname } of controlPlanes) {
      await dropControlPlaneObjects(admin, options.postgresUrl, datname);
      await admin`drop database if exists ${admin(datname)} with (force)`;
    }
    // The run's template, and files' own templates (`<template>_<file>`).
    const templates = await admin<{ datname: string }[]>`
      select datname from pg_database
      where datname = ${options.templateDatabase}
         or starts_with(datname, ${`${options.templateDatabase}_`})`;
    for (const { datname } of templates) {
      await admin`drop database if exists ${admin(datname)} with (force)`;
    }
    // Login roles tests made for the run (their names carry the run id).
    const logins = await admin<{ rolname: string }[]>`
      select rolname from pg_roles where strpos(rolname, ${runId}) > 0`;
    for (const { rolname } of logins) await admin`drop role if exists ${admin(rolname)}`;
    // Server-wide roles the migrations made; PostgreSQL refuses while another database uses them.
    for (const role of [
      "oryn_tenant",
      "oryn_gateway",
      "oryn_workspace",
      "oryn_billing",
      "oryn_provisioner",
    ]) {
      await admin`drop role if exists ${admin(role)}`.catch(() => {});
    }
  } finally {
    await admin.end();
  }

  // Queue keys ({prefix}:…, and {prefix-suffix}:… for tests that need a queue of their own),
  // plain keys (prefix:…, the rate limits), and those of processes started with a prefix of
  // their own (`<prefix>-<test>`).
  await unlinkKeys(options.redisUrl, [
    `{${options.redisPrefix}}:*`,
    `{${options.redisPrefix}-*`,
    `${options.redisPrefix}:*`,
    `${options.redisPrefix}-*`,
  ]);
}

/**
 * Drops what a control plane's tenants and warm pool have on the server `admin` is connected to:
 * each tenant's database and role, and every spare database it recorded.
 */
export async function dropControlPlaneObjects(
  admin: Sql,
  postgresUrl: string,
  database: string,
): Promise<void> {
  await dropTenantObjects(admin, await tenantsOf(postgresUrl, database));
  for (const name of await sparesOf(postgresUrl, database)) {
    // The control plane's check constraint holds this pattern; checked again before DROP.
    if (!/^oryn_spare_[0-9a-f]{32}$/.test(name)) throw new Error(`not a spare: ${name}`);
    await admin`drop database if exists ${admin(name)} with (force)`;
  }
}

/** Drops each tenant's database and role (on the server `admin` is connected to). */
export async function dropTenantObjects(admin: Sql, tenantIds: string[]): Promise<void> {
  for (const id of tenantIds) {
    await admin`drop database if exists ${admin(tenantDatabaseName(id))} with (force)`;
    await admin`drop role if exists ${admin(tenantRoleName(id))}`;
  }
}

/** Unlinks every Redis key matching any of `patterns`. */
export async function unlinkKeys(redisUrl: string, patterns: string[]): Promise<void> {
  const redis = new Redis(redisUrl);
  try {
    for (const pattern of patterns) {
      let cursor = "0";
      do {
        const [next, keys] = await redis.scan(cursor, "MATCH", pattern, "COUNT", 1000);
        cursor = next;
        if (keys.length > 0) await redis.unlink(...keys);
      } while (cursor !== "0");
    }
  } finally {
    redis.disconnect();
  }
}

/** The tenant ids a control plane knows (none if its migrations never ran). */
export async function tenantsOf(postgresUrl: string, database: string): Promise<string[]> {
  return column(postgresUrl, database, (sql) => sql`select id as value from tenants`);
}

/** The spare databases a control plane recorded, claimed or not (none before migration 0010). */
export async function sparesOf(postgresUrl: string, database: string): Promise<string[]> {
  return column(postgresUrl, database, (sql) => sql`select name as value from spare_databases`);
}

async function column(
  postgresUrl: string,
  database: string,
  query: (sql: Sql) => Promise<readonly Record<string, unknown>[]>,
): Promise<string[]> {
  const controlPlane = connect(postgresUrl.replace(/\/[^/]*$/, `/${database}`), { max: 1 });
  try {
    return (await query(controlPlane)).map((row) => String(row.value));
  } catch {
    return [];
  } finally {
    await controlPlane.end();
  }
}
