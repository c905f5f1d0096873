import { ApiError, type Sql, type TransactionSql } from "@oryn/shared";
import type { Row } from "@oryn/shared/control-plane/schema";
import {
  findUserContact,
  findUserWithPasswordHash,
  type UserContact,
} from "@oryn/shared/control-plane/tables/users";
import { recordCallerEvent } from "../audit/audit-events.ts";
import type { LoginLimiter } from "../auth/login-limiter.ts";
import type { Caller } from "../lib/request.ts";
import { verifyPassword } from "../passwords/passwords.ts";
import {
  hashRecoveryCode,
  type MfaSettings,
  newRecoveryCodes,
  newTotpSecret,
  otpauthUrl,
  stepOfCode,
} from "./totp.ts";

/**
 * A person's TOTP factor: enrolling, confirming, disabling, and checking a code.
 *
 * The `totp_factors` and `recovery_codes` tables are the gateway's alone: their queries are here
 * (login, the MFA routes, the tenants' MFA requirement, and linking an unverified account, which
 * drops them).
 */

type Person = UserContact;

export async function personOf(sql: Sql | TransactionSql, userId: string): Promise<Person> {
  const person = await findUserContact(sql, userId);
  if (!person) throw new ApiError("unauthorized");
  return person;
}

/** Whether the person has a confirmed TOTP factor. */
export async function hasActiveTotp(sql: Sql | TransactionSql, userId: string): Promise<boolean> {
  const [row] = await sql`
    select 1 from totp_factors where user_id = ${userId} and confirmed_at is not null`;
  return row !== undefined;
}

/**
 * A new secret, inactive until confirmed with a code from it; a pending one is replaced (the
 * person scanned it on a phone they lost). With a factor already on, 409: it is turned off first,
 * with the password.
 */
export async function startTotpEnrolment(
  tx: TransactionSql,
  settings: MfaSettings,
  caller: Caller,
): Promise<{ secret: string; otpauthUrl: string }> {
  const person = await personOf(tx, caller.principal.userId);
  const secret = newTotpSecret();
  if (!(await storePendingTotpFactor(tx, person.id, settings.seal(secret, person.id)))) {
    throw new ApiError("conflict", {
      detail: "Two-factor authentication is already on; turn it off first to enrol again",
    });
  }
  await recordCallerEvent(tx, caller, {
    action: "mfa_enrolment_started",
    entity: "user",
    entityId: person.id,
  });
  return { secret, otpauthUrl: otpauthUrl(secret, settings.issuer, person.email) };
}

/**
 * Accepts a code of the factor for a step after the last one accepted, and records that step:
 * the conditional UPDATE is the replay guard, so of two requests with one code only one wins.
 */
async function acceptCode(
  tx: TransactionSql,
  settings: MfaSettings,
  userId: string,
  code: string,
  state: "pending" | "active",
): Promise<boolean> {
  const ciphertext = await findTotpSecret(tx, userId, state);
  if (!ciphertext) return false;
  const secret = settings.open(ciphertext, userId);
  const step = secret === null ? null : stepOfCode(secret, code);
  if (step === null) return false;
  return advanceTotpStep(tx, userId, step);
}

/**
 * Turns the pending factor on with a code from it, and answers ten new recovery codes, shown this
 * once (only their hashes are kept). A wrong code is 401 `mfa_failed`, counted like a wrong
 * password; with nothing pending, 409.
 */
export async function confirmTotpEnrolment(
  deps: { sql: Sql; settings: MfaSettings; limiter: LoginLimiter },
  caller: Caller,
  code: string,
): Promise<{ recoveryCodes: string[]; person: Person }> {
  const { userId } = caller.principal;
  await deps.limiter.assertCodeAllowed(userId, caller.ip);
  const outcome = await deps.sql.begin(async (tx) => {
    if (!(await lockPendingTotpFactor(tx, userId))) {
      throw new ApiError("conflict", {
        detail: "Nothing to confirm: start with POST /v1/me/mfa/totp",
      });
    }
    if (!(await acceptCode(tx, deps.settings, userId, code, "pending"))) return undefined;
    await confirmTotpFactor(tx, userId);
    const recoveryCodes = await replaceRecoveryCodes(tx, userId);
    await recordCallerEvent(tx, caller, {
      action: "mfa_enabled",
      entity: "user",
      entityId: userId,
    });
    return { recoveryCodes, person: await personOf(tx, userId) };
  });
  if (!outcome) {
    await deps.limiter.codeFailed(userId, caller.ip);
    throw new ApiError("mfa_failed");
  }
  await deps.limiter.codeSucceeded(userId);
  return outcome;
}

async function replaceRecoveryCodes(tx: TransactionSql, userId: string): Promise<string[]> {
  const codes = newRecoveryCodes();
  await deleteRecoveryCodes(tx, userId);
  await insertRecoveryCodes(tx, userId, codes.map(hashRecoveryCode));
  return codes;
}

/**
 * Turns the factor off (a pending one too), and drops the recovery codes, once the password is
 * given again: a borrowed unlocked session alone cannot remove the second factor. A wrong password
 * is 401 `invalid_credentials`, counted like a failed login; without a factor, 404.
 */
export async function disableTotp(
  deps: { sql: Sql; limiter: LoginLimiter },
  caller: Caller,
  password: string,
): Promise<{ person: Person; wasActive: boolean }> {
  const { userId } = caller.principal;
  const user = await findUserWithPasswordHash(deps.sql, userId);
  if (!user) throw new ApiError("unauthorized");
  await deps.limiter.assertAllowed(user.email, caller.ip);
  if (!(await verifyPassword(user.passwordHash, password))) {
    await deps.limiter.failed(user.email, caller.ip);
    throw new ApiError("invalid_credentials", { detail: "The password is wrong" });
  }
  await deps.limiter.succeeded(user.email, caller.ip);
  const person = { id: user.id, email: user.email, name: user.name };
  return deps.sql.begin(async (tx) => {
    const removed = await deleteTotpFactorWasActive(tx, userId);
    if (!removed) throw new ApiError("not_found", { detail: "Two-factor authentication is off" });
    await deleteRecoveryCodes(tx, userId);
    await recordCallerEvent(tx, caller, {
      action: removed.wasActive ? "mfa_disabled" : "mfa_enrolment_cancelled",
      entity: "user",
      entityId: userId,
    });
    return { person, wasActive: removed.wasActive };
  });
}

/**
 * Whether the tenant requires a second factor that the person has not turned on (unknown
 * tenant: false). The MFA policy asks it per (tenant, person), and caches the answer. Here, with
 * the factors, and not in the tenants module: that one is shared with services whose roles are
 * not granted `totp_factors`.
 */
export async function mustEnrolTotp(sql: Sql, tenantId: string, userId: string): Promise<boolean> {
  const [row] = await sql<{ mustEnrol: boolean }[]>`
    select t.mfa_required and not exists (
             select 1 from totp_factors f
             where f.user_id = ${userId} and f.confirmed_at is not null) as must_enrol
    from tenants t where t.id = ${tenantId}`;
  return row?.mustEnrol ?? false;
}

/** Deletes the person's factor, pending or on; answers whether there was one. */
export async function deleteTotpFactor(tx: TransactionSql, userId: string): Promise<boolean> {
  const [factor] = await tx`delete from totp_factors where user_id = ${userId} returning 1`;
  return factor !== undefined;
}

export async function deleteRecoveryCodes(tx: TransactionSql, userId: string): Promise<void> {
  await tx`delete from recovery_codes where user_id = ${userId}`;
}

/** A login's second factor: a TOTP code of the active factor, or an unused recovery code. */
export async function acceptSecondFactor(
  tx: TransactionSql,
  settings: MfaSettings,
  userId: string,
  proof: { code: string } | { recoveryCode: string },
): Promise<"code" | "recovery_code" | undefined> {
  if ("code" in proof) {
    return (await acceptCode(tx, settings, userId, proof.code, "active")) ? "code" : undefined;
  }
  if (!(await hasActiveTotp(tx, userId))) return undefined;
  const spent = await spendRecoveryCode(tx, userId, hashRecoveryCode(proof.recoveryCode));
  return spent ? "recovery_code" : undefined;
}

/**
 * Stores a new pending factor, or replaces the pending one (its last step forgotten); false,
 * storing nothing, when the person's factor is already on.
 */
async function storePendingTotpFactor(
  tx: TransactionSql,
  userId: string,
  secretCiphertext: Buffer,
): Promise<boolean> {
  const [row] = await tx`
    insert into totp_factors (user_id, secret_ciphertext)
    values (${userId}, ${secretCiphertext})
    on conflict (user_id) do update
      set secret_ciphertext = excluded.secret_ciphertext, created_at = now(), last_used_step = null
      where totp_factors.confirmed_at is null
    returning user_id`;
  return row !== undefined;
}

/** The sealed secret of the person's factor, if it is in that state. */
async function findTotpSecret(
  tx: TransactionSql,
  userId: string,
  state: "pending" | "active",
): Promise<Buffer | undefined> {
  const [factor] = await tx<Pick<Row<"totp_factors">, "secretCiphertext">[]>`
    select secret_ciphertext from totp_factors
    where user_id = ${userId}
      and ${state === "active" ? tx`confirmed_at is not null` : tx`confirmed_at is null`}`;
  return factor?.secretCiphertext;
}

/** Records `step` as the factor's last accepted one, unless a later or equal one was (false). */
async function advanceTotpStep(tx: TransactionSql, userId: string, step: number): Promise<boolean> {
  const [accepted] = await tx`
    update totp_factors set last_used_step = ${step}
    where user_id = ${userId} and (last_used_step is null or last_used_step < ${step})
    returning user_id`;
  return accepted !== undefined;
}

/** Locks the person's pending factor for the rest of the transaction; false without one. */
async function lockPendingTotpFactor(tx: TransactionSql, userId: string): Promise<boolean> {
  const [pending] = await tx`
    select 1 from totp_factors where user_id = ${userId} and confirmed_at is null for update`;
  return pending !== undefined;
}

async function confirmTotpFactor(tx: TransactionSql, userId: string): Promise<void> {
  await tx`update totp_factors set confirmed_at = now() where user_id = ${userId}`;
}

/** Deletes the person's factor, pending or on, and says which; undefined without one. */
async function deleteTotpFactorWasActive(
  tx: TransactionSql,
  userId: string,
): Promise<{ wasActive: boolean } | undefined> {
  const [removed] = await tx<{ wasActive: boolean }[]>`
    delete from totp_factors where user_id = ${userId}
    returning confirmed_at is not null as was_active`;
  return removed;
}

async function insertRecoveryCodes(
  tx: TransactionSql,
  userId: string,
  codeHashes: Buffer[],
): Promise<void> {
  // Column names as written: the connection maps names from the database only, not to it.
  const rows = codeHashes.map((codeHash) => ({ user_id: userId, code_hash: codeHash }));
  await tx`insert into recovery_codes ${tx(rows)}`;
}

/** Spends the person's recovery code with this hash; false when it is unknown or used. */
async function spendRecoveryCode(
  tx: TransactionSql,
  userId: string,
  codeHash: Buffer,
): Promise<boolean> {
  const [spent] = await tx`
    update recovery_codes set used_at = now()
    where user_id = ${userId} and code_hash = ${codeHash}
      and used_at is null
    returning user_id`;
  return spent !== undefined;
}
