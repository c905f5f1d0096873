import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { grants } from "../src/control-plane/schema.ts";

/**
 * Who may touch a control-plane table is written twice: in the migrations' grants (schema.ts
 * holds them as the database does) and in each service's imports of the table modules. This
 * holds the second to the first: a service importing a function from
 * `control-plane/tables/<module>` must have its role granted some access to every table that
 * function's SQL names (with that of the module's other declarations it uses), so a query on a
 * table the role cannot reach at all fails here, by reading, rather than with "permission denied"
 * in production. It goes by the functions imported, not the whole module: workspace may check a
 * membership with the memberships module although other functions there join `users`, which its
 * role cannot read. It checks tables, not the kind of access or the columns: billing's column
 * grant on `tenants` is not held against the columns each query reads.
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

/**
 * The table modules a piece of source imports from, by module name (`tenants`, `memberships`…),
 * each with the names it imports.
 */
function tableModulesImported(source: string): Array<{ module: string; names: string[] }> {
  return [
    ...source.matchAll(
      /import\s+(?:type\s+)?\{([^}]*)\}\s*from "@oryn\/shared\/control-plane\/tables\/([\w-]+)"/g,
    ),
  ].map((m) => ({
    module: m[2] ?? "",
    names: (m[1] ?? "")
      .split(",")
      .map(
        (name) =>
          name
            .trim()
            .replace(/^type\s+/, "")
            .split(/\s+as\s+/)[0] ?? "",
      )
      .filter(Boolean),
  }));
}

const declaration =
  /^(?:export\s+)?(?:async\s+)?(?:function|const|let|type|class|interface)\s+(\w+)/gm;

/** A module's top-level declarations by name, each its own text, comments left out. */
function declarations(source: string): Map<string, string> {
  const code = source.replace(/\/\*[\s\S]*?\*\//g, "").replace(/^\s*\/\/.*$/gm, "");
  const starts = [...code.matchAll(declaration)];
  return new Map(
    starts.map((m, i) => [
      m[1] ?? "",
      code.slice(m.index, i + 1 < starts.length ? starts[i + 1]?.index : code.length),
    ]),
  );
}

/** The names a module imports from a sibling table module, as `<module> <name>`. */
function siblingImports(source: string): Map<string, string> {
  const imported = new Map<string, string>();
  for (const m of source.matchAll(/import\s+(?:type\s+)?\{([^}]*)\}\s*from "\.\/([\w-]+)\.ts"/g)) {
    for (const name of (m[1] ?? "").split(",")) {
      const local = name
        .trim()
        .replace(/^type\s+/, "")
        .split(/\s+as\s+/);
      if (local[0]) imported.set(local[1] ?? local[0], `${m[2]} ${local[0]}`);
    }
  }
  return imported;
}

const moduleSources = new Map(
  readdirSync(tablesDir)
    .filter((file) => file.endsWith(".ts"))
    .map((file) => [file.replace(/\.ts$/, ""), readFileSync(join(tablesDir, file), "utf8")]),
);
const moduleTables = new Map([...moduleSources].map(([module, src]) => [module, tablesNamed(src)]));

/**
 * The tables each declaration of each module names, as `<module> <name>`, with those of the
 * declarations it uses: the module's own (a private helper, a shared fragment) and those it
 * imports from another table module (memberships' lock takes the tenants module's).
 */
const declarationTables = (() => {
  const texts = new Map<string, string>();
  const uses = new Map<string, string[]>();
  for (const [module, src] of moduleSources) {
    const own = declarations(src);
    const names = new Map([
      ...[...own.keys()].map((name) => [name, `${module} ${name}`] as const),
      ...siblingImports(src),
    ]);
    for (const [name, text] of own) {
      texts.set(`${module} ${name}`, text);
      uses.set(
        `${module} ${name}`,
        [...names]
          .filter(([local]) => local !== name && new RegExp(`\\b${local}\\b`).test(text))
          .map(([, key]) => key),
      );
    }
  }
  const tables = new Map([...texts].map(([key, text]) => [key, tablesNamed(text)]));
  for (let changed = true; changed; ) {
    changed = false;
    for (const [key, used] of uses) {
      const mine = tables.get(key) ?? new Set<string>();
      for (const table of used.flatMap((other) => [...(tables.get(other) ?? [])])) {
        if (!mine.has(table)) {
          mine.add(table);
          changed = true;
        }
      }
    }
  }
  return tables;
})();

type Violation = { file: string; module: string; table: string };

/** Each import of a table module whose tables `role` is not granted. */
function violations(role: string, files: Array<{ file: string; source: string }>): Violation[] {
  const granted = (grants as Record<string, Record<string, readonly string[]>>)[role] ?? {};
  return files.flatMap(({ file, source }) =>
    tableModulesImported(source).flatMap(({ module, names }) => {
      const all = moduleTables.get(module);
      if (!all) return [{ file, module, table: "(no such table module)" }];
      // A name the module does not declare (a re-export) is held to every table the module names.
      const tables = new Set(
        names.flatMap((name) => [...(declarationTables.get(`${module} ${name}`) ?? all)]),
      );
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

  it("go by the functions imported, and what those use of their module and the others", () => {
    const from = "@oryn/shared/control-plane/tables/memberships";
    const check = `import { isMember } from "${from}";`;
    const admins = `import { isMember, listTenantAdmins } from "${from}";`;
    expect(violations("oryn_workspace", [{ file: "w.ts", source: check }])).toEqual([]);
    expect(violations("oryn_workspace", [{ file: "w.ts", source: admins }])).toEqual([
      { file: "w.ts", module: "memberships", table: "users" },
    ]);
    // lockMemberships takes the tenant's lock through the tenants module.
    expect(declarationTables.get("memberships lockMemberships")).toEqual(
      new Set(["memberships", "tenants"]),
    );
    // The operator's tenant list reads through a fragment of its module.
    expect(declarationTables.get("database-servers listOperatorTenants")).toEqual(
      new Set(["tenants", "database_servers"]),
    );
  });
});
