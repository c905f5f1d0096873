/**
 * The deletion job against real PostgreSQL, in-process: crash in the middle and run again, a
 * restored tenant's job does nothing, a tenant not yet due is left alone, two deleters at once,
 * the sweep finds a tenant whose job was lost. On a control plane and template of this file's
 * own, so no other file's provisioner sweep finishes a deletion this file is looking at.
 */
import { randomUUID } from "node:crypto";
import { appendEvents, connect, requestTenantDeletion, type Sql } from "@oryn/shared";
import { findTenant } from "@oryn/shared/control-plane/tables/tenants";
import { isolatedRun } from "@oryn/testing/isolated-run";
import { whileHolding } from "@oryn/testing/row-locks";
import { activeTenant, countTenantObjects, provisioningDeps } from "@oryn/testing/tenants";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type DeletionDeps,
  deleteDueTenants,
  deleteTenant,
} from "../src/deletion/delete-tenant.ts";
import { restoreTenant } from "../src/deletion/restore-tenant.ts";

let run: Awaited<ReturnType<typeof isolatedRun>>;
let deps: ReturnType<typeof provisioningDeps>;
let cp: Sql;

beforeAll(async () => {
  run = await isolatedRun("deletion");
  deps = provisioningDeps(run);
  cp = deps.controlPlane;
});

afterAll(async () => {
  await deps?.close();
  await run?.drop();
});

const requester = { actorId: null, requestId: null, ip: null, via: "operator" as const };

/**
 * An active tenant with a member, an API key, an invitation and a refresh token, a session and an
 * MFA challenge, a directory, a domain and an SSO connection, a webhook endpoint with a delivery
 * and its attempt, and an event log with its outbox mark.
 */
async function populatedTenant(): Promise<{ tenantId: string; userId: string }> {
  const tenantId = await activeTenant(deps);
  const userId = randomUUID();
  await cp`insert into users (id, email, name, password_hash)
           values (${userId}, ${`u-${userId.slice(0, 8)}@example.test`}, 'U', 'x')`;
  await cp`insert into memberships (tenant_id, user_id, role) values (${tenantId}, ${userId}, 'owner')`;
  await cp`insert into api_keys (id, tenant_id, name, role, key_hash, key_prefix, created_by)
           values (${randomUUID()}, ${tenantId}, 'k', 'member', ${Buffer.from(randomUUID())}, 'oryn_x', ${userId})`;
  await cp`insert into invitations (id, tenant_id, email, role, token_hash, invited_by, expires_at)
           values (${randomUUID()}, ${tenantId}, 'x@example.test', 'member', ${Buffer.from(randomUUID())}, ${userId}, now() + interval '1 day')`;
  await cp`insert into refresh_tokens (id, family_id, tenant_id, user_id, token_hash, expires_at)
           values (${randomUUID()}, ${randomUUID()}, ${tenantId}, ${userId}, ${Buffer.from(randomUUID())}, now() + interval '1 day')`;
  // What a directory (SCIM) provisioned, and its token and group mapping.
  await cp`insert into scim_tokens (id, tenant_id, token_hash, token_prefix)
           values (${randomUUID()}, ${tenantId}, ${Buffer.from(randomUUID())}, 'oryn_scim_x')`;
  await cp`insert into scim_users (tenant_id, user_id, user_name) values (${tenantId}, ${userId}, 'u')`;
  const groupId = randomUUID();
  await cp`insert into scim_groups (id, tenant_id, display_name) values (${groupId}, ${tenantId}, 'G')`;
  await cp`insert into scim_group_members (tenant_id, group_id, user_id) values (${tenantId}, ${groupId}, ${userId})`;
  await cp`insert into sso_group_roles (tenant_id, group_name, role) values (${tenantId}, 'G', 'admin')`;
  // A verified domain and an enforcing SSO connection, with a flow and a code under way.
  const connectionId = randomUUID();
  await cp`insert into tenant_domains (id, tenant_id, domain, txt_token, status, verified_at)
           values (${randomUUID()}, ${tenantId}, ${`d-${tenantId.slice(0, 8)}.example.test`}, 't', 'verified', now())`;
  await cp`insert into sso_connections (id, tenant_id, type, enforce, oidc_issuer, oidc_client_id,
                                        oidc_client_secret_ciphertext)
           values (${connectionId}, ${tenantId}, 'oidc', true, 'https://idp.example.test', 'c', ${Buffer.from("x")})`;
  await cp`insert into sso_flows (id, tenant_id, connection_id, redirect_uri, expires_at)
           values (${randomUUID().replaceAll("-", "")}, ${tenantId}, ${connectionId}, 'https://app.example.test/cb', now() + interval '1 minute')`;
  await cp`insert into sso_codes (code_hash, tenant_id, user_id, connection_id, expires_at)
           values (${Buffer.from(randomUUID())}, ${tenantId}, ${userId}, ${connectionId}, now() + interval '1 minute')`;
  // A session (where the member signed in from) and a second factor under way.
  await cp`insert into sessions (id, tenant_id, user_id, user_agent, ip)
           values (${randomUUID()}, ${tenantId}, ${userId}, 'Mozilla/5.0', '203.0.113.7')`;
  await cp`insert into mfa_challenges (id, token_hash, user_id, tenant_id, expires_at)
           values (${randomUUID()}, ${Buffer.from(randomUUID())}, ${userId}, ${tenantId}, now() + interval '5 minutes')`;
  // The event log (a payload naming the member), and a webhook endpoint with a delivery of it.
  const eventId = randomUUID();
  await cp.begin((tx) =>
    appendEvents(tx, tenantId, [
      { id: eventId, type: "member.added", data: { userId, email: "m@example.test" } },
    ]),
  );
  await cp`insert into event_outbox_marks (tenant_id) values (${tenantId})`;
  const endpointId = randomUUID();
  await cp`insert into webhook_endpoints (id, tenant_id, url, events, secret_ciphertext)
           values (${endpointId}, ${tenantId}, 'https://hooks.example.test/in', ${["*"]}, ${Buffer.from("x")})`;
  const [delivery] = await cp<{ id: string }[]>`
    insert into webhook_deliveries (tenant_id, endpoint_id, event_id, reason)
    values (${tenantId}, ${endpointId}, ${eventId}, 'event') returning id`;
  await cp`insert into webhook_attempts (tenant_id, endpoint_id, delivery_id, event_id, event_type,
                                         attempt, status, duration_ms)
           values (${tenantId}, ${endpointId}, ${delivery?.id ?? null}, ${eventId}, 'member.added', 1, 'failed', 5)`;
  return { tenantId, userId };
}

async function controlPlaneRows(tenantId: string) {
  const [row] = await cp<Record<string, number>[]>`
    select (select count(*)::int from memberships where tenant_id = ${tenantId}) as memberships,
           (select count(*)::int from api_keys where tenant_id = ${tenantId}) as api_keys,
           (select count(*)::int from invitations where tenant_id = ${tenantId}) as invitations,
           (select count(*)::int from refresh_tokens where tenant_id = ${tenantId}) as refresh_tokens,
           (select count(*)::int from scim_tokens where tenant_id = ${tenantId})
             + (select count(*)::int from scim_users where tenant_id = ${tenantId})
             + (select count(*)::int from scim_groups where tenant_id = ${tenantId})
             + (select count(*)::int from scim_group_members where tenant_id = ${tenantId})
             + (select count(*)::int from sso_group_roles where tenant_id = ${tenantId}) as directory,
           (select count(*)::int from tenant_domains where tenant_id = ${tenantId})
             + (select count(*)::int from sso_connections where tenant_id = ${tenantId})
             + (select count(*)::int from sso_flows where tenant_id = ${tenantId})
             + (select count(*)::int from sso_codes where tenant_id = ${tenantId}) as sso,
           (select count(*)::int from sessions where tenant_id = ${tenantId})
             + (select count(*)::int from mfa_challenges where tenant_id = ${tenantId}) as sessions,
           (select count(*)::int from webhook_endpoints where tenant_id = ${tenantId})
             + (select count(*)::int from webhook_deliveries where tenant_id = ${tenantId})
             + (select count(*)::int from webhook_attempts where tenant_id = ${tenantId}) as webhooks,
           (select count(*)::int from events where tenant_id = ${tenantId})
             + (select count(*)::int from event_outbox_marks where tenant_id = ${tenantId}) as event_log,
           (select count(*)::int from event_sequences
            where tenant_id = ${tenantId} and sealed_at is null) as unsealed_counter`;
  return row;
}

const auditActions = async (tenantId: string) =>
  (
    await cp<{ action: string }[]>`
      select action from audit_events where tenant_id = ${tenantId} order by id`
  ).map((row) => row.action);

describe("deleteTenant", () => {
  it("finishes after a crash between dropping the database and dropping the role", async () => {
    const { tenantId, userId } = await populatedTenant();
    const other = await populatedTenant();
    const othersRows = await controlPlaneRows(other.tenantId);
    await cp.begin((tx) => requestTenantDeletion(tx, tenantId, { graceSeconds: 0, requester }));
    const crashing: DeletionDeps = {
      ...deps,
      beforeDeletionStep: (step) => {
        if (step === "drop_role") throw new Error("crash at drop_role");
      },
    };
    await expect(deleteTenant(crashing, tenantId)).rejects.toThrow("crash at drop_role");
    // Half done: the database is gone, the role and the status are not.
    expect(await countTenantObjects(deps.admin, tenantId)).toEqual({ databases: 0, roles: 1 });
    expect((await findTenant(cp, tenantId))?.status).toBe("deleting");
    // A restore now would give back a tenant without data: refused.
    expect(
      (
        await restoreTenant({ controlPlane: cp, logger: deps.logger }, tenantId, {
          requestId: null,
        })
      ).outcome,
    ).toBe("deletion_started");

    expect(await deleteTenant(deps, tenantId)).toBe("deleted");
    expect(await countTenantObjects(deps.admin, tenantId)).toEqual({ databases: 0, roles: 0 });
    expect((await findTenant(cp, tenantId))?.status).toBe("deleted");
    expect(await controlPlaneRows(tenantId)).toEqual({
      memberships: 0,
      apiKeys: 0,
      invitations: 0,
      refreshTokens: 0,
      directory: 0,
      sso: 0,
      sessions: 0,
      webhooks: 0,
      eventLog: 0,
      unsealedCounter: 0,
    });
    // Its counter is sealed: an append after the deletion (a relay that had read the outbox
    // before the database went) records nothing.
    expect(
      await cp.begin((tx) => appendEvents(tx, tenantId, [{ type: "project.created", data: {} }])),
    ).toBe(0);
    expect((await controlPlaneRows(tenantId))?.eventLog).toBe(0);
    // Another tenant's rows, in every one of those tables, are untouched.
    expect(othersRows).toEqual({
      memberships: 1,
      apiKeys: 1,
      invitations: 1,
      refreshTokens: 1,
      directory: 5,
      sso: 4,
      sessions: 2,
      webhooks: 3,
      eventLog: 2,
      unsealedCounter: 1,
    });
    expect(await controlPlaneRows(other.tenantId)).toEqual(othersRows);
    // Users stay (they may belong to other tenants); the control-plane audit trail stays.
    expect((await cp`select 1 from users where id = ${userId}`).length).toBe(1);
    expect(await auditActions(tenantId)).toEqual(["tenant_deletion_requested", "tenant_deleted"]);
    // A third run (a duplicate job) changes nothing and audits nothing twice.
    expect(await deleteTenant(deps, tenantId)).toBe("already_deleted");
    expect(await auditActions(tenantId)).toEqual(["tenant_deletion_requested", "tenant_deleted"]);
    expect(
      (
        await restoreTenant({ controlPlane: cp, logger: deps.logger }, tenantId, {
          requestId: null,
        })
      ).outcome,
    ).toBe("deleted");
  });

  it("waits for an append to the event log in flight, and deletes what it appended", async () => {
    const { tenantId } = await populatedTenant();
    await cp.begin((tx) => requestTenantDeletion(tx, tenantId, { graceSeconds: 0, requester }));
    // On a connection of its own: the deletion takes two of the pool's three (its lock, its
    // transaction) and the wait for it the third.
    const relay = connect(run.controlPlaneUrl, { max: 1 });
    const deleted = await whileHolding(relay, cp, {
      // A relay's append, its transaction still open when the deletion starts.
      work: async (tx) =>
        expect(
          await appendEvents(tx, tenantId, [{ type: "project.created", data: { late: true } }]),
        ).toBe(1),
      concurrent: () => deleteTenant(deps, tenantId),
    });
    await relay.end();
    expect(deleted).toBe("deleted");
    expect((await controlPlaneRows(tenantId))?.eventLog).toBe(0);
  });

  it("leaves a tenant in its grace period alone, and a restored one too", async () => {
    const { tenantId } = await populatedTenant();
    await cp.begin((tx) => requestTenantDeletion(tx, tenantId, { graceSeconds: 3600, requester }));
    expect(await deleteTenant(deps, tenantId)).toBe("not_due");
    expect(await countTenantObjects(deps.admin, tenantId)).toEqual({ databases: 1, roles: 1 });

    const restored = await restoreTenant({ controlPlane: cp, logger: deps.logger }, tenantId, {
      requestId: null,
    });
    expect(restored).toEqual({ outcome: "restored", status: "active" });
    const tenant = await findTenant(cp, tenantId);
    expect(tenant).toMatchObject({ status: "active", deleteAfter: null });
    // The delayed job of the restored tenant, arriving late, is harmless.
    await cp`update tenants set delete_after = now() - interval '1 hour' where id = ${tenantId}`;
    expect(await deleteTenant(deps, tenantId)).toBe("not_deleting");
    expect(await countTenantObjects(deps.admin, tenantId)).toEqual({ databases: 1, roles: 1 });
    expect((await controlPlaneRows(tenantId))?.memberships).toBe(1);
    expect(await auditActions(tenantId)).toEqual(["tenant_deletion_requested", "tenant_restored"]);
  });

  it("restores a restricted tenant to restricted, not to active", async () => {
    const tenantId = await activeTenant(deps);
    await cp`update tenants set status = 'restricted' where id = ${tenantId}`;
    await cp.begin((tx) => requestTenantDeletion(tx, tenantId, { graceSeconds: 3600, requester }));
    const restored = await restoreTenant({ controlPlane: cp, logger: deps.logger }, tenantId, {
      requestId: null,
    });
    expect(restored).toEqual({ outcome: "restored", status: "restricted" });
  });

  it("lets one deleter at a time work on a tenant", async () => {
    const tenantId = await activeTenant(deps);
    await cp.begin((tx) => requestTenantDeletion(tx, tenantId, { graceSeconds: 0, requester }));
    let release: () => void = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    let reached: () => void = () => {};
    const atFirstStep = new Promise<void>((resolve) => {
      reached = resolve;
    });
    const first = deleteTenant(
      {
        ...deps,
        beforeDeletionStep: async (step) => {
          if (step === "end_access") {
            reached();
            await held;
          }
        },
      },
      tenantId,
    );
    await atFirstStep;
    expect(await deleteTenant(deps, tenantId)).toBe("busy");
    expect(
      (
        await restoreTenant({ controlPlane: cp, logger: deps.logger }, tenantId, {
          requestId: null,
        })
      ).outcome,
    ).toBe("busy");
    release();
    expect(await first).toBe("deleted");
  });

  it("the sweep deletes a tenant past its deadline that no job took", async () => {
    const tenantId = await activeTenant(deps);
    const waiting = await activeTenant(deps);
    await cp.begin((tx) => requestTenantDeletion(tx, tenantId, { graceSeconds: 0, requester }));
    await cp.begin((tx) => requestTenantDeletion(tx, waiting, { graceSeconds: 3600, requester }));
    expect(await deleteDueTenants(deps)).toBe(1);
    expect((await findTenant(cp, tenantId))?.status).toBe("deleted");
    expect(await countTenantObjects(deps.admin, tenantId)).toEqual({ databases: 0, roles: 0 });
    expect((await findTenant(cp, waiting))?.status).toBe("deleting");
    expect(await countTenantObjects(deps.admin, waiting)).toEqual({ databases: 1, roles: 1 });
  });

  it("keeps the first deadline when deletion is asked for twice", async () => {
    const tenantId = await activeTenant(deps);
    const first = await cp.begin((tx) =>
      requestTenantDeletion(tx, tenantId, { graceSeconds: 3600, requester }),
    );
    const second = await cp.begin((tx) =>
      requestTenantDeletion(tx, tenantId, { graceSeconds: 7200, requester }),
    );
    expect(second.outcome).toBe("already_deleting");
    expect("deleteAfter" in second && second.deleteAfter).toEqual(
      "deleteAfter" in first && first.deleteAfter,
    );
  });
});
