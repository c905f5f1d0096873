import { createHmac } from "node:crypto";
import type { Socket } from "node:net";
import postgres from "postgres";

export type Sql = postgres.Sql;
export type TransactionSql = postgres.TransactionSql;
/** A piece of a query (a condition, a clause) built with `sql\`…\`` and put inside another. */
export type SqlFragment = postgres.PendingQuery<postgres.Row[]>;

/**
 * A postgres.js pool. Columns come back camelCased so query modules return API-shaped rows;
 * notices (e.g. "already exists, skipping") are not logged as if they were problems.
 */
export function connect(
  url: string,
  options: {
    max?: number;
    /** 0: connections are never closed for being idle. */
    idleTimeoutSeconds?: number;
    /** null: connections are never recycled for their age (postgres.js default: 30-60 min). */
    maxLifetimeSeconds?: number | null;
    applicationName?: string;
    username?: string;
    password?: string;
    database?: string;
    /**
     * Opens each connection's socket (connected, or still connecting) instead of dialling the
     * URL's host, for pools whose server is looked up when a connection is made. It must not
     * reject: postgres.js never frees a connection whose socket function did.
     */
    socket?: () => Promise<Socket>;
    /**
     * false: skip postgres.js's query of the server's array types, which it runs on every new
     * connection. Such a client cannot send or parse arrays; pools that open connections all
     * the time (one per tenant database) save a round trip and a catalog scan on each.
     */
    fetchTypes?: boolean;
  } = {},
): Sql {
  return postgres(url, {
    max: options.max ?? 10,
    idle_timeout: options.idleTimeoutSeconds ?? 60,
    connect_timeout: 5,
    ...(options.maxLifetimeSeconds !== undefined
      ? { max_lifetime: options.maxLifetimeSeconds }
      : {}),
    onnotice: () => {},
    transform: { column: { from: postgres.toCamel } },
    connection: { application_name: options.applicationName ?? "oryn" },
    ...(options.username ? { username: options.username } : {}),
    ...(options.password ? { password: options.password } : {}),
    ...(options.database ? { database: options.database } : {}),
    ...(options.socket ? { socket: options.socket } : {}),
    fetch_types: options.fetchTypes ?? true,
    // A failed connection is tried again at once. postgres.js's default waits longer after each
    // failure in a row, up to 20 s, with queries waiting it out in its queue: with the control
    // plane's server away for 3 s, requests hung past a client's 10 s timeout and were served again
    // only 16 s after it was back. At 0 a query whose server refuses fails at once (a request is
    // answered 503; a server that does not answer at all takes connect_timeout), and the first one
    // after it returns is served. Each queued query makes one attempt, so a pool never has more
    // than `max` in flight.
    backoff: () => 0,
  });
}

/** The most times `beginRetryingDeadlocks` runs a transaction. */
const deadlockAttempts = 3;

/**
 * `sql.begin`, run again from the start when PostgreSQL ends it to break a deadlock (40P01). Two
 * transactions that lock the same rows in opposite orders (a session's row and its refresh
 * tokens: ending a session takes the row first, a refresh the token first) deadlock now and then;
 * PostgreSQL lets one go on and fails the other, whose rerun then waits for the winner's commit
 * and sees it. Only for transactions whose every effect is in the database, so that a rerun
 * repeats all of it or none: nothing sent, enqueued or cached from inside `work`.
 */
export async function beginRetryingDeadlocks<T>(
  sql: Sql,
  work: (tx: TransactionSql) => Promise<T>,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return (await sql.begin(work)) as T;
    } catch (error) {
      const deadlock = (error as { code?: unknown }).code === "40P01";
      if (!deadlock || attempt >= deadlockAttempts) throw error;
    }
  }
}

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** A UUID in its canonical lower-case form, as PostgreSQL prints and we issue them. */
export function isUuid(value: string): boolean {
  return uuidPattern.test(value);
}

/**
 * The one name a tenant's database and role share. It derives only from the tenant's UUID (ours,
 * never a string the tenant chose), and is checked again here so nothing else can slip through.
 */
export function tenantDatabaseName(tenantId: string): string {
  if (!isUuid(tenantId)) throw new Error(`not a tenant id: ${JSON.stringify(tenantId)}`);
  return `oryn_t_${tenantId.replaceAll("-", "")}`;
}

export const tenantRoleName = tenantDatabaseName;

/** Each tenant role's password is derived, so it is stored nowhere and differs per tenant. */
export function tenantRolePassword(secret: string, tenantId: string): string {
  return createHmac("sha256", secret).update(`tenant-role:${tenantId}`).digest("base64url");
}

/** The database named in a postgres:// URL. */
export function databaseOf(url: string): string {
  return decodeURIComponent(new URL(url).pathname.replace(/^\//, "")) || "postgres";
}

/** The same server as `url`, another database. */
export function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${encodeURIComponent(database)}`;
  return parsed.toString();
}

/**
 * Creates the database named in `url` when it is missing (a fresh machine), connecting to the
 * server's `postgres` database to do it. The name is our own configuration, escaped as an
 * identifier all the same.
 */
export async function ensureDatabase(url: string): Promise<boolean> {
  const name = databaseOf(url);
  const admin = connect(withDatabase(url, "postgres"), { max: 1 });
  try {
    const [exists] = await admin`select 1 from pg_database where datname = ${name}`;
    if (exists) return false;
    try {
      await admin`create database ${admin(name)}`;
    } catch (error) {
      // Another process created it between our check and our create.
      if ((error as { code?: string }).code !== "42P04") throw error;
      return false;
    }
    return true;
  } finally {
    await admin.end();
  }
}
