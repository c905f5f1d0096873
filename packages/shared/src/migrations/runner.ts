import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { Sql } from "../database.ts";

export type Migration = { version: number; name: string; file: string };

/** The control plane's history and the tenant databases' history are kept apart. */
export const controlPlaneMigrations = join(import.meta.dirname, "control-plane");
export const tenantMigrations = join(import.meta.dirname, "tenant");

const filePattern = /^(\d{4})_([a-z0-9_]+)\.sql$/;

/** Forward-only SQL files named `NNNN_what_it_does.sql`, in version order. */
export function listMigrations(dir: string): Migration[] {
  const migrations = readdirSync(dir)
    .filter((file) => file.endsWith(".sql"))
    .map((file) => {
      const match = file.match(filePattern);
      if (!match?.[1] || !match[2])
        throw new Error(`migration file ${file} is not named NNNN_name.sql`);
      return { version: Number(match[1]), name: match[2], file: join(dir, file) };
    })
    .sort((a, b) => a.version - b.version);
  for (let index = 1; index < migrations.length; index++) {
    if (migrations[index]?.version === migrations[index - 1]?.version) {
      throw new Error(`two migrations in ${dir} share version ${migrations[index]?.version}`);
    }
  }
  return migrations;
}

/**
 * A migration file that failed, named, so a fleet report can say which one stopped a database.
 * The driver's error stays as `cause`, and its SQLSTATE is kept as `code`.
 */
export class MigrationFailedError extends Error {
  readonly migration: string;
  readonly code: string | undefined;
  constructor(migration: Migration, cause: unknown) {
    const name = `${String(migration.version).padStart(4, "0")}_${migration.name}`;
    super(`migration ${name} failed: ${cause instanceof Error ? cause.message : String(cause)}`, {
      cause,
    });
    this.name = "MigrationFailedError";
    this.migration = name;
    this.code = (cause as { code?: string }).code;
  }
}

export function latestVersion(dir: string): number {
  return listMigrations(dir).at(-1)?.version ?? 0;
}

// Arbitrary but fixed: every migrator of one database serialises on it.
const migrationLockKey = 7_310_001;

/**
 * Applies what is missing, each file in its own transaction together with its row in
 * `schema_migrations`. The advisory lock, taken inside each transaction, makes two migrators on
 * one database take turns; the second sees the row the first wrote and skips the file.
 * Migrations are forward-only: a file changed after it was applied stops the run (its checksum
 * no longer matches), because the databases that ran the old text would never see the new one.
 */
export async function migrate(
  sql: Sql,
  dir: string,
): Promise<{ applied: number[]; version: number }> {
  // Under the lock too: two first migrators would race on CREATE TABLE IF NOT EXISTS.
  await sql.begin(async (tx) => {
    await tx`select pg_advisory_xact_lock(${migrationLockKey})`;
    await tx`
      create table if not exists schema_migrations (
        version integer primary key,
        name text not null,
        checksum text,
        applied_at timestamptz not null default now()
      )`;
    // Databases migrated before checksums were kept have the table without the column.
    await tx`alter table schema_migrations add column if not exists checksum text`;
  });
  const applied: number[] = [];
  for (const migration of listMigrations(dir)) {
    const text = readFileSync(migration.file, "utf8");
    const checksum = createHash("sha256").update(text).digest("hex");
    const didApply = await sql
      .begin(async (tx) => {
        await tx`select pg_advisory_xact_lock(${migrationLockKey})`;
        const [done] = await tx<{ checksum: string | null }[]>`
        select checksum from schema_migrations where version = ${migration.version}`;
        if (done) {
          if (done.checksum !== null && done.checksum !== checksum) {
            throw new Error(
              `migration ${migration.file} was changed after it was applied; add a new migration instead`,
            );
          }
          return false;
        }
        await tx.unsafe(text);
        await tx`
        insert into schema_migrations (version, name, checksum)
        values (${migration.version}, ${migration.name}, ${checksum})`;
        return true;
      })
      .catch((error: unknown) => {
        throw new MigrationFailedError(migration, error);
      });
    if (didApply) applied.push(migration.version);
  }
  return { applied, version: await currentVersion(sql) };
}

export async function currentVersion(sql: Sql): Promise<number> {
  const [row] = await sql<{ version: number | null }[]>`
    select max(version) as version from schema_migrations`;
  return row?.version ?? 0;
}
