import { testRun } from "@oryn/testing/context";
import { afterAll, describe, expect, it } from "vitest";
import { connect } from "../src/database.ts";

const run = testRun();
const sql = connect(run.controlPlaneUrl, { max: 1 });
afterAll(() => sql.end());

/** Runs `statement` as `role` inside a transaction that is rolled back; returns the SQLSTATE. */
async function as(role: string, statement: string): Promise<string | undefined> {
  try {
    await sql.begin(async (tx) => {
      await tx`select set_config('role', ${role}, true)`;
      await tx.unsafe(statement);
      throw new Error("rollback");
    });
  } catch (error) {
    const code = (error as { code?: string }).code;
    return code ?? undefined;
  }
  return undefined;
}

/** Tables the provisioner empties of a deleted tenant's rows, granted since 0024. */
const deletedWithTenant = [
  "sessions",
  "mfa_challenges",
  "webhook_endpoints",
  "events",
  "event_outbox_marks",
];

describe("control-plane service roles", () => {
  const cases: Array<[string, string, "allowed" | "denied"]> = [
    ["oryn_workspace", "select status from tenants", "allowed"],
    ["oryn_workspace", "select password_hash from users", "denied"],
    ["oryn_workspace", "update tenants set status = 'active'", "denied"],
    ["oryn_workspace", "select * from refresh_tokens", "denied"],
    [
      "oryn_billing",
      "insert into stripe_events (id, type, payload) values ('evt_x', 't', '{}')",
      "allowed",
    ],
    ["oryn_billing", "select * from tenants", "denied"],
    ["oryn_billing", "select * from users", "denied"],
    ["oryn_provisioner", "update tenants set provisioning_step = 'x' where false", "allowed"],
    ["oryn_provisioner", "select * from users", "denied"],
    ["oryn_provisioner", "delete from tenants where false", "denied"],
    ["oryn_gateway", "select password_hash from users", "allowed"],
    ["oryn_gateway", "update refresh_tokens set revoked_at = now() where false", "allowed"],
    ["oryn_gateway", "select * from stripe_events", "denied"],
    // Since 0009 the gateway marks a tenant deleting, and changes nothing else of the row.
    [
      "oryn_gateway",
      "update tenants set status = 'deleting', delete_after = now() where false",
      "allowed",
    ],
    ["oryn_gateway", "update tenants set plan = 'business' where false", "denied"],
    ["oryn_gateway", "update tenants set deletion_started_at = now() where false", "denied"],
    ["oryn_gateway", "update tenant_exports set status = 'ready' where false", "denied"],
    ["oryn_provisioner", "delete from api_keys where false", "allowed"],
    // A deleted tenant's domains and SSO connections go with it (0022); nothing more.
    ["oryn_provisioner", "delete from tenant_domains where false", "allowed"],
    ["oryn_provisioner", "delete from sso_connections where false", "allowed"],
    ["oryn_provisioner", "update sso_connections set enforce = false where false", "denied"],
    ["oryn_provisioner", "update memberships set role = 'owner' where false", "denied"],
    // Its sessions, challenges, webhook endpoints and event log too (0024), by tenant: deleted,
    // never read nor changed.
    ...deletedWithTenant.map((table): [string, string, "allowed"] => [
      "oryn_provisioner",
      `delete from ${table} where tenant_id = '00000000-0000-0000-0000-000000000000'`,
      "allowed",
    ]),
    ["oryn_provisioner", "select ip, user_agent from sessions", "denied"],
    ["oryn_provisioner", "select data from events", "denied"],
    ["oryn_provisioner", "select url from webhook_endpoints", "denied"],
    ["oryn_provisioner", "update sessions set ended_at = now() where false", "denied"],
    // Its event counter is sealed, not deleted: the provisioner writes the seal and nothing else.
    [
      "oryn_provisioner",
      "insert into event_sequences (tenant_id, sealed_at) select id, now() from tenants where false on conflict (tenant_id) do update set sealed_at = coalesce(event_sequences.sealed_at, excluded.sealed_at)",
      "allowed",
    ],
    ["oryn_provisioner", "update event_sequences set last = 0 where false", "denied"],
    ["oryn_provisioner", "delete from event_sequences where false", "denied"],
    ["oryn_provisioner", "delete from audit_events where false", "denied"],
    ["oryn_gateway", "delete from users where false", "denied"],
    // Since 0011 the gateway reads the audit for tenants' security logs; it never rewrites it.
    ["oryn_gateway", "select * from audit_events", "allowed"],
    ["oryn_gateway", "update audit_events set action = 'x' where false", "denied"],
    ["oryn_gateway", "delete from audit_events where false", "denied"],
    // Account flows (0011): a user's name, address, password and verification, nothing else.
    [
      "oryn_gateway",
      "update users set password_hash = 'x', email_verified_at = now() where false",
      "allowed",
    ],
    ["oryn_gateway", "update users set created_at = now() where false", "denied"],
    ["oryn_gateway", "update account_tokens set used_at = now() where false", "allowed"],
    // Tokens long expired are pruned by the gateway as it mints new ones.
    ["oryn_gateway", "delete from account_tokens where false", "allowed"],
    ["oryn_gateway", "truncate account_tokens", "denied"],
    ["oryn_workspace", "select * from account_tokens", "denied"],
    // Idempotency keys (0012): the gateway's and billing's, not workspace's (it has its own).
    ["oryn_billing", "delete from idempotency_keys where false", "allowed"],
    ["oryn_workspace", "select * from idempotency_keys", "denied"],
    // The reclaim of unverified tenants (0013) reads whether a user is verified, nothing more.
    ["oryn_provisioner", "select id, email_verified_at from users", "allowed"],
    ["oryn_provisioner", "select password_hash from users", "denied"],
    ["oryn_gateway", "delete from memberships where false", "allowed"],
    ["oryn_gateway", "update api_keys set last_used_at = now() where false", "allowed"],
    ["oryn_gateway", "update api_keys set role = 'owner' where false", "denied"],
    ["oryn_gateway", "update api_keys set key_hash = '' where false", "denied"],
    ["oryn_gateway", "delete from invitations where false", "denied"],
    ["oryn_gateway", "update access_revocations set min_version = 0 where false", "denied"],
    ["oryn_workspace", "select * from api_keys", "denied"],
    ["oryn_workspace", "select * from invitations", "denied"],
    ["oryn_billing", "select * from api_keys", "denied"],
  ];
  it.each(cases)("%s: %s is %s", async (role, statement, expected) => {
    // 42501: insufficient_privilege. Allowed statements reach the rollback without an error code.
    const code = await as(role, statement);
    expect(code).toBe(expected === "denied" ? "42501" : undefined);
  });
});
