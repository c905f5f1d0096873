import { ApiError, type Role, type Sql } from "@oryn/shared";
import { issueTokens, type TokenSettings, type Tokens } from "../tokens/issue-tokens.ts";
import { redeemRefreshToken, revokeFamily } from "../tokens/refresh-tokens.ts";

/** Rotates a refresh token; the new access token carries the member's current role. */
export async function refreshTokens(deps: {
  sql: Sql;
  tokens: TokenSettings;
  refreshToken: string;
}): Promise<Tokens> {
  const redemption = await redeemRefreshToken(deps.sql, deps.refreshToken);
  if (!redemption.ok) throw new ApiError("invalid_token");
  const [membership] = await deps.sql<{ role: Role }[]>`
    select m.role from memberships m join tenants t on t.id = m.tenant_id
    where m.tenant_id = ${redemption.tenantId} and m.user_id = ${redemption.userId}
      and t.status not in ('deleting', 'deleted')`;
  if (!membership) {
    await revokeFamily(deps.sql, redemption.familyId);
    throw new ApiError("invalid_token");
  }
  return issueTokens(deps.sql, deps.tokens, {
    userId: redemption.userId,
    tenantId: redemption.tenantId,
    role: membership.role,
    familyId: redemption.familyId,
  });
}
