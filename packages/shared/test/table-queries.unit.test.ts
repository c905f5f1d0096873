import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  root,
  type Statement,
  sourceFiles,
  statements,
  tableNames,
  tenantScoped,
} from "./sql-scan.ts";

/**
 * Each control-plane table's queries live in one module (docs/design.md, "Data"): a statement
 * that inserts into, updates, deletes from or truncates a table is written in that table's module
 * and nowhere else, so what is done to a table is read in one file and a change to its columns is
 * made there. A module's query may read other tables (`from`, a `join`, a `using`, an `exists`),
 * so a read is held only to be in some table module. This reads the services' and the shared
 * package's source (its code: comments are left out), not the tests, the test kit or the bench,
 * which set up and inspect rows as the database's owner.
 *
 * Exceptions, each stated below and nothing wider:
 * - the tenant deletion's cascade (deletion/delete-tenant.ts in the provisioner) may run
 *   `delete from <table> where tenant_id = ${tenantId}`, and nothing else, on any table with a
 *   `tenant_id` that a deleted tenant does not keep: it empties the tenant's rows from every such
 *   table, and so names them all. Its other statements go through the tables' modules. It is not
 *   one transaction: the access (credentials, members, directory, domains, SSO, webhooks) goes in
 *   one, the event log in a later one, after the tenant's database is dropped;
 * - the statements listed in `exceptions`, each with its file, its text and why it is not in its
 *   table's module (the deletion request's revocations: those tables' modules are the gateway's,
 *   and the provisioner asks for deletions too).
 * The last tests hold the cascade complete: a new table with a `tenant_id` is either emptied by
 * it (by such a `delete`, or by an `on delete cascade` foreign key, found in the migrations, to a
 * table it empties) or named below as kept, with the reason.
 */
const tables = "packages/shared/src/control-plane/tables";

/** Where each control-plane table's queries live. A module may hold a table and its children. */
const tableModules: Record<string, string> = {
  access_revocations: "services/gateway/src/access/revocations.ts",
  account_tokens: "services/gateway/src/accounts/account-tokens.ts",
  api_keys: `${tables}/api-keys.ts`,
  audit_events: `${tables}/audit-events.ts`,
  billing_accounts: "services/billing/src/accounts/billing-accounts.ts",
  database_servers: `${tables}/database-servers.ts`,
  event_outbox_marks: "services/workspace/src/events/relay.ts",
  event_sequences: "packages/shared/src/events/event-log.ts",
  events: "packages/shared/src/events/event-log.ts",
  fleet_migration_runs: "services/provisioner/src/fleet/runs.ts",
  idempotency_keys: "packages/shared/src/control-plane/idempotency.ts",
  invitations: `${tables}/invitations.ts`,
  memberships: `${tables}/memberships.ts`,
  mfa_challenges: "services/gateway/src/mfa/challenges.ts",
  pending_signups: "services/gateway/src/signup/pending-signups.ts",
  recovery_codes: "services/gateway/src/mfa/factors.ts",
  refresh_tokens: "services/gateway/src/tokens/refresh-tokens.ts",
  scim_group_members: "services/gateway/src/scim/scim-groups.ts",
  scim_groups: "services/gateway/src/scim/scim-groups.ts",
  scim_tokens: "services/gateway/src/scim/scim-tokens.ts",
  scim_users: "services/gateway/src/scim/scim-users.ts",
  sessions: "services/gateway/src/sessions/sessions.ts",
  spare_databases: "services/provisioner/src/spares/spare-databases.ts",
  sso_codes: "services/gateway/src/sso/sign-in-codes.ts",
  sso_connections: "services/gateway/src/sso/sso-connections.ts",
  sso_flows: "services/gateway/src/sso/sso-flows.ts",
  sso_group_roles: "services/gateway/src/sso/group-roles.ts",
  sso_seen_assertions: "services/gateway/src/sso/seen-assertions.ts",
  stripe_events: "services/billing/src/events/stripe-events.ts",
  tenant_domains: "services/gateway/src/domains/tenant-domains.ts",
  tenant_exports: `${tables}/tenant-exports.ts`,
  tenants: `${tables}/tenants.ts`,
  totp_factors: "services/gateway/src/mfa/factors.ts",
  users: `${tables}/users.ts`,
  webhook_attempts: `${tables}/webhook-deliveries.ts`,
  webhook_deliveries: `${tables}/webhook-deliveries.ts`,
  webhook_endpoints: `${tables}/webhook-endpoints.ts`,
};

/** The tenant deletion's cascade: the one file that may empty a tenant's rows from any table. */
const cascadeFile = "services/provisioner/src/deletion/delete-tenant.ts";
/** What the cascade may write outside a table's module: all of a tenant's rows, and only that. */
const cascadeDelete = /^delete from ([a-z_]+) where tenant_id = \$\{tenantId\}$/i;

/**
 * Tables with a `tenant_id` that a deleted tenant keeps rows in, and why. Every other such
 * table must be emptied of the tenant's rows by the cascade.
 */
const keptOnDeletion: Record<string, string> = {
  access_revocations:
    "they refuse the members' access tokens until those expire; the gateway prunes them by age",
  audit_events: "the control-plane audit log outlives the tenant, by design",
  billing_accounts: "the Stripe customer and the last subscription state are billing records",
  event_sequences: "the counter is sealed when deletion begins, so nothing is appended after",
  spare_databases: "the spare's row records which tenant claimed it; the database goes",
  tenant_exports: "the rows are marked expired and their files removed, as a record",
};

/** The deletion request (runs in the caller's transaction: the gateway's, or the provisioner's). */
const deletionRequest = "packages/shared/src/control-plane/tenant-deletion.ts";

/**
 * Statements written outside their tables' modules: the file, the statement (compared with its
 * spaces collapsed) and why. Every table a listed statement names, read or written, is excused
 * in it alone.
 */
const exceptions: Array<{ file: string; statement: string; why: string }> = [
  {
    file: deletionRequest,
    statement: `
      update refresh_tokens set revoked_at = now()
      where tenant_id = \${tenantId} and revoked_at is null`,
    why: `the request revokes the members' refresh tokens in its transaction; their module
      is the gateway's, and the provisioner (an operator's \`tenants delete\`, the sweep of
      unverified owners' tenants) requests deletions too`,
  },
  {
    file: deletionRequest,
    statement: `
      insert into access_revocations (tenant_id, user_id, min_version)
      select tenant_id, user_id, nextval('membership_versions') from memberships
      where tenant_id = \${tenantId}`,
    why: `every member's access tokens are refused from the request on, and again by the
      cascade's first step for members added since (both call revokeMembersAccessTokens);
      access_revocations' module is the gateway's, and the provisioner requests and runs
      deletions`,
  },
];
const excused = exceptions.map((e) => ({
  ...e,
  statement: e.statement.replace(/\s+/g, " ").trim(),
}));

const scanned = [
  ...readdirSync(join(root, "services")).map((service) => `services/${service}/src`),
  "packages/shared/src",
].flatMap(sourceFiles);
const all = scanned.flatMap((file) => statements(file, readFileSync(join(root, file), "utf8")));
const modules = new Set(Object.values(tableModules));

/** Whether a statement is the cascade's emptying of a table the tenant does not keep. */
function emptiesInCascade(s: Statement): boolean {
  const emptied = cascadeDelete.exec(s.statement)?.[1];
  return (
    s.file === cascadeFile &&
    emptied === s.table &&
    tenantScoped.includes(s.table) &&
    !keptOnDeletion[s.table]
  );
}

/** The statements on a table outside its module, reads outside every module, bar the exceptions. */
function astray(found: Statement[]): string[] {
  return found
    .filter((s) => {
      if (emptiesInCascade(s)) return false;
      if (excused.some((e) => e.file === s.file && e.statement === s.statement)) return false;
      return s.writes ? s.file !== tableModules[s.table] : !modules.has(s.file);
    })
    .map((s) => `${s.file}:${s.line} ${s.table}: ${s.statement}`);
}

/** The tables with a `tenant_id` a cascade of this source leaves rows in, the kept ones apart. */
function leftByCascade(source: string, children: Record<string, string>): string[] {
  const emptied = new Set(
    statements(cascadeFile, source)
      .filter(emptiesInCascade)
      .map((s) => s.table),
  );
  return tenantScoped.filter((table) => {
    if (keptOnDeletion[table]) return false;
    const parent = children[table];
    return !emptied.has(table) && !(parent && emptied.has(parent));
  });
}

/**
 * The `on delete cascade` foreign keys the migrations declare, as `<child> <parent>`: in a
 * `create table`'s columns and constraints, or an `alter table … add … foreign key`.
 */
function cascadingForeignKeys(migrations: string): Set<string> {
  const text = migrations.replace(/--.*$/gm, "");
  const keys = new Set<string>();
  const tablesMade = /create\s+table\s+(?:if\s+not\s+exists\s+)?(\w+)\s*\(([\s\S]*?)\n\s*\)\s*;/gi;
  for (const [, child, body] of text.matchAll(tablesMade)) {
    // The column and constraint definitions: the body's commas outside parentheses.
    let depth = 0;
    let item = "";
    for (const c of `${body},`) {
      if (c === "," && depth === 0) {
        const parent = /\breferences\s+(\w+)\b[\s\S]*?\bon\s+delete\s+cascade\b/i.exec(item)?.[1];
        if (parent) keys.add(`${child} ${parent}`);
        item = "";
        continue;
      }
      if (c === "(") depth++;
      if (c === ")") depth--;
      item += c;
    }
  }
  const added = new RegExp(
    [
      /alter\s+table\s+(?:only\s+)?(\w+)\s+add\s+(?:constraint\s+\w+\s+)?/.source,
      /foreign\s+key\s*\([^)]*\)\s*references\s+(\w+)[^;]*?\bon\s+delete\s+cascade\b/.source,
    ].join(""),
    "gi",
  );
  for (const [, child, parent] of text.matchAll(added)) keys.add(`${child} ${parent}`);
  return keys;
}

const migrationsDir = join(root, "packages/shared/src/migrations/control-plane");
const migrations = readdirSync(migrationsDir)
  .filter((file) => file.endsWith(".sql"))
  .sort()
  .map((file) => readFileSync(join(migrationsDir, file), "utf8"))
  .join("\n");

/** Tables whose rows go with a parent's by an `on delete cascade` foreign key, by parent. */
const cascadeChildren: Record<string, string> = {
  scim_group_members: "scim_groups",
  sso_flows: "sso_connections",
  sso_codes: "sso_connections",
  webhook_deliveries: "webhook_endpoints",
  webhook_attempts: "webhook_endpoints",
};

describe("control-plane queries", () => {
  it("name every table and an existing module for each", () => {
    expect(tableNames.length).toBeGreaterThan(30);
    expect(Object.keys(tableModules).sort()).toEqual([...tableNames].sort());
    for (const module of modules) {
      expect(scanned, `${module} does not exist`).toContain(module);
    }
  });

  it("change a table only in its module, and read only in table modules (exceptions apart)", () => {
    expect(astray(all)).toEqual([]);
  });

  it("list only exceptions still written", () => {
    for (const e of excused) {
      const found = all.filter((s) => s.file === e.file && s.statement === e.statement);
      expect(found.length, `${e.file}: ${e.statement}`).toBeGreaterThan(0);
    }
  });

  it("are found by this check, which would see a query written elsewhere", () => {
    const source = "const rows = await sql`\n  select id from tenants where status = 'ready'`;";
    expect(statements("elsewhere.ts", source)).toEqual([
      expect.objectContaining({ table: "tenants", line: 2, writes: false }),
    ]);
    expect(statements("elsewhere.ts", "await tx`delete from memberships where id = $1`;")).toEqual([
      expect.objectContaining({ table: "memberships", writes: true }),
    ]);
    // Joins and `using` read; case is no disguise; a keyword and its table may be lines apart.
    const joined = "await sql`select 1 from api_keys k JOIN users u on u.id = k.created_by`;";
    expect(statements("elsewhere.ts", joined).map((s) => [s.table, s.writes])).toEqual([
      ["api_keys", false],
      ["users", false],
    ]);
    const using = "await tx`DELETE FROM Sessions s USING tenants t where t.id = s.tenant_id`;";
    expect(statements("elsewhere.ts", using).map((s) => [s.table, s.writes])).toEqual([
      ["sessions", true],
      ["tenants", false],
    ]);
    const split =
      "await tx`\n  delete\n    from invitations where id = 1`;\nawait tx`insert into\n users`;";
    expect(statements("elsewhere.ts", split).map((s) => [s.table, s.writes, s.line])).toEqual([
      ["invitations", true, 2],
      ["users", true, 4],
    ]);
    // Comments speak of tables in prose; a `//` in a string or a regex is no comment.
    expect(statements("elsewhere.ts", "// reads from tenants, in prose")).toEqual([]);
    const comments =
      "/* update tenants\n set */ f(); // delete from users\nconst x = 1; /* from users */";
    expect(statements("elsewhere.ts", comments)).toEqual([]);
    const url = String.raw`const u = "http://x"; const r = /\/\//; sql${"`"}update users${"`"};`;
    expect(statements("elsewhere.ts", url).map((s) => s.table)).toEqual(["users"]);
  });

  it("refuse the cascade anything but emptying a tenant's rows from a table not kept", () => {
    const byTenant = `where tenant_id = \${tenantId}`;
    const cascade = (sql: string) => astray(statements(cascadeFile, `await tx\`${sql}\`;`));
    expect(cascade(`delete from sessions ${byTenant}`)).toEqual([]);
    expect(cascade(`delete from sessions ${byTenant} and id = \${id}`)).toHaveLength(1);
    expect(cascade(`delete from billing_accounts ${byTenant}`)).toHaveLength(1);
    expect(cascade(`delete from tenants ${byTenant}`)).toHaveLength(1);
    expect(cascade(`update tenant_exports set status = 'expired' ${byTenant}`)).toHaveLength(1);
    expect(cascade(`select user_id from memberships ${byTenant}`)).toHaveLength(1);
    // An exception holds for its own file and statement only.
    const [revoke] = excused;
    expect(astray(statements(cascadeFile, `await tx\`${revoke?.statement}\`;`))).toHaveLength(1);
    expect(astray(statements(deletionRequest, `await tx\`${revoke?.statement}\`;`))).toEqual([]);
  });

  it("empty every table of a deleted tenant's rows, but those kept by design", () => {
    expect(tenantScoped.length).toBeGreaterThan(20);
    expect(leftByCascade(readFileSync(join(root, cascadeFile), "utf8"), cascadeChildren)).toEqual(
      [],
    );
    // Only a statement empties: one in a comment, or narrowed to some rows, does not.
    const byTenant = `where tenant_id = \${tenantId}`;
    const deletes = (table: string) => `await tx\`delete from ${table} ${byTenant}\`;`;
    const every = tenantScoped.map(deletes).join("\n");
    expect(leftByCascade(every, {})).toEqual([]);
    const commented = every.replace(deletes("sessions"), `// ${deletes("sessions")}`);
    expect(leftByCascade(commented, {})).toEqual(["sessions"]);
    const narrowed = every.replace(`sessions ${byTenant}`, `sessions ${byTenant} and id = 1`);
    expect(leftByCascade(narrowed, {})).toEqual(["sessions"]);
  });

  it("count on the migrations' foreign keys for rows that go with their parent's", () => {
    const keys = cascadingForeignKeys(migrations);
    for (const [child, parent] of Object.entries(cascadeChildren)) {
      expect(keys, `${child} -> ${parent} on delete cascade`).toContain(`${child} ${parent}`);
    }
    // A key without `on delete cascade` keeps the child's rows, and is not counted.
    expect(
      cascadingForeignKeys("create table a (\n  b_id uuid references b (id),\n  c int\n);"),
    ).toEqual(new Set());
    expect(
      cascadingForeignKeys("create table a (\n  b_id uuid references b (id) on delete cascade\n);"),
    ).toEqual(new Set(["a b"]));
    const altered =
      "alter table a add constraint a_b foreign key (b_id)\n  references b (id) on delete cascade;";
    expect(cascadingForeignKeys(altered)).toEqual(new Set(["a b"]));
    expect(keys).not.toContain("sessions memberships");
  });
});
