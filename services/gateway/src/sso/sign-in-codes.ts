import { createHash, randomBytes } from "node:crypto";
import { ApiError, type TransactionSql } from "@oryn/shared";

/** How long the code in the redirect to the app can be exchanged: once, within this. */
export const codeTtlSeconds = 60;

const hashOf = (code: string) => createHash("sha256").update(code).digest();

/** A code for the person signed in; only its SHA-256 is stored. */
export async function issueSignInCode(
  tx: TransactionSql,
  grant: { tenantId: string; userId: string; connectionId: string },
): Promise<string> {
  const code = randomBytes(32).toString("base64url");
  await tx`
    insert into sso_codes (code_hash, tenant_id, user_id, connection_id, expires_at)
    values (${hashOf(code)}, ${grant.tenantId}, ${grant.userId}, ${grant.connectionId},
            clock_timestamp() + make_interval(secs => ${codeTtlSeconds}))`;
  // Spent and expired codes are of no more use: each issue clears some, as a sweep would.
  await tx`
    delete from sso_codes where code_hash in (
      select code_hash from sso_codes where expires_at < clock_timestamp() - interval '1 hour' limit 100)`;
  return code;
}

/**
 * Spends a code: the conditional UPDATE is the race guard, so of two exchanges of one code only
 * one gets a row. Unknown, used and expired codes are all 401 `invalid_token`.
 */
export async function redeemSignInCode(
  tx: TransactionSql,
  code: string,
): Promise<{ tenantId: string; userId: string; connectionId: string }> {
  const [grant] = await tx<{ tenantId: string; userId: string; connectionId: string }[]>`
    update sso_codes set used_at = clock_timestamp()
    where code_hash = ${hashOf(code)} and used_at is null and expires_at > clock_timestamp()
    returning tenant_id, user_id, connection_id`;
  if (!grant)
    throw new ApiError("invalid_token", { detail: "The code is unknown, used or expired" });
  return grant;
}
