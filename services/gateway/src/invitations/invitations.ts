import { createHash, randomUUID } from "node:crypto";
import {
  ApiError,
  type MailRequest,
  type Page,
  recordEvent,
  roleAtLeast,
  type Sql,
  type TransactionSql,
} from "@oryn/shared";
import {
  type AcceptableInvitation,
  findAcceptableInvitation,
  type InvitationRow,
  insertInvitation,
  listPendingInvitationsAfter,
  markInvitationAccepted,
  renewPendingInvitation,
  revokePendingInvitation,
} from "@oryn/shared/control-plane/tables/invitations";
import {
  addMembership,
  isMemberByEmail,
  lockMemberships,
} from "@oryn/shared/control-plane/tables/memberships";
import {
  findUserCredentialsByEmail,
  insertUserIfAbsent,
  markEmailVerifiedIfUnverified,
} from "@oryn/shared/control-plane/tables/users";
import { idPage } from "@oryn/shared/pages";
import { type AccountTokenSettings, verificationMail } from "../accounts/verification.ts";
import { type AuditContext, recordAuditEvent, recordCallerEvent } from "../audit/audit-events.ts";
import type { LoginLimiter } from "../auth/login-limiter.ts";
import type { Caller } from "../lib/request.ts";
import { newSecretToken } from "../lib/secret-tokens.ts";
import { assertMemberCapAllows } from "../members/members.ts";
import { createMfaChallenge } from "../mfa/challenges.ts";
import { hasActiveTotp } from "../mfa/factors.ts";
import { hashPassword, verifyPassword } from "../passwords/passwords.ts";
import { ssoRequired, ssoRequiredFor } from "../sso/enforcement.ts";
import { issueTokens, type TokenSettings, type Tokens } from "../tokens/issue-tokens.ts";
import { invitationMail } from "./invitation-mail.ts";
import type { AcceptInvitationInput, CreateInvitationInput, Invitation } from "./schemas.ts";

function toInvitation(row: InvitationRow): Invitation {
  return {
    ...row,
    expiresAt: row.expiresAt.toISOString(),
    createdAt: row.createdAt.toISOString(),
  };
}

const tokenPrefix = "oinv_";

function newInvitationToken(): string {
  return newSecretToken(tokenPrefix);
}

function hashInvitationToken(token: string): Buffer {
  return createHash("sha256").update(token).digest();
}

/**
 * An invitation with a role no higher than the inviter's, for an email that is not yet a member,
 * within the plan's member cap (counted with the memberships locked).
 */
export async function createInvitation(
  tx: TransactionSql,
  caller: Caller,
  input: CreateInvitationInput,
  options: { ttlSeconds: number },
): Promise<{ invitation: Invitation; mail: MailRequest }> {
  const { principal } = caller;
  if (!roleAtLeast(principal.role, input.role)) {
    throw new ApiError("forbidden", { detail: "An invitation cannot grant a role above yours" });
  }
  const token = newInvitationToken();
  const memberships = await lockMemberships(tx, principal.tenantId);
  if (await isMemberByEmail(tx, principal.tenantId, input.email))
    throw new ApiError("already_member");
  await assertMemberCapAllows(tx, principal.tenantId, memberships.length);
  const row = await insertInvitation(
    tx,
    {
      id: randomUUID(),
      tenantId: principal.tenantId,
      email: input.email,
      role: input.role,
      tokenHash: hashInvitationToken(token),
      invitedBy: principal.userId,
    },
    options.ttlSeconds,
  );
  await recordCallerEvent(tx, caller, {
    action: "invitation_created",
    entity: "invitation",
    entityId: row.id,
    data: { email: input.email, role: input.role },
  });
  const invitation = toInvitation(row);
  return { invitation, mail: await invitationMail(tx, principal, invitation, token) };
}

/** Invitations still waiting to be accepted. */
export async function listPendingInvitations(
  sql: Sql,
  tenantId: string,
  page: { limit: number; after: string | undefined },
): Promise<Page<Invitation>> {
  const rows = await listPendingInvitationsAfter(sql, tenantId, page.after, page.limit + 1);
  return idPage(rows, page.limit, toInvitation);
}

export async function revokeInvitation(
  tx: TransactionSql,
  caller: Caller,
  id: string,
): Promise<void> {
  const { principal } = caller;
  const revoked = await revokePendingInvitation(tx, principal.tenantId, id);
  if (!revoked) throw new ApiError("not_found");
  // Owners' business stays owners': throwing rolls the revocation back.
  if (!roleAtLeast(principal.role, revoked.role)) {
    throw new ApiError("forbidden", { detail: "Only owners revoke an invitation to be owner" });
  }
  await recordCallerEvent(tx, caller, {
    action: "invitation_revoked",
    entity: "invitation",
    entityId: id,
  });
}

/**
 * Sends a pending invitation again, with a new token: only hashes are kept, so the old token
 * cannot be sent again, and the link in the earlier mail stops working. The invitation gets a
 * full lifetime from now. Owners' invitations stay owners' business, as for revoking.
 */
export async function resendInvitation(
  tx: TransactionSql,
  caller: Caller,
  id: string,
  options: { ttlSeconds: number },
): Promise<MailRequest> {
  const { principal } = caller;
  const token = newInvitationToken();
  const row = await renewPendingInvitation(
    tx,
    principal.tenantId,
    id,
    hashInvitationToken(token),
    options.ttlSeconds,
  );
  if (!row) throw new ApiError("not_found");
  if (!roleAtLeast(principal.role, row.role)) {
    throw new ApiError("forbidden", { detail: "Only owners resend an invitation to be owner" });
  }
  await recordCallerEvent(tx, caller, {
    action: "invitation_resent",
    entity: "invitation",
    entityId: id,
  });
  return invitationMail(tx, principal, toInvitation(row), token);
}

async function pendingInvitation(
  sql: Sql | TransactionSql,
  token: string,
  lock: boolean,
): Promise<AcceptableInvitation> {
  const invitation = await findAcceptableInvitation(sql, hashInvitationToken(token), lock);
  if (!invitation) {
    throw new ApiError("invalid_token", {
      detail: "The invitation is unknown, used, expired, or its sender can no longer grant it",
    });
  }
  return invitation;
}

/**
 * Who accepts: the account the invited email already has, once its own password is given, or a
 * new account, whose password is hashed here. Both take tens of milliseconds of argon2, so this
 * runs before `acceptInvitation`'s transaction, not in it.
 */
export type Invitee = {
  token: string;
  user:
    | { id: string; existing: true }
    | { id: string; existing: false; name: string; passwordHash: string };
};

export async function identifyInvitee(
  sql: Sql,
  limiter: LoginLimiter,
  context: AuditContext,
  input: AcceptInvitationInput,
): Promise<Invitee> {
  const preview = await pendingInvitation(sql, input.token, false);
  const existing = await findUserCredentialsByEmail(sql, preview.email);
  if (existing) {
    // The same guessing limits as login: accepting is another way to try a password.
    await limiter.assertAllowed(preview.email, context.ip);
    if (!(await verifyPassword(existing.passwordHash, input.password))) {
      await limiter.failed(preview.email, context.ip);
      throw new ApiError("invalid_credentials", {
        detail: "This email has an account: give its password to accept",
      });
    }
    await assertPasswordSignInAllowed(sql, context, {
      userId: existing.id,
      email: preview.email,
      existing: true,
    });
    return { token: input.token, user: { id: existing.id, existing: true } };
  }
  if (!input.name) {
    throw new ApiError("validation_failed", {
      errors: [{ path: "name", message: "required for a new account" }],
    });
  }
  const id = randomUUID();
  await assertPasswordSignInAllowed(sql, context, {
    userId: id,
    email: preview.email,
    existing: false,
  });
  return {
    token: input.token,
    user: {
      id,
      existing: false,
      name: input.name,
      passwordHash: await hashPassword(input.password),
    },
  };
}

/**
 * Accepting signs the invitee in with a password: refused, as password login is, when their
 * address is in a domain whose tenant enforces SSO (they sign in through it instead).
 */
async function assertPasswordSignInAllowed(
  sql: Sql,
  context: AuditContext,
  person: { userId: string; email: string; existing: boolean },
): Promise<void> {
  const enforcedBy = await ssoRequiredFor(sql, person);
  if (!enforcedBy) return;
  const userId = person.existing ? person.userId : null;
  await recordAuditEvent(sql, context, {
    tenantId: enforcedBy,
    actorId: userId,
    action: "password_login_refused",
    entity: "user",
    entityId: userId,
    data: { reason: "sso_required", via: "invitation" },
  });
  throw ssoRequired();
}

/**
 * Accepting creates the user, or adds the membership to the account the invitee proved is
 * theirs. The invitation is spent in the same transaction, under a row lock, so it admits one
 * person once.
 */
export async function acceptInvitation(
  tx: TransactionSql,
  tokens: TokenSettings,
  accountTokens: AccountTokenSettings,
  context: AuditContext,
  invitee: Invitee,
): Promise<{ tokens: Tokens | { mfaRequired: true; mfaToken: string }; mail: MailRequest[] }> {
  const invitation = await pendingInvitation(tx, invitee.token, true);
  const { user } = invitee;
  if (!user.existing) {
    const created = await insertUserIfAbsent(tx, {
      id: user.id,
      email: invitation.email,
      name: user.name,
      passwordHash: user.passwordHash,
      emailVerified: invitation.mailed,
    });
    // Someone signed up with this email a moment ago: they accept with their own password.
    if (!created) throw new ApiError("email_taken");
  } else if (invitation.mailed) {
    // The token came to this address by mail: following it proves the address.
    await markEmailVerifiedIfUnverified(tx, user.id, invitation.email);
  }
  const memberships = await lockMemberships(tx, invitation.tenantId);
  if (memberships.some((membership) => membership.userId === user.id)) {
    throw new ApiError("already_member");
  }
  await assertMemberCapAllows(tx, invitation.tenantId, memberships.length);
  const version = await addMembership(tx, {
    tenantId: invitation.tenantId,
    userId: user.id,
    role: invitation.role,
  });
  await markInvitationAccepted(tx, invitation.id, user.id);
  await recordAuditEvent(tx, context, {
    tenantId: invitation.tenantId,
    actorId: user.id,
    action: "invitation_accepted",
    entity: "invitation",
    entityId: invitation.id,
    data: { role: invitation.role, newUser: !user.existing },
  });
  const joined = { userId: user.id, email: invitation.email, role: invitation.role };
  await recordEvent(tx, invitation.tenantId, "invitation.accepted", {
    id: invitation.id,
    ...joined,
  });
  await recordEvent(tx, invitation.tenantId, "member.added", joined);
  // An account with a second factor joins with it, not with its password alone.
  if (user.existing && (await hasActiveTotp(tx, user.id))) {
    const mfaToken = await createMfaChallenge(tx, {
      userId: user.id,
      tenantId: invitation.tenantId,
    });
    return { tokens: { mfaRequired: true, mfaToken }, mail: [] };
  }
  const issued = await issueTokens(
    tx,
    tokens,
    {
      userId: user.id,
      tenantId: invitation.tenantId,
      role: invitation.role,
      membershipVersion: version,
    },
    context,
  );
  // An invitation from before mail proved nothing: the new account is asked to verify.
  const mail =
    !user.existing && !invitation.mailed
      ? [
          await verificationMail(tx, accountTokens, {
            id: user.id,
            email: invitation.email,
            name: user.name,
          }),
        ]
      : [];
  return { tokens: issued, mail };
}
