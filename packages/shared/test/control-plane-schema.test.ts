import { readFileSync } from "node:fs";
import { join } from "node:path";
import { testRun } from "@oryn/testing/context";
import { afterAll, describe, expect, it } from "vitest";
import { controlPlaneSchemaSource } from "../src/control-plane/schema-source.ts";
import { connect } from "../src/database.ts";

const sql = connect(testRun().controlPlaneUrl, { max: 1 });
afterAll(() => sql.end());

describe("packages/shared/src/control-plane/schema.ts", () => {
  it("is what `pnpm db:types` writes from the migrated control plane", async () => {
    // Stale after a migration added a table, a column or a grant: run `pnpm db:types`.
    const committed = readFileSync(join(import.meta.dirname, "../src/control-plane/schema.ts"));
    expect(committed.toString()).toBe(await controlPlaneSchemaSource(sql));
  });
});
