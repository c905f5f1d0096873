import { connect, type Sql, tenantDatabaseName, tenantRoleName, withDatabase } from "@oryn/shared";

/**
 * The group role whose privileges every tenant role inherits. Tenant migrations grant table
 * privileges to it; it has no CONNECT anywhere, so membership reaches only the database whose
 * CONNECT was granted to the tenant's own role.
 */
export const tenantGroupRole = "oryn_tenant";

// Session-level advisory locks on the admin database. Cloning takes the template lock shared;
// migrating the template takes it exclusively, because PostgreSQL refuses to clone a template
// that anyone is connected to.
const templateLockKey = 7_310_002;

const duplicateObject = "42710";
const duplicateDatabase = "42P04";

function isPgError(error: unknown, code: string): boolean {
  return (error as { code?: string }).code === code;
}

async function withAdvisoryLock<T>(
  admin: Sql,
  mode: "shared" | "exclusive",
  work: () => Promise<T>,
): Promise<T> {
  const connection = await admin.reserve();
  try {
    if (mode === "shared") await connection`select pg_advisory_lock_shared(${templateLockKey})`;
    else await connection`select pg_advisory_lock(${templateLockKey})`;
    try {
      return await work();
    } finally {
      if (mode === "shared") await connection`select pg_advisory_unlock_shared(${templateLockKey})`;
      else await connection`select pg_advisory_unlock(${templateLockKey})`;
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
    if (!isPgError(error, duplicateObject)) throw error;
  }
}

/**
 * Creates the template database if missing and runs `migrateTemplate` against it while no clone
 * can start. The connection used to migrate must be closed before the lock is released.
 */
export async function ensureTemplate(
  admin: Sql,
  template: string,
  migrateTemplate: () => Promise<void>,
): Promise<void> {
  await ensureGroupRole(admin);
  await withAdvisoryLock(admin, "exclusive", async () => {
    if (!(await databaseExists(admin, template))) {
      try {
        await admin`create database ${admin(template)}`;
      } catch (error) {
        if (!isPgError(error, duplicateDatabase)) throw error;
      }
    }
    // Nobody but the platform's admin connects to the template.
    await admin`revoke all on database ${admin(template)} from public`;
    await migrateTemplate();
  });
}

/** The tenant's login role, with the derived password; re-running sets the same password again. */
export async function ensureTenantRole(
  admin: Sql,
  tenantId: string,
  password: string,
): Promise<void> {
  const role = tenantRoleName(tenantId);
  // CREATE/ALTER ROLE take no bind parameters; the password is base64url, checked to be so.
  if (!/^[A-Za-z0-9_-]+$/.test(password))
    throw new Error("derived password has unexpected characters");
  if (!(await roleExists(admin, role))) {
    try {
      await admin`
        create role ${admin(role)} login nosuperuser nocreatedb nocreaterole noreplication
        connection limit 50 in role ${admin(tenantGroupRole)} password ${admin.unsafe(`'${password}'`)}`;
      return;
    } catch (error) {
      if (!isPgError(error, duplicateObject)) throw error;
    }
  }
  await admin`alter role ${admin(role)} with login password ${admin.unsafe(`'${password}'`)}`;
}

export async function ensureTenantDatabase(
  admin: Sql,
  tenantId: string,
  template: string,
): Promise<void> {
  const name = tenantDatabaseName(tenantId);
  if (!(await databaseExists(admin, name))) {
    await withAdvisoryLock(admin, "shared", async () => {
      try {
        // CREATE DATABASE is atomic: after a crash the database either exists whole or not at all.
        await admin`create database ${admin(name)} template ${admin(template)}`;
      } catch (error) {
        if (!isPgError(error, duplicateDatabase)) throw error;
      }
    });
  }
  // A new database does not inherit the template's ACL: PUBLIC may connect until this runs, so
  // it runs at once (and again on a retry), not only in the later grant step.
  await admin`revoke all on database ${admin(name)} from public`;
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
