import type { TransactionSql } from "@oryn/shared";
import {
  clearPasswordHash,
  lockUserForLink,
  markEmailVerified,
} from "@oryn/shared/control-plane/tables/users";
import { type AuditContext, recordAuditEvent } from "../audit/audit-events.ts";
import { spendMfaChallengesOfUser } from "../mfa/challenges.ts";
import { deleteRecoveryCodes, deleteTotpFactor } from "../mfa/factors.ts";
import { markUserSessionsEnded } from "../sessions/sessions.ts";
import { spendEveryAccountToken } from "./account-tokens.ts";
import { endSessions } from "./end-sessions.ts";

/**
 * An existing account that an IdP (SSO) or a directory (SCIM) joins to a tenant by its address.
 * When the address was never proved, whoever signed up with it may not be the person the IdP
 * vouches for: an attacker could sign up as victim@acme.com and wait for Acme to link "their"
 * account. So what an unproven party may have set is dropped before the link: the password,
 * the TOTP factor and recovery codes, pending tokens and challenges, and every session (refresh
 * families revoked, access tokens revoked at the next poll). SSO then marks the address
 * verified (the IdP proved it); the event goes to the linking tenant's security log.
 * Returns whether the account was reset. Locks the user row, so a verification racing the
 * link either lands first (and the account is kept) or after (and finds it reset).
 */
export async function linkExistingAccount(
  tx: TransactionSql,
  context: AuditContext,
  link: { userId: string; tenantId: string; via: "sso" | "scim"; markVerified: boolean },
): Promise<{ reset: boolean }> {
  const user = await lockUserForLink(tx, link.userId);
  if (!user) throw new Error("the account to link vanished");
  if (user.emailVerifiedAt !== null) return { reset: false };
  await clearPasswordHash(tx, link.userId);
  const totpRemoved = await deleteTotpFactor(tx, link.userId);
  await deleteRecoveryCodes(tx, link.userId);
  await spendMfaChallengesOfUser(tx, link.userId);
  await spendEveryAccountToken(tx, link.userId);
  await endSessions(tx, link.userId);
  await markUserSessionsEnded(tx, link.userId);
  if (link.markVerified) {
    await markEmailVerified(tx, link.userId);
  }
  await recordAuditEvent(tx, context, {
    tenantId: link.tenantId,
    actorId: link.userId,
    action: "unverified_account_reset",
    entity: "user",
    entityId: link.userId,
    data: { via: link.via, passwordRemoved: user.hasPassword, totpRemoved },
  });
  return { reset: true };
}
