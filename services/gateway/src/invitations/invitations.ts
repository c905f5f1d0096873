import { createHash, randomBytes, randomUUID } from "node:crypto";
import {
  ApiError,
  limitsOf,
  type Role,
  roleAtLeast,
  type Sql,
  type TransactionSql,
} from "@oryn/shared";
import { type AuditContext, recordAuditEvent } from "../audit/audit-events.ts";
import type { LoginLimiter } from "../auth/login-limiter.ts";
import { addMembership, lockMemberships } from "../members/memberships.ts";
import { hashPassword, verifyPassword } from "../passwords/passwords.ts";
import { issueTokens, type TokenSettings, type Tokens } from "../tokens/issue-tokens.ts";

export type Invitation = {
  id: string;
  email: string;
  role: Role;
  invitedBy: string;
  expiresAt: Date;
  createdAt: Date;
};

const tokenPrefix = "oinv_";

function hashInvitationToken(token: string): Buffer {
  return createHash("sha256").update(token).digest();
}

/**
 * Refuses a change that would take the tenant past its plan's member cap (402). Called with the
 * memberships locked, so concurrent acceptances are counted one after the other.
 */
export async function assertMemberCapAllows(
  tx: TransactionSql,
  tenantId: string,
  members: number,
): Promise<void> {
  const [tenant] = await tx<{ plan: string }[]>`select plan from tenants where id = ${tenantId}`;
  const cap = limitsOf(tenant?.plan ?? "free").members;
  if (members + 1 > cap) {
    throw new ApiError("plan_limit_reached", {
      detail: `The ${tenant?.plan ?? "free"} plan allows ${cap} members`,
    });
  }
}

export async function createInvitation(
  sql: Sql,
  context: AuditContext,
  input: { tenantId: string; email: string; role: Role; invitedBy: string; ttlSeconds: number },
): Promise<{ invitation: Invitation; token: string }> {
  const token = `${tokenPrefix}${randomBytes(32).toString("base64url")}`;
  return sql.begin(async (tx) => {
    const memberships = await lockMemberships(tx, input.tenantId);
    const [existing] = await tx`
      select 1 from memberships m join users u on u.id = m.user_id
      where m.tenant_id = ${input.tenantId} and u.email = ${input.email}`;
    if (existing) throw new ApiError("already_member");
    await assertMemberCapAllows(tx, input.tenantId, memberships.length);
    const [invitation] = await tx<Invitation[]>`
      insert into invitations (id, tenant_id, email, role, token_hash, invited_by, expires_at)
      values (${randomUUID()}, ${input.tenantId}, ${input.email}, ${input.role},
              ${hashInvitationToken(token)}, ${input.invitedBy},
              now() + make_interval(secs => ${input.ttlSeconds}))
      returning id, email, role, invited_by, expires_at, created_at`;
    if (!invitation) throw new Error("insert returned nothing");
    await recordAuditEvent(tx, context, {
      tenantId: input.tenantId,
      actorId: input.invitedBy,
      action: "invitation_created",
      entity: "invitation",
      entityId: invitation.id,
      data: { email: input.email, role: input.role },
    });
    return { invitation, token };
  });
}

/** Invitations still waiting to be accepted. */
export async function listPendingInvitations(
  sql: Sql,
  tenantId: string,
  page: { limit: number; after?: string },
): Promise<Invitation[]> {
  return sql<Invitation[]>`
    select id, email, role, invited_by, expires_at, created_at from invitations
    where tenant_id = ${tenantId} and accepted_at is null and revoked_at is null
      and expires_at > now() ${page.after ? sql`and id > ${page.after}` : sql``}
    order by id limit ${page.limit}`;
}

export async function revokeInvitation(
  sql: Sql,
  context: AuditContext,
  input: { tenantId: string; id: string; actorId: string; actorRole: Role },
): Promise<boolean> {
  return sql.begin(async (tx) => {
    const [revoked] = await tx<{ role: Role }[]>`
      update invitations set revoked_at = now()
      where tenant_id = ${input.tenantId} and id = ${input.id}
        and accepted_at is null and revoked_at is null
      returning role`;
    if (!revoked) return false;
    // Owners' business stays owners': throwing rolls the revocation back.
    if (!roleAtLeast(input.actorRole, revoked.role)) {
      throw new ApiError("forbidden", { detail: "Only owners revoke an invitation to be owner" });
    }
    await recordAuditEvent(tx, context, {
      tenantId: input.tenantId,
      actorId: input.actorId,
      action: "invitation_revoked",
      entity: "invitation",
      entityId: input.id,
    });
    return true;
  });
}

type PendingInvitation = { id: string; tenantId: string; email: string; role: Role };

async function pendingInvitation(
  sql: Sql | TransactionSql,
  token: string,
  lock: boolean,
): Promise<PendingInvitation> {
  const [invitation] = await sql<PendingInvitation[]>`
    select i.id, i.tenant_id, i.email, i.role from invitations i join tenants t on t.id = i.tenant_id
    where i.token_hash = ${hashInvitationToken(token)} and i.accepted_at is null
      and i.revoked_at is null and i.expires_at > now() and t.status not in ('deleting', 'deleted')
      -- An invitation is only as good as its sender's standing now: one sent by someone since
      -- removed or demoted below its role (or by a key that no longer stands) admits nobody.
      and (exists (select 1 from memberships m
                   where m.tenant_id = i.tenant_id and m.user_id = i.invited_by
                     and oryn_role_rank(m.role) >= oryn_role_rank(i.role))
           or exists (select 1 from api_keys k
                      join memberships m on m.tenant_id = k.tenant_id and m.user_id = k.created_by
                      where k.id = i.invited_by and k.tenant_id = i.tenant_id
                        and oryn_role_rank(k.role) >= oryn_role_rank(i.role)
                        and oryn_role_rank(m.role) >= oryn_role_rank(i.role)))
    ${lock ? sql`for update of i` : sql``}`;
  if (!invitation) {
    throw new ApiError("invalid_token", {
      detail: "The invitation is unknown, used, expired, or its sender can no longer grant it",
    });
  }
  return invitation;
}

/**
 * Accepting creates the user, or, when the invited email already has an account, adds the
 * membership to it once its own password is given. The invitation is spent in the same
 * transaction, under a row lock, so it admits one person once.
 */
export async function acceptInvitation(deps: {
  sql: Sql;
  tokens: TokenSettings;
  limiter: LoginLimiter;
  context: AuditContext;
  input: { token: string; name?: string | undefined; password: string };
}): Promise<Tokens> {
  const { sql, input } = deps;
  const preview = await pendingInvitation(sql, input.token, false);
  const [existing] = await sql<{ id: string; passwordHash: string }[]>`
    select id, password_hash from users where email = ${preview.email}`;
  let newUser: { id: string; name: string; passwordHash: string } | undefined;
  if (existing) {
    // The same guessing limits as login: accepting is another way to try a password.
    await deps.limiter.assertAllowed(preview.email, deps.context.ip);
    if (!(await verifyPassword(existing.passwordHash, input.password))) {
      await deps.limiter.failed(preview.email, deps.context.ip);
      throw new ApiError("invalid_credentials", {
        detail: "This email has an account: give its password to accept",
      });
    }
  } else {
    if (!input.name) {
      throw new ApiError("validation_failed", {
        errors: [{ path: "name", message: "required for a new account" }],
      });
    }
    newUser = {
      id: randomUUID(),
      name: input.name,
      passwordHash: await hashPassword(input.password),
    };
  }

  return sql.begin(async (tx) => {
    const invitation = await pendingInvitation(tx, input.token, true);
    const userId = existing?.id ?? newUser?.id;
    if (!userId) throw new Error("no user");
    if (newUser) {
      const [created] = await tx`
        insert into users (id, email, name, password_hash)
        values (${newUser.id}, ${invitation.email}, ${newUser.name}, ${newUser.passwordHash})
        on conflict (email) do nothing returning id`;
      // Someone signed up with this email a moment ago: they accept with their own password.
      if (!created) throw new ApiError("email_taken");
    }
    const memberships = await lockMemberships(tx, invitation.tenantId);
    if (memberships.some((membership) => membership.userId === userId)) {
      throw new ApiError("already_member");
    }
    await assertMemberCapAllows(tx, invitation.tenantId, memberships.length);
    const version = await addMembership(tx, {
      tenantId: invitation.tenantId,
      userId,
      role: invitation.role,
    });
    await tx`update invitations set accepted_at = now(), accepted_by = ${userId} where id = ${invitation.id}`;
    await recordAuditEvent(tx, deps.context, {
      tenantId: invitation.tenantId,
      actorId: userId,
      action: "invitation_accepted",
      entity: "invitation",
      entityId: invitation.id,
      data: { role: invitation.role, newUser: newUser !== undefined },
    });
    return issueTokens(tx, deps.tokens, {
      userId,
      tenantId: invitation.tenantId,
      role: invitation.role,
      membershipVersion: version,
    });
  });
}
