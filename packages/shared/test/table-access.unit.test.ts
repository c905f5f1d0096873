import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { grants } from "../src/control-plane/schema.ts";
import { root, sourceFiles, stripComments, tablesNamed } from "./sql-scan.ts";

/**
 * Who may touch a control-plane table is written twice: in the migrations' grants (schema.ts
 * holds them as the database does) and in each service's imports of the table modules. This
 * holds the second to the first: a service importing a function from a table module
 * (`control-plane/tables/<module>`, or the event log's, `events/event-log.ts`, which services
 * import through the package's index, `@oryn/shared`) must have its role granted some access to
 * every table that function's SQL names, with that of the declarations it uses (its module's
 * own, and what it imports by a relative path, from any file), so a query on a table the role
 * cannot reach at all fails here, by reading, rather than with "permission denied" in
 * production. It goes by the functions imported, not the whole module: workspace may check a
 * membership with the memberships module although other functions there join `users`, which its
 * role cannot read. It checks tables, not the kind of access or the columns: billing's column
 * grant on `tenants` is not held against the columns each query reads.
 */
const tablesDir = "packages/shared/src/control-plane/tables";
const eventLog = "packages/shared/src/events/event-log.ts";

/** The table modules, by name (the file's, `.ts` off), as paths from the root. */
const tableModules = new Map<string, string>([
  ...readdirSync(join(root, tablesDir))
    .filter((file) => file.endsWith(".ts"))
    .map((file) => [file.replace(/\.ts$/, ""), `${tablesDir}/${file}`] as const),
  ["event-log", eventLog],
]);
const moduleNames = new Map([...tableModules].map(([name, path]) => [path, name]));

type Import = { from: string; names: Array<{ local: string; imported: string }> };

/** A source's `import { … } from "…"` statements, each name as imported and as called here. */
function importsOf(source: string): Import[] {
  return [
    ...stripComments(source).matchAll(/import\s+(?:type\s+)?\{([^}]*)\}\s*from\s*"([^"]+)"/g),
  ].map((m) => ({
    from: m[2] ?? "",
    names: namesIn(m[1] ?? "").map(([imported, local]) => ({ imported, local })),
  }));
}

/** The names of an import or export list (`a, type B, c as d`): each as [declared, as given]. */
function namesIn(list: string): Array<[string, string]> {
  return list
    .split(",")
    .map((name) =>
      name
        .trim()
        .replace(/^type\s+/, "")
        .split(/\s+as\s+/),
    )
    .filter(([name]) => name)
    .map(([name = "", as]) => [name, as ?? name]);
}

/** The file (from the root) a relative import of `file` names; undefined for a package's. */
function resolveImport(file: string, from: string): string | undefined {
  if (!from.startsWith(".")) return undefined;
  const path = relative(root, resolve(root, dirname(file), from));
  return existsSync(join(root, path)) ? path : undefined;
}

const declaration =
  /^(?:export\s+)?(?:async\s+)?(?:function|const|let|type|class|interface)\s+(\w+)/gm;

/** A source's top-level declarations by name, each its own text, comments left out. */
function declarations(source: string): Map<string, string> {
  const code = stripComments(source);
  const starts = [...code.matchAll(declaration)];
  return new Map(
    starts.map((m, i) => [
      m[1] ?? "",
      code.slice(m.index, i + 1 < starts.length ? starts[i + 1]?.index : code.length),
    ]),
  );
}

/** What a source's relative imports bring in, by local name, as `<file> <name>`. */
function relativeImports(file: string, source: string): Map<string, string> {
  const imported = new Map<string, string>();
  for (const { from, names } of importsOf(source)) {
    const path = resolveImport(file, from);
    if (path) for (const name of names) imported.set(name.local, `${path} ${name.imported}`);
  }
  return imported;
}

/**
 * The tables each declaration names, as `<file> <name>`, with those of the declarations it
 * uses: its file's own (a private helper, a shared fragment) and those it imports by a relative
 * path (memberships' lock takes the tenants module's, webhook deliveries' fan-out the event
 * log's dispatch). Read from the table modules and every file they import so, and on.
 */
const declarationTables = (() => {
  const texts = new Map<string, string>();
  const uses = new Map<string, string[]>();
  const files = [...tableModules.values()];
  for (let i = 0; i < files.length; i++) {
    const file = files[i] ?? "";
    const src = readFileSync(join(root, file), "utf8");
    const own = declarations(src);
    const imported = relativeImports(file, src);
    for (const key of imported.values()) {
      const path = key.split(" ")[0] ?? "";
      if (!files.includes(path)) files.push(path);
    }
    const names = new Map([
      ...[...own.keys()].map((name) => [name, `${file} ${name}`] as const),
      ...imported,
    ]);
    for (const [name, text] of own) {
      texts.set(`${file} ${name}`, text);
      uses.set(
        `${file} ${name}`,
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

/** The tables a table module's declaration names, with what it uses (see above). */
function tablesOf(module: string, name: string): Set<string> | undefined {
  return declarationTables.get(`${tableModules.get(module)} ${name}`);
}

/** Every table a module names anywhere: what an import of a name it does not declare is held to. */
const moduleTables = new Map(
  [...tableModules].map(([module, path]) => [
    module,
    tablesNamed(readFileSync(join(root, path), "utf8")),
  ]),
);

/**
 * The names the package's index (`@oryn/shared`) exports from a table module: the event log's
 * functions reach the services so. As `<exported name>` to `<module> <name>`.
 */
function indexExports(index: string): Map<string, { module: string; name: string }> {
  const file = "packages/shared/src/index.ts";
  const exported = new Map<string, { module: string; name: string }>();
  for (const m of stripComments(index).matchAll(/export\s+(\*|\{[^}]*\})\s*from\s*"([^"]+)"/g)) {
    const path = resolveImport(file, m[2] ?? "");
    const module = path && moduleNames.get(path);
    if (!path || !module) continue;
    const names =
      m[1] === "*"
        ? [
            ...readFileSync(join(root, path), "utf8").matchAll(
              /^export\s+(?:async\s+)?(?:function|const|let|type|class|interface)\s+(\w+)/gm,
            ),
          ].map((d) => [d[1] ?? "", d[1] ?? ""] as const)
        : namesIn((m[1] ?? "").slice(1, -1)).map(([name, as]) => [as, name] as const);
    for (const [as, name] of names) exported.set(as, { module, name });
  }
  return exported;
}

const fromIndex = indexExports(readFileSync(join(root, "packages/shared/src/index.ts"), "utf8"));

/** The table modules a source imports from, by module name, each with the names it imports. */
function tableModulesImported(source: string): Array<{ module: string; names: string[] }> {
  return importsOf(source).flatMap(
    ({ from, names }): Array<{ module: string; names: string[] }> => {
      const table = /^@oryn\/shared\/control-plane\/tables\/([\w-]+)$/.exec(from)?.[1];
      if (table) return [{ module: table, names: names.map((n) => n.imported) }];
      if (from === "@oryn/shared/events/event-log") {
        return [{ module: "event-log", names: names.map((n) => n.imported) }];
      }
      if (from !== "@oryn/shared") return [];
      return names.flatMap(({ imported }) => {
        const found = fromIndex.get(imported);
        return found ? [{ module: found.module, names: [found.name] }] : [];
      });
    },
  );
}

type Violation = { file: string; module: string; table: string };

/** Each import of a table module whose tables `role` is not granted. */
function violations(role: string, files: Array<{ file: string; source: string }>): Violation[] {
  const granted = (grants as Record<string, Record<string, readonly string[]>>)[role] ?? {};
  return files.flatMap(({ file, source }) =>
    tableModulesImported(source).flatMap(({ module, names }) => {
      const all = moduleTables.get(module);
      if (!all) return [{ file, module, table: "(no such table module)" }];
      // A name the module does not declare (a re-export) is held to every table the module names.
      const tables = new Set(names.flatMap((name) => [...(tablesOf(module, name) ?? all)]));
      return [...tables]
        .filter((table) => !granted[table])
        .map((table) => ({ file, module, table }));
    }),
  );
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
    const files = sourceFiles(`services/${service}/src`).map((file) => ({
      file,
      source: readFileSync(join(root, file), "utf8"),
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
    expect(tablesOf("memberships", "lockMemberships")).toEqual(new Set(["memberships", "tenants"]));
    // The operator's tenant list reads through a fragment of its module.
    expect(tablesOf("tenants", "listOperatorTenants")).toEqual(
      new Set(["tenants", "database_servers"]),
    );
    // The webhooks' fan-out marks events dispatched through the event log's statement.
    expect(tablesOf("webhook-deliveries", "oweDeliveriesOfNewEvents")).toContain("events");
  });

  it("follow relative imports from any file, and read joins and comments as the other test", () => {
    const file = `${tablesDir}/made-up.ts`;
    const source = [
      'import { dispatchNewEvents as dispatch } from "../../events/event-log.ts";',
      "export function owe(sql: Sql) {",
      "  /* Reads from users, in prose. */ // and from memberships",
      `  return sql\`with d as (\${dispatch(sql, 1)})`,
      "    select 1 from d JOIN tenants t on t.id = d.tenant_id`;",
      "}",
    ].join("\n");
    expect(relativeImports(file, source)).toEqual(
      new Map([["dispatch", `${eventLog} dispatchNewEvents`]]),
    );
    expect(tablesNamed(declarations(source).get("owe") ?? "")).toEqual(new Set(["tenants"]));
  });

  it("check the event log's functions imported through the package's index", () => {
    expect(fromIndex.get("appendEvents")).toEqual({ module: "event-log", name: "appendEvents" });
    expect(fromIndex.get("requestTenantDeletion")).toBeUndefined();
    const source = `import {\n  appendEvents,\n  type Sql,\n} from "@oryn/shared";`;
    // The webhooks' role may mark events dispatched but not number them.
    expect(violations("oryn_webhooks", [{ file: "h.ts", source }])).toEqual([
      { file: "h.ts", module: "event-log", table: "event_sequences" },
    ]);
    expect(violations("oryn_workspace", [{ file: "w.ts", source }])).toEqual([]);
    const direct = `import { listEventsAfter } from "@oryn/shared/events/event-log";`;
    expect(violations("oryn_mailer", [{ file: "m.ts", source: direct }])).toEqual([
      { file: "m.ts", module: "event-log", table: "events" },
    ]);
    expect(
      violations("oryn_mailer", [
        { file: "m.ts", source: 'import { isUuid } from "@oryn/shared";' },
      ]),
    ).toEqual([]);
  });
});
