import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { testRun } from "@oryn/testing/context";
import { afterAll, describe, expect, it } from "vitest";
import { connect, ensureDatabase, withDatabase } from "../src/database.ts";
import { listMigrations, migrate } from "../src/migrations/runner.ts";

const run = testRun();
const database = `oryn_migrations_${run.runId}`;
const url = withDatabase(run.postgresUrl, database);
const admin = connect(run.postgresUrl, { max: 1 });
afterAll(async () => {
  await admin`drop database if exists ${admin(database)} with (force)`;
  await admin.end();
});

describe("the migration runner", () => {
  it("applies each file once, in order, and refuses a file changed after it was applied", async () => {
    const dir = mkdtempSync(join(tmpdir(), "oryn-migrations-"));
    writeFileSync(join(dir, "0001_first.sql"), "create table t (id int);");
    writeFileSync(join(dir, "0002_second.sql"), "alter table t add column name text;");
    await ensureDatabase(url);
    const sql = connect(url, { max: 2 });
    try {
      // Two migrators at once take turns: each file is applied exactly once.
      const [first, second] = await Promise.all([migrate(sql, dir), migrate(sql, dir)]);
      expect([...first.applied, ...second.applied].sort()).toEqual([1, 2]);
      expect((await migrate(sql, dir)).applied).toEqual([]);

      writeFileSync(join(dir, "0001_first.sql"), "create table t (id bigint);");
      await expect(migrate(sql, dir)).rejects.toThrow(
        /0001_first.sql was changed after it was applied/,
      );
    } finally {
      await sql.end();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("refuses misnamed files and duplicate versions", () => {
    const misnamed = mkdtempSync(join(tmpdir(), "oryn-migrations-"));
    writeFileSync(join(misnamed, "1_first.sql"), "select 1;");
    expect(() => listMigrations(misnamed)).toThrow(/not named NNNN_name.sql/);
    const duplicate = mkdtempSync(join(tmpdir(), "oryn-migrations-"));
    writeFileSync(join(duplicate, "0001_a.sql"), "select 1;");
    writeFileSync(join(duplicate, "0001_b.sql"), "select 1;");
    expect(() => listMigrations(duplicate)).toThrow(/share version 1/);
    for (const dir of [misnamed, duplicate]) rmSync(dir, { recursive: true, force: true });
  });
});
