import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";

/**
 * Each control-plane table's queries live in one module (docs/design.md, "Data"): a statement
 * that inserts into, updates or deletes from a table is written in that table's module and
 * nowhere else, so what is done to a table is read in one file and a change to its columns is
 * made there. A module's query may read other tables (a join, an `exists`), so a read is held
 * only to be in some table module. This reads the services' and the shared package's source,
 * not the tests, the test kit or the bench, which set up and inspect rows as the database's owner.
 *
 * One exception, stated: the tenant deletion (the cascade), which removes a tenant's rows from
 * every table that holds them in one transaction, in foreign-key order, and so names them all.
 * It may not touch `tenants` or `audit_events` itself (their modules hold the status changes and
 * the audit rows), and the last test here holds it complete: a new table with a `tenant_id` is
 * either emptied by the cascade or named below as kept, with the reason.
 */
const root = join(import.meta.dirname, "../../..");
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

/** The tenant deletion's files: they may empty any table of a tenant's rows (see above). */
const cascadeFiles = [
  "services/provisioner/src/deletion/delete-tenant.ts",
  "packages/shared/src/control-plane/tenant-deletion.ts",
];
/** Tables the cascade does not touch: their modules hold what deletion does to them. */
const notInCascade = ["tenants", "audit_events"];

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

const schemaText = readFileSync(join(root, "packages/shared/src/control-plane/schema.ts"), "utf8");
const rowTypes = schemaText.split("export const grants")[0] ?? "";
const tableNames = [...rowTypes.matchAll(/^ {2}(\w+): \{$/gm)].map((m) => m[1] ?? "");
const tenantScoped = [...rowTypes.matchAll(/^ {2}(\w+): \{\n((?: {4}.*\n)*?) {2}\};/gm)]
  .filter((m) => /^ {4}tenantId: /m.test(m[2] ?? ""))
  .map((m) => m[1] ?? "");

type Statement = { file: string; line: number; table: string; writes: boolean; text: string };

/** The statements in a source naming a control-plane table as what they read or change. */
function statements(file: string, source: string): Statement[] {
  const found: Statement[] = [];
  source.split("\n").forEach((text, index) => {
    const trimmed = text.trim();
    // Comments speak of tables in prose ("reads from tenants"); only code counts.
    if (trimmed.startsWith("//") || trimmed.startsWith("*") || trimmed.startsWith("/*")) return;
    for (const match of text.matchAll(/\b(delete\s+from|from|into|update)\s+([a-z_]+)\b/g)) {
      const table = match[2] ?? "";
      if (!tableNames.includes(table)) continue;
      const writes = match[1] !== "from";
      found.push({ file, line: index + 1, table, writes, text: trimmed });
    }
  });
  return found;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(join(root, dir), { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith(".ts"))
    .map((entry) => relative(root, join(entry.parentPath, entry.name)));
}

const scanned = [
  ...readdirSync(join(root, "services")).map((service) => `services/${service}/src`),
  "packages/shared/src",
].flatMap(sourceFiles);
const all = scanned.flatMap((file) => statements(file, readFileSync(join(root, file), "utf8")));

describe("control-plane queries", () => {
  it("name every table and an existing module for each", () => {
    expect(tableNames.length).toBeGreaterThan(30);
    expect(Object.keys(tableModules).sort()).toEqual([...tableNames].sort());
    for (const module of new Set(Object.values(tableModules))) {
      expect(scanned, `${module} does not exist`).toContain(module);
    }
  });

  it("change a table only in its module, and read only in table modules (the cascade apart)", () => {
    const modules = new Set(Object.values(tableModules));
    const astray = all.filter((s) => {
      if (cascadeFiles.includes(s.file) && !notInCascade.includes(s.table)) return false;
      return s.writes ? s.file !== tableModules[s.table] : !modules.has(s.file);
    });
    expect(astray.map((s) => `${s.file}:${s.line} ${s.table}: ${s.text}`)).toEqual([]);
  });

  it("are found by this check, which would see a query written elsewhere", () => {
    const source = "const rows = await sql`\n  select id from tenants where status = 'ready'`;";
    expect(statements("elsewhere.ts", source)).toEqual([
      expect.objectContaining({ table: "tenants", line: 2, writes: false }),
    ]);
    expect(statements("elsewhere.ts", "await tx`delete from memberships where id = $1`;")).toEqual([
      expect.objectContaining({ table: "memberships", writes: true }),
    ]);
    expect(statements("elsewhere.ts", "// reads from tenants, in prose")).toEqual([]);
  });

  it("empty every table of a deleted tenant's rows, but those kept by design", () => {
    expect(tenantScoped.length).toBeGreaterThan(20);
    const cascade = cascadeFiles.map((file) => readFileSync(join(root, file), "utf8")).join("\n");
    // Rows go by `delete from <table>`, or by a foreign key from a parent the cascade deletes.
    const emptied = new Set(
      [...cascade.matchAll(/delete from ([a-z_]+)/g)].map((m) => m[1] ?? "").filter(Boolean),
    );
    const cascadeChildren: Record<string, string> = {
      scim_group_members: "scim_groups",
      sso_flows: "sso_connections",
      sso_codes: "sso_connections",
      webhook_deliveries: "webhook_endpoints",
      webhook_attempts: "webhook_endpoints",
    };
    const left = tenantScoped.filter((table) => {
      if (keptOnDeletion[table]) return false;
      const parent = cascadeChildren[table];
      return !emptied.has(table) && !(parent && emptied.has(parent));
    });
    expect(left).toEqual([]);
  });
});
