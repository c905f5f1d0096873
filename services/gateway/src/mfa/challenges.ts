import { createHash, randomUUID } from "node:crypto";
import { ApiError, type Sql, type TransactionSql } from "@oryn/shared";
import type { Row } from "@oryn/shared/control-plane/schema";
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
 *
 * The `mfa_challenges` table is the gateway's alone: its queries are here.
 */
const challengeTtlSeconds = 5 * 60;

const hashOf = (token: string) => createHash("sha256").update(token).digest();

export async function createMfaChallenge(
  sql: Sql | TransactionSql,
  subject: { userId: string; tenantId: string },
): Promise<string> {
  const token = newSecretToken("omt_");
  await insertMfaChallenge(sql, { id: randomUUID(), tokenHash: hashOf(token), ...subject });
  // Spent and expired challenges are of no use to anyone: each login clears a few old ones.
  await pruneMfaChallenges(sql);
  return token;
}

async function insertMfaChallenge(
  sql: Sql | TransactionSql,
  challenge: Pick<Row<"mfa_challenges">, "id" | "tokenHash" | "userId" | "tenantId">,
): Promise<void> {
  await sql`
    insert into mfa_challenges (id, token_hash, user_id, tenant_id, expires_at)
    values (${challenge.id}, ${challenge.tokenHash}, ${challenge.userId}, ${challenge.tenantId},
            now() + make_interval(secs => ${challengeTtlSeconds}))`;
}

/** Deletes up to 100 challenges expired over an hour ago. */
async function pruneMfaChallenges(sql: Sql | TransactionSql): Promise<void> {
  await sql`
    delete from mfa_challenges where id in (
      select id from mfa_challenges where expires_at < now() - interval '1 hour' limit 100)`;
}

type LiveChallenge = Pick<Row<"mfa_challenges">, "id" | "userId" | "tenantId">;

/** The challenge with this hash, if it is neither spent nor expired. */
async function findLiveMfaChallenge(
  sql: Sql,
  tokenHash: Buffer,
): Promise<LiveChallenge | undefined> {
  const [challenge] = await sql<LiveChallenge[]>`
    select id, user_id, tenant_id from mfa_challenges
    where token_hash = ${tokenHash} and used_at is null and expires_at > now()`;
  return challenge;
}

/**
 * Spends the challenge, under its row lock: of two completions of one challenge, one finds it
 * unspent (true), the other waits and then finds it spent (false).
 */
async function spendMfaChallenge(tx: TransactionSql, id: string): Promise<boolean> {
  const [spent] = await tx`
    update mfa_challenges set used_at = now() where id = ${id} and used_at is null
    returning id`;
  return spent !== undefined;
}

/**
 * Spends every challenge of the person still unused (an account reset when it is linked): a
 * password step passed before the reset cannot be completed after it.
 */
export async function spendMfaChallengesOfUser(tx: TransactionSql, userId: string): Promise<void> {
  await tx`update mfa_challenges set used_at = now() where user_id = ${userId} and used_at is null`;
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
  const challenge = await findLiveMfaChallenge(sql, hashOf(input.mfaToken));
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
      if (!(await spendMfaChallenge(tx, challenge.id))) throw refused;
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
