import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { grants } from "../src/control-plane/schema.ts";

/**
 * Who may touch a control-plane table is written twice: in the migrations' grants (schema.ts
 * holds them as the database does) and in each service's imports of the table modules. This
 * holds the second to the first: a service importing `control-plane/tables/<module>` must have
 * its role granted some access to every table that module's SQL names, so a query on a table
 * the role cannot reach at all fails here, by reading, rather than with "permission denied" in
 * production. It checks tables, not the kind of access or the columns: a module holding both a
 * select a role may run and an update it may not passes, and billing's column grant on `tenants`
 * is not held against the columns each query reads.
 */
const root = join(import.meta.dirname, "../../..");
const tablesDir = join(root, "packages/shared/src/control-plane/tables");
const schemaText = readFileSync(join(root, "packages/shared/src/control-plane/schema.ts"), "utf8");
const tableNames = new Set(
  [...(schemaText.split("export const grants")[0] ?? "").matchAll(/^ {2}(\w+): \{$/gm)].map(
    (m) => m[1] ?? "",
  ),
);

/** The control-plane tables a piece of source names in SQL (`from`, `join`, `into`, `update`). */
function tablesNamed(source: string): Set<string> {
  const named = new Set<string>();
  for (const match of source.matchAll(/\b(?:from|join|into|update)\s+([a-z_]+)\b/g)) {
    if (match[1] && tableNames.has(match[1])) named.add(match[1]);
  }
  return named;
}

/** The table modules a piece of source imports, by module name (`tenants`, `memberships`…). */
function tableModulesImported(source: string): string[] {
  return [...source.matchAll(/from "@oryn\/shared\/control-plane\/tables\/([\w-]+)"/g)].map(
    (m) => m[1] ?? "",
  );
}

const moduleTables = new Map(
  readdirSync(tablesDir)
    .filter((file) => file.endsWith(".ts"))
    .map((file) => [
      file.replace(/\.ts$/, ""),
      tablesNamed(readFileSync(join(tablesDir, file), "utf8")),
    ]),
);

type Violation = { file: string; module: string; table: string };

/** Each import of a table module whose tables `role` is not granted. */
function violations(role: string, files: Array<{ file: string; source: string }>): Violation[] {
  const granted = (grants as Record<string, Record<string, readonly string[]>>)[role] ?? {};
  return files.flatMap(({ file, source }) =>
    tableModulesImported(source).flatMap((module) => {
      const tables = moduleTables.get(module);
      if (!tables) return [{ file, module, table: "(no such table module)" }];
      return [...tables]
        .filter((table) => !granted[table])
        .map((table) => ({ file, module, table }));
    }),
  );
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith(".ts"))
    .map((entry) => join(entry.parentPath, entry.name));
}

const services = readdirSync(join(root, "services"));

describe("control-plane table modules", () => {
  it("each name the tables their SQL touches", () => {
    expect(moduleTables.size).toBeGreaterThan(0);
    for (const [module, tables] of moduleTables) {
      expect(tables.size, `${module}.ts names no control-plane table`).toBeGreaterThan(0);
    }
  });

  it.each(services)("are imported by %s only for tables its role is granted", (service) => {
    const files = sourceFiles(join(root, "services", service, "src")).map((path) => ({
      file: relative(root, path),
      source: readFileSync(path, "utf8"),
    }));
    // A service without a role of its own (the mailer) may import none.
    expect(violations(`oryn_${service}`, files)).toEqual([]);
  });

  it("refuse a service importing a module on a table its role lacks", () => {
    const source = `import { findTenant } from "@oryn/shared/control-plane/tables/tenants";`;
    expect(violations("oryn_mailer", [{ file: "mailer.ts", source }])).toEqual([
      { file: "mailer.ts", module: "tenants", table: "tenants" },
    ]);
    expect(violations("oryn_workspace", [{ file: "workspace.ts", source }])).toEqual([]);
  });
});
