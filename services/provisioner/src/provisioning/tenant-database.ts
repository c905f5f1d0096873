import { connect, type Sql, tenantDatabaseName, tenantRoleName, withDatabase } from "@oryn/shared";
import { scramSha256Verifier, tenantRoleScramIterations } from "./scram.ts";

/**
 * The group role whose privileges every tenant role inherits. Tenant migrations grant table
 * privileges to it and it is granted CONNECT on no database, so membership reaches only the
 * database whose CONNECT was granted to the tenant's own role.
 */
export const tenantGroupRole = "oryn_tenant";

/**
 * Cloning takes the template's lock shared; migrating the template takes it exclusively, because
 * PostgreSQL refuses to clone a template anyone is connected to. The locks live in the control
 * plane, which tenant roles cannot reach: on the tenant server's maintenance database any role
 * may connect and could hold them to stall provisioning.
 */
const templateLockClass = 7_310_002;

const duplicateObject = "42710";
const duplicateDatabase = "42P04";
const uniqueViolation = "23505";

function isPgError(error: unknown, code: string): boolean {
  return (error as { code?: string }).code === code;
}

/**
 * Another worker created it first. Two concurrent CREATEs of one name can also meet on the
 * catalog's unique index (23505) instead of the friendlier "already exists".
 */
function isAlreadyThere(error: unknown): boolean {
  return (
    isPgError(error, duplicateObject) ||
    isPgError(error, duplicateDatabase) ||
    isPgError(error, uniqueViolation)
  );
}

export async function withTemplateLock<T>(
  locks: Sql,
  template: string,
  mode: "shared" | "exclusive",
  work: () => Promise<T>,
): Promise<T> {
  const connection = await locks.reserve();
  const lock =
    mode === "shared" ? connection`pg_advisory_lock_shared` : connection`pg_advisory_lock`;
  const unlock =
    mode === "shared" ? connection`pg_advisory_unlock_shared` : connection`pg_advisory_unlock`;
  try {
    await connection`select ${lock}(${templateLockClass}, hashtext(${template}))`;
    try {
      return await work();
    } finally {
      await connection`select ${unlock}(${templateLockClass}, hashtext(${template}))`;
    }
  } finally {
    connection.release();
  }
}

export async function databaseExists(admin: Sql, name: string): Promise<boolean> {
  const [row] = await admin`select 1 from pg_database where datname = ${name}`;
  return row !== undefined;
}

export async function roleExists(admin: Sql, name: string): Promise<boolean> {
  const [row] = await admin`select 1 from pg_roles where rolname = ${name}`;
  return row !== undefined;
}

export async function ensureGroupRole(admin: Sql): Promise<void> {
  if (await roleExists(admin, tenantGroupRole)) return;
  try {
    await admin`create role ${admin(tenantGroupRole)} nologin`;
  } catch (error) {
    if (!isAlreadyThere(error)) throw error;
  }
}

/**
 * Creates the template database if missing and runs `migrateTemplate` against it while no clone
 * can start. The connection used to migrate must be closed before the lock is released.
 */
export async function ensureTemplate(
  admin: Sql,
  locks: Sql,
  template: string,
  migrateTemplate: () => Promise<void>,
): Promise<void> {
  await ensureGroupRole(admin);
  await withTemplateLock(locks, template, "exclusive", async () => {
    if (!(await databaseExists(admin, template))) {
      try {
        await admin`create database ${admin(template)}`;
      } catch (error) {
        if (!isAlreadyThere(error)) throw error;
      }
    }
    // Nobody but the platform's admin connects to the template.
    await admin`revoke all on database ${admin(template)} from public`;
    await migrateTemplate();
  });
}

/**
 * The tenant's login role, with the derived password; re-running sets it again (a new salt, the
 * same password). Only a SCRAM verifier travels, never the password itself.
 */
export async function ensureTenantRole(
  admin: Sql,
  tenantId: string,
  password: string,
): Promise<void> {
  const role = tenantRoleName(tenantId);
  const verifier = scramSha256Verifier(password, { iterations: tenantRoleScramIterations });
  // CREATE/ALTER ROLE take no bind parameters: the verifier is a literal, checked to hold only
  // base64 and SCRAM punctuation, which cannot end a quoted string.
  if (!/^SCRAM-SHA-256\$\d+:[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+:[A-Za-z0-9+/=]+$/.test(verifier)) {
    throw new Error("unexpected SCRAM verifier");
  }
  const literal = admin.unsafe(`'${verifier}'`);
  if (!(await roleExists(admin, role))) {
    try {
      await admin`
        create role ${admin(role)} login nosuperuser nocreatedb nocreaterole noreplication
        connection limit 50 in role ${admin(tenantGroupRole)} password ${literal}`;
      return;
    } catch (error) {
      if (!isAlreadyThere(error)) throw error;
    }
  }
  await admin`alter role ${admin(role)} with login password ${literal}`;
}

export async function ensureTenantDatabase(
  admin: Sql,
  locks: Sql,
  tenantId: string,
  template: string,
): Promise<void> {
  const name = tenantDatabaseName(tenantId);
  if (!(await databaseExists(admin, name))) {
    await cloneTemplate(admin, locks, name, template);
  }
  // A new database does not inherit the template's ACL: PUBLIC may connect until this runs, so
  // it runs at once (and again on a retry), not only in the later grant step.
  await admin`revoke all on database ${admin(name)} from public`;
}

/**
 * CREATE DATABASE `name` from the template, under its shared lock; a database of that name
 * already there counts as done. The caller revokes PUBLIC's CONNECT.
 */
export async function cloneTemplate(
  admin: Sql,
  locks: Sql,
  name: string,
  template: string,
): Promise<void> {
  await withTemplateLock(locks, template, "shared", async () => {
    try {
      // CREATE DATABASE is atomic: after a crash the database either exists whole or not at all.
      await admin`create database ${admin(name)} template ${admin(template)}`;
    } catch (error) {
      if (!isAlreadyThere(error)) throw error;
    }
  });
}

/** Only the tenant's own role may connect to its database. */
export async function grantTenantAccess(admin: Sql, tenantId: string): Promise<void> {
  const name = tenantDatabaseName(tenantId);
  const role = tenantRoleName(tenantId);
  await admin`revoke all on database ${admin(name)} from public`;
  await admin`grant connect on database ${admin(name)} to ${admin(role)}`;
}

/** A short-lived admin connection to one database on the tenant server. */
export async function withDatabaseConnection<T>(
  adminUrl: string,
  database: string,
  work: (sql: Sql) => Promise<T>,
): Promise<T> {
  const sql = connect(withDatabase(adminUrl, database), {
    max: 1,
    applicationName: "oryn-provisioner",
  });
  try {
    return await work(sql);
  } finally {
    await sql.end({ timeout: 5 });
  }
}
