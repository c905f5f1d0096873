import type { Sql } from "../database.ts";

/**
 * The text of `schema.ts`, read from a migrated control-plane database: one row type per table
 * (columns camelCased, as our pools return them, typed as postgres.js parses them) and the
 * privileges each service role holds. `pnpm db:types` writes it; a test fails while the committed
 * file differs, so the types cannot drift from the migrations.
 */
export async function controlPlaneSchemaSource(sql: Sql): Promise<string> {
  const columns = await sql<
    { table: string; column: string; type: string; nullable: boolean; array: boolean }[]
  >`
    select c.relname as table, a.attname as column, t.typname as type,
           not a.attnotnull as nullable, t.typcategory = 'A' as array
    from pg_attribute a
    join pg_class c on c.oid = a.attrelid
    join pg_type t on t.oid = a.atttypid
    where c.relnamespace = 'public'::regnamespace and c.relkind = 'r' and a.attnum > 0
      and not a.attisdropped and c.relname <> 'schema_migrations'
    order by c.relname, a.attnum`;
  const checks = await sql<{ table: string; definition: string }[]>`
    select conrelid::regclass::text as table, pg_get_constraintdef(oid) as definition
    from pg_constraint where contype = 'c' and connamespace = 'public'::regnamespace`;
  const grants = await sql<
    { role: string; table: string; privilege: string; column: string | null }[]
  >`
    select g.rolname as role, c.relname as table, lower(p.privilege_type) as privilege,
           null as column
    from pg_class c, aclexplode(c.relacl) p join pg_roles g on g.oid = p.grantee
    where c.relnamespace = 'public'::regnamespace and c.relkind = 'r' and g.rolname like 'oryn\\_%'
    union all
    select g.rolname, c.relname, lower(p.privilege_type), a.attname
    from pg_attribute a join pg_class c on c.oid = a.attrelid, aclexplode(a.attacl) p
    join pg_roles g on g.oid = p.grantee
    where c.relnamespace = 'public'::regnamespace and c.relkind = 'r' and g.rolname like 'oryn\\_%'
      and not a.attisdropped
    order by 1, 2, 3, 4`;

  // `status in ('a', 'b')` checks make literal unions: the row says which values it can hold.
  const literals = new Map<string, string[]>();
  for (const { table, definition } of checks) {
    const match = /^CHECK \(\((\w+) = ANY \(ARRAY\[(.*)\]\)\)\)$/.exec(definition);
    if (!match?.[1] || !match[2]) continue;
    const values = [...match[2].matchAll(/'((?:[^']|'')*)'::text/g)].map((m) => m[1] ?? "");
    literals.set(`${table}.${match[1]}`, values);
  }

  const tables = new Map<string, string[]>();
  for (const column of columns) {
    const values = literals.get(`${column.table}.${column.column}`);
    const type = values
      ? values.map((v) => JSON.stringify(v)).join(" | ")
      : column.array
        ? `${tsType(column.type.replace(/^_/, ""))}[]`
        : tsType(column.type);
    const fields = tables.get(column.table) ?? [];
    fields.push(`  ${camel(column.column)}: ${type}${column.nullable ? " | null" : ""};`);
    tables.set(column.table, fields);
  }

  const privileges = new Map<string, Map<string, string[]>>();
  const columnGrants = new Map<string, string[]>();
  for (const grant of grants) {
    const byTable = privileges.get(grant.role) ?? new Map<string, string[]>();
    privileges.set(grant.role, byTable);
    const list = byTable.get(grant.table) ?? [];
    byTable.set(grant.table, list);
    if (grant.column === null) list.push(grant.privilege);
    else {
      const key = `${grant.role} ${grant.table} ${grant.privilege}`;
      const cols = columnGrants.get(key) ?? [];
      cols.push(grant.column);
      columnGrants.set(key, cols);
    }
  }
  for (const [key, cols] of columnGrants) {
    const [role = "", table = "", privilege = ""] = key.split(" ");
    const list = privileges.get(role)?.get(table) ?? [];
    if (!list.includes(privilege)) list.push(`${privilege} (${cols.sort().join(", ")})`);
  }

  const lines = [
    "// Written by `pnpm db:types` from the migrated control plane: do not edit by hand.",
    "// packages/shared/test/control-plane-schema.test.ts fails while it differs from the database.",
    "",
    "/** Every control-plane table's row, as our pools return it (columns camelCased). */",
    "export type ControlPlaneTables = {",
    ...[...tables].flatMap(([table, fields]) => [
      `  ${table}: {`,
      ...fields.map((f) => `  ${f}`),
      "  };",
    ]),
    "};",
    "",
    "/** One table's row. A query's result is a `Pick` of it: its columns named once, here. */",
    "export type Row<T extends keyof ControlPlaneTables> = ControlPlaneTables[T];",
    "",
    "/**",
    " * What each service's role may do to each table (column lists where the grant is narrower",
    " * than the table): the grants of the migrations, as the database holds them.",
    " */",
    "export const grants = {",
    ...[...privileges]
      .sort(([a], [b]) => a.localeCompare(b))
      .flatMap(([role, byTable]) => [
        `  ${role}: {`,
        ...[...byTable]
          .sort(([a], [b]) => a.localeCompare(b))
          .map(([table, list]) => `    ${table}: ${JSON.stringify(list.sort())},`),
        "  },",
      ]),
    "} as const satisfies Record<string, Partial<Record<keyof ControlPlaneTables, readonly string[]>>>;",
    "",
  ];
  return lines.join("\n");
}

function camel(name: string): string {
  return name.replace(/_(\w)/g, (_, letter: string) => letter.toUpperCase());
}

/** How postgres.js hands back each type we use (int8 and numeric as strings: no precision lost). */
function tsType(pgType: string): string {
  switch (pgType) {
    case "int2":
    case "int4":
    case "float4":
    case "float8":
      return "number";
    case "bool":
      return "boolean";
    case "timestamptz":
    case "timestamp":
    case "date":
      return "Date";
    case "bytea":
      return "Buffer";
    case "json":
    case "jsonb":
      return "unknown";
    case "uuid":
    case "text":
    case "varchar":
    case "citext":
    case "inet":
    case "int8":
    case "numeric":
      return "string";
    default:
      throw new Error(`no TypeScript type for the column type ${pgType}: add it here`);
  }
}
