import { createHash, randomUUID } from "node:crypto";
import { ApiError, type Sql, type TransactionSql } from "@oryn/shared";
import { findLiveMembership } from "@oryn/shared/control-plane/tables/memberships";
import { type AuditContext, recordAuditEvent } from "../audit/audit-events.ts";
import type { LoginLimiter } from "../auth/login-limiter.ts";
import { newSecretToken } from "../lib/secret-tokens.ts";
import { issueTokens, type TokenSettings, type Tokens } from "../tokens/issue-tokens.ts";
import { acceptSecondFactor } from "./factors.ts";
import type { MfaSettings } from "./totp.ts";

/**
 * Between a right password and the second factor: an opaque `mfaToken` (only its hash is kept),
 * good for five minutes and one completed login. Wrong codes do not spend it (a person mistypes);
 * the login limiter bounds them per account.
 */
const challengeTtlSeconds = 5 * 60;

const hashOf = (token: string) => createHash("sha256").update(token).digest();

export async function createMfaChallenge(
  sql: Sql | TransactionSql,
  subject: { userId: string; tenantId: string },
): Promise<string> {
  const token = newSecretToken("omt_");
  await sql`
    insert into mfa_challenges (id, token_hash, user_id, tenant_id, expires_at)
    values (${randomUUID()}, ${hashOf(token)}, ${subject.userId}, ${subject.tenantId},
            now() + make_interval(secs => ${challengeTtlSeconds}))`;
  // Spent and expired challenges are of no use to anyone: each login clears a few old ones.
  await sql`
    delete from mfa_challenges where id in (
      select id from mfa_challenges where expires_at < now() - interval '1 hour' limit 100)`;
  return token;
}

export type SecondFactorInput = { mfaToken: string } & (
  | { code: string }
  | { recoveryCode: string }
);

/**
 * Finishes a login with its second factor: tokens for the membership chosen at login, with the
 * role and version it has now. Every refusal is the same 401 `mfa_failed` (an unknown, spent or
 * expired mfaToken, a wrong or replayed code, a used recovery code), audited and counted.
 */
export async function completeMfaLogin(deps: {
  sql: Sql;
  tokens: TokenSettings;
  settings: MfaSettings;
  limiter: LoginLimiter;
  input: SecondFactorInput;
  context: AuditContext;
}): Promise<{ tokens: Tokens; userId: string; used: "code" | "recovery_code" }> {
  const { sql, input, context } = deps;
  const [challenge] = await sql<{ id: string; userId: string; tenantId: string }[]>`
    select id, user_id, tenant_id from mfa_challenges
    where token_hash = ${hashOf(input.mfaToken)} and used_at is null and expires_at > now()`;
  if (!challenge) throw new ApiError("mfa_failed");
  const { userId, tenantId } = challenge;
  await deps.limiter.assertCodeAllowed(userId, context.ip);
  const proof = "code" in input ? { code: input.code } : { recoveryCode: input.recoveryCode };
  // A refusal is thrown inside the transaction, so that it rolls back and the challenge stays
  // unspent; it is then counted and audited outside, where those writes are kept.
  const refused = new ApiError("mfa_failed");
  const outcome = await sql
    .begin(async (tx) => {
      // Spent first, under its row lock: two completions of one challenge give one session.
      const [spent] = await tx`
      update mfa_challenges set used_at = now() where id = ${challenge.id} and used_at is null
      returning id`;
      if (!spent) throw refused;
      const membership = await findLiveMembership(tx, tenantId, userId);
      // Removed since the password step: answered as login answers it, and not a wrong code (no
      // count against the person's code limit, no mfa_failed in the log, the code not spent).
      if (!membership) throw new ApiError("invalid_credentials");
      const used = await acceptSecondFactor(tx, deps.settings, userId, proof);
      if (!used) throw refused;
      await recordAuditEvent(tx, context, {
        tenantId,
        actorId: userId,
        action: "logged_in",
        entity: "user",
        entityId: userId,
        data: { secondFactor: used },
      });
      const tokens = await issueTokens(
        tx,
        deps.tokens,
        { userId, tenantId, role: membership.role, membershipVersion: Number(membership.version) },
        context,
      );
      return { tokens, userId, used };
    })
    .catch((error: unknown) => {
      if (error === refused) return undefined;
      throw error;
    });
  if (!outcome) {
    await deps.limiter.codeFailed(userId, context.ip);
    await recordAuditEvent(sql, context, {
      tenantId,
      actorId: userId,
      action: "mfa_failed",
      entity: "user",
      entityId: userId,
    });
    throw new ApiError("mfa_failed");
  }
  await deps.limiter.codeSucceeded(userId);
  return outcome;
}
