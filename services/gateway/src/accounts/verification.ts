import {
  ApiError,
  type MailRequest,
  type Principal,
  type Sql,
  type TransactionSql,
} from "@oryn/shared";
import {
  confirmEmail,
  isEmailVerified,
  lockUserEmail,
  setVerifiedEmail,
} from "@oryn/shared/control-plane/tables/users";
import { type AuditContext, recordAuditEvent } from "../audit/audit-events.ts";
import { greeting } from "./account-mail.ts";
import { mintAccountToken, redeemAccountToken, spendAccountTokens } from "./account-tokens.ts";

export type AccountTokenSettings = {
  verifyEmailTtlSeconds: number;
  resetPasswordTtlSeconds: number;
  changeEmailTtlSeconds: number;
};

/** A verification link for the account's address, to send once the caller has committed. */
export async function verificationMail(
  sql: Sql | TransactionSql,
  settings: AccountTokenSettings,
  user: { id: string; email: string; name: string },
): Promise<MailRequest> {
  const minted = await mintAccountToken(sql, {
    userId: user.id,
    purpose: "verify_email",
    email: user.email,
    ttlSeconds: settings.verifyEmailTtlSeconds,
  });
  return {
    template: "verify-email",
    to: user.email,
    data: {
      token: minted.token,
      ...greeting(user.name),
      expiresAt: minted.expiresAt.toISOString(),
    },
    id: minted.id,
  };
}

/**
 * `POST /v1/auth/verify-email`: a verification token marks the address it was mailed to as
 * proved; an email-change token moves the account to the new address it was mailed to (proved by
 * the same act). A token for an address the account no longer has proves nothing (401).
 */
export async function verifyEmail(
  tx: TransactionSql,
  context: AuditContext,
  token: string,
): Promise<void> {
  const redeemed = await redeemAccountToken(tx, token, ["verify_email", "change_email"]);
  if (redeemed.purpose === "verify_email") {
    if (!(await confirmEmail(tx, redeemed.userId, redeemed.email))) throw staleToken();
    await recordUserEvent(tx, context, redeemed.userId, "email_verified", {});
    return;
  }
  const before = await lockUserEmail(tx, redeemed.userId);
  if (!before) throw staleToken();
  try {
    await setVerifiedEmail(tx, redeemed.userId, redeemed.email);
  } catch (error) {
    // Someone took the address between the request and its confirmation.
    if ((error as { code?: string }).code === "23505") throw new ApiError("email_taken");
    throw error;
  }
  // Links mailed to the old address are for an address the account no longer has.
  await spendAccountTokens(tx, redeemed.userId, ["verify_email", "change_email", "reset_password"]);
  await recordUserEvent(tx, context, redeemed.userId, "email_changed", {
    from: before.email,
    to: redeemed.email,
  });
}

function staleToken(): ApiError {
  return new ApiError("invalid_token", {
    detail: "The link is for an address this account no longer has",
  });
}

/**
 * A user's own event (a password or address changed), which belongs to no one tenant: it is
 * recorded once without a tenant, and each tenant's security log shows its members' such events.
 */
export function recordUserEvent(
  sql: Sql | TransactionSql,
  context: AuditContext,
  userId: string,
  action: string,
  data: Record<string, unknown>,
): Promise<void> {
  return recordAuditEvent(sql, context, {
    tenantId: null,
    actorId: userId,
    action,
    entity: "user",
    entityId: userId,
    data,
  });
}

/**
 * Inviting and creating API keys hand out access: only a person whose address is proved may.
 * An API key stands for the verified person who made it.
 */
export async function assertEmailVerified(
  sql: Sql | TransactionSql,
  principal: Principal,
): Promise<void> {
  if (principal.kind !== "user") return;
  if (!(await isEmailVerified(sql, principal.userId))) {
    throw new ApiError("email_unverified", {
      detail: "Verify your email address first (POST /v1/me/verify-email sends a new link)",
    });
  }
}
