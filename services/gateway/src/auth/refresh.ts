import { ApiError, type Role, type Sql } from "@oryn/shared";
import { issueTokens, type TokenSettings, type Tokens } from "../tokens/issue-tokens.ts";
import { redeemRefreshToken, revokeFamily } from "../tokens/refresh-tokens.ts";

/**
 * Rotates a refresh token: the old one is spent and its successor stored in one transaction. The
 * new access token carries the member's current role. Refusals return (not throw) out of the
 * transaction so that a revocation they made is committed.
 */
export async function refreshTokens(deps: {
  sql: Sql;
  tokens: TokenSettings;
  refreshToken: string;
}): Promise<Tokens> {
  const tokens = await deps.sql.begin(async (tx) => {
    const redemption = await redeemRefreshToken(tx, deps.refreshToken);
    if (!redemption.ok) return undefined;
    const [membership] = await tx<{ role: Role }[]>`
      select m.role from memberships m join tenants t on t.id = m.tenant_id
      where m.tenant_id = ${redemption.tenantId} and m.user_id = ${redemption.userId}
        and t.status not in ('deleting', 'deleted')`;
    if (!membership) {
      await revokeFamily(tx, redemption.familyId);
      return undefined;
    }
    return issueTokens(tx, deps.tokens, {
      userId: redemption.userId,
      tenantId: redemption.tenantId,
      role: membership.role,
      familyId: redemption.familyId,
    });
  });
  if (!tokens) throw new ApiError("invalid_token");
  return tokens;
}
