import { ApiError, type Role, type Sql } from "@oryn/shared";
import { type TokenSettings, type Tokens, tokensWith } from "../tokens/issue-tokens.ts";
import { redeemRefreshToken, revokeFamily } from "../tokens/refresh-tokens.ts";

/**
 * Rotates a refresh token: the old one is spent and its successor stored in one transaction. The
 * new access token carries the member's current role and membership version. Refusals return
 * (not throw) out of the transaction so that a revocation they made is committed.
 */
export async function refreshTokens(deps: {
  sql: Sql;
  tokens: TokenSettings;
  refreshToken: string;
}): Promise<Tokens> {
  const tokens = await deps.sql.begin(async (tx) => {
    const redemption = await redeemRefreshToken(tx, deps.refreshToken, {
      keys: deps.tokens.keys.refreshTokenKeys,
      graceSeconds: deps.tokens.refreshGraceSeconds,
    });
    if (!redemption.ok) return undefined;
    const [membership] = await tx<{ role: Role; version: string }[]>`
      select m.role, m.version from memberships m join tenants t on t.id = m.tenant_id
      where m.tenant_id = ${redemption.tenantId} and m.user_id = ${redemption.userId}
        and t.status not in ('deleting', 'deleted')`;
    if (!membership) {
      await revokeFamily(tx, redemption.familyId);
      return undefined;
    }
    await redemption.storeSuccessor?.(deps.tokens.refreshTtlSeconds);
    return tokensWith(
      deps.tokens,
      {
        userId: redemption.userId,
        tenantId: redemption.tenantId,
        role: membership.role,
        membershipVersion: Number(membership.version),
      },
      redemption.successor,
    );
  });
  if (!tokens) throw new ApiError("invalid_token");
  return tokens;
}
