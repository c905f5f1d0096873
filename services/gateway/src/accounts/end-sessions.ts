import type { TransactionSql } from "@oryn/shared";
import { renewMembershipVersionsOfUser } from "@oryn/shared/control-plane/tables/memberships";
import { revokeAccess } from "../access/revocations.ts";
import { revokeRefreshTokensOfUser } from "../tokens/refresh-tokens.ts";

/**
 * Ends a user's sessions in every tenant, in the caller's transaction: their refresh-token
 * families are revoked, and every membership takes a new version with a revocation at it, so
 * access tokens issued before stop working within one revocation poll (like a removed member's).
 * `keepSession` (a family id) is spared: its next refresh gets an access token at the new
 * version, so the session that changed the password carries on after one refresh.
 */
export async function endSessions(
  tx: TransactionSql,
  userId: string,
  options: { keepSession?: string | undefined } = {},
): Promise<void> {
  await revokeRefreshTokensOfUser(tx, userId, options.keepSession);
  const memberships = await renewMembershipVersionsOfUser(tx, userId);
  for (const membership of memberships) {
    await revokeAccess(tx, membership.tenantId, userId, Number(membership.version));
  }
}
