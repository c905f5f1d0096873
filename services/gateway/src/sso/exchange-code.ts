import { ApiError, type Sql } from "@oryn/shared";
import { findLiveMembership } from "@oryn/shared/control-plane/tables/memberships";
import { type AuditContext, recordAuditEvent } from "../audit/audit-events.ts";
import { issueTokens, type TokenSettings, type Tokens } from "../tokens/issue-tokens.ts";
import { redeemSignInCode } from "./sign-in-codes.ts";

/**
 * POST /v1/sso/token: the one-time code for the usual tokens, in a new session as a password
 * login opens. The code is spent in a statement of its own, before anything can fail: a refused
 * exchange does not leave it usable.
 */
export async function exchangeSignInCode(
  sql: Sql,
  tokens: TokenSettings,
  code: string,
  context: AuditContext,
): Promise<Tokens> {
  const grant = await sql.begin((tx) => redeemSignInCode(tx, code));
  return sql.begin(async (tx) => {
    const membership = await findLiveMembership(tx, grant.tenantId, grant.userId);
    if (!membership) throw new ApiError("invalid_token", { detail: "The membership is gone" });
    await recordAuditEvent(tx, context, {
      tenantId: grant.tenantId,
      actorId: grant.userId,
      action: "logged_in",
      entity: "user",
      entityId: grant.userId,
      data: { method: "sso", connectionId: grant.connectionId },
    });
    return issueTokens(
      tx,
      tokens,
      {
        userId: grant.userId,
        tenantId: grant.tenantId,
        role: membership.role,
        membershipVersion: Number(membership.version),
      },
      context,
    );
  });
}
