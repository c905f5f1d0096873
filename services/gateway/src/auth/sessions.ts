import { ApiError, type Sql, type TransactionSql } from "@oryn/shared";
import {
  findLiveMembership,
  type LiveMembership,
  listLiveMembershipsOfUser,
} from "@oryn/shared/control-plane/tables/memberships";
import { findUserCredentialsByEmail } from "@oryn/shared/control-plane/tables/users";
import { type AuditContext, recordAuditEvent } from "../audit/audit-events.ts";
import { createMfaChallenge } from "../mfa/challenges.ts";
import { hasActiveTotp } from "../mfa/factors.ts";
import { verifyPassword } from "../passwords/passwords.ts";
import { type SessionClient, touchSession } from "../sessions/sessions.ts";
import { ssoRequired, ssoRequiredFor } from "../sso/enforcement.ts";
import {
  issueTokens,
  type TokenSettings,
  type Tokens,
  tokensWith,
} from "../tokens/issue-tokens.ts";
import {
  hashRefreshToken,
  lockFamilyOfRefreshToken,
  redeemRefreshToken,
  revokeFamily,
} from "../tokens/refresh-tokens.ts";
import type { LoginLimiter } from "./login-limiter.ts";
import type { LoginInput } from "./schemas.ts";

// Sessions: logging in, rotating a refresh token, logging out.

/**
 * The answer for an unknown email and for a wrong password is the same, and takes about as long
 * (a decoy hash is verified). A tenant the user is not a member of is answered the same way, so
 * login reveals nothing about other tenants. It runs outside a transaction: a failed login's
 * audit row must be kept although the login fails. A person with a second factor gets an
 * `mfaToken` instead of tokens, for POST /v1/auth/mfa.
 */
export async function logIn(deps: {
  sql: Sql;
  tokens: TokenSettings;
  limiter: LoginLimiter;
  input: LoginInput;
  context: AuditContext;
}): Promise<Tokens | { mfaRequired: true; mfaToken: string }> {
  const { sql, input } = deps;
  await deps.limiter.assertAllowed(input.email, deps.context.ip);
  const user = await findUserCredentialsByEmail(sql, input.email);
  const valid = await verifyPassword(user?.passwordHash, input.password);
  if (!user || !valid) {
    await deps.limiter.failed(input.email, deps.context.ip);
    await recordAuditEvent(sql, deps.context, {
      tenantId: null,
      actorId: user?.id ?? null,
      action: "login_failed",
      entity: "user",
      entityId: user?.id ?? null,
    });
    throw new ApiError("invalid_credentials");
  }
  // After the password: a guesser learns nothing of the policy from a wrong one.
  const enforcedBy = await ssoRequiredFor(sql, { userId: user.id, email: input.email });
  if (enforcedBy) {
    await recordAuditEvent(sql, deps.context, {
      tenantId: enforcedBy,
      actorId: user.id,
      action: "password_login_refused",
      entity: "user",
      entityId: user.id,
      data: { reason: "sso_required" },
    });
    throw ssoRequired();
  }

  const memberships = await listLiveMembershipsOfUser(sql, user.id);
  const membership = pickMembership(memberships, input.tenant);
  await deps.limiter.succeeded(input.email, deps.context.ip);
  if (await hasActiveTotp(sql, user.id)) {
    await recordAuditEvent(sql, deps.context, {
      tenantId: membership.tenantId,
      actorId: user.id,
      action: "mfa_challenged",
      entity: "user",
      entityId: user.id,
    });
    const mfaToken = await createMfaChallenge(sql, {
      userId: user.id,
      tenantId: membership.tenantId,
    });
    return { mfaRequired: true, mfaToken };
  }

  await recordAuditEvent(sql, deps.context, {
    tenantId: membership.tenantId,
    actorId: user.id,
    action: "logged_in",
    entity: "user",
    entityId: user.id,
  });
  return issueTokens(
    sql,
    deps.tokens,
    {
      userId: user.id,
      tenantId: membership.tenantId,
      role: membership.role,
      membershipVersion: Number(membership.version),
    },
    deps.context,
  );
}

function pickMembership(memberships: LiveMembership[], slug: string | undefined): LiveMembership {
  if (slug !== undefined) {
    const chosen = memberships.find((membership) => membership.slug === slug);
    if (!chosen) throw new ApiError("invalid_credentials");
    return chosen;
  }
  const [only, ...others] = memberships;
  if (!only) throw new ApiError("invalid_credentials");
  if (others.length > 0) {
    throw new ApiError("validation_failed", {
      detail: "This user belongs to several tenants: name one with `tenant`",
      errors: [{ path: "tenant", message: "required when the user belongs to several tenants" }],
    });
  }
  return only;
}

/**
 * Rotates a refresh token, inside the caller's transaction: the old one is spent and its
 * successor stored. The new access token carries the member's current role and membership
 * version. A refusal is answered (undefined), not thrown, so that a revocation it made (a reused
 * token revokes its family) commits with the transaction. The session records the client.
 */
export async function refreshSession(
  tx: TransactionSql,
  tokens: TokenSettings,
  refreshToken: string,
  client: SessionClient,
): Promise<Tokens | undefined> {
  const redemption = await redeemRefreshToken(tx, refreshToken, {
    keys: tokens.keys.refreshTokenKeys,
    graceSeconds: tokens.refreshGraceSeconds,
    client,
  });
  if (!redemption.ok) return undefined;
  const membership = await findLiveMembership(tx, redemption.tenantId, redemption.userId);
  if (!membership) {
    await revokeFamily(tx, redemption.familyId);
    return undefined;
  }
  if (redemption.storeSuccessor) {
    await redemption.storeSuccessor(tokens.refreshTtlSeconds);
    await touchSession(tx, redemption.familyId, client);
  }
  return tokensWith(
    tokens,
    {
      userId: redemption.userId,
      tenantId: redemption.tenantId,
      role: membership.role,
      membershipVersion: Number(membership.version),
      sessionId: redemption.familyId,
    },
    redemption.successor,
  );
}

/**
 * Logout: ends the session of the presented token (its refresh tokens now, its access tokens
 * within a revocation poll); unknown tokens change nothing. The row lock
 * orders it after a refresh of the same token in flight, and the UPDATE, a statement of its own,
 * then sees (and revokes) the successor that refresh committed.
 */
export async function logOut(tx: TransactionSql, refreshToken: string): Promise<void> {
  const row = await lockFamilyOfRefreshToken(tx, hashRefreshToken(refreshToken));
  if (row) await revokeFamily(tx, row.familyId);
}
