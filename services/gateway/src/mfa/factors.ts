import { ApiError, type Sql, type TransactionSql } from "@oryn/shared";
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

// A person's TOTP factor: enrolling, confirming, disabling, and checking a code.

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
  const [row] = await tx`
    insert into totp_factors (user_id, secret_ciphertext)
    values (${person.id}, ${settings.seal(secret, person.id)})
    on conflict (user_id) do update
      set secret_ciphertext = excluded.secret_ciphertext, created_at = now(), last_used_step = null
      where totp_factors.confirmed_at is null
    returning user_id`;
  if (!row) {
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
  const [factor] = await tx<{ secretCiphertext: Buffer }[]>`
    select secret_ciphertext from totp_factors
    where user_id = ${userId}
      and ${state === "active" ? tx`confirmed_at is not null` : tx`confirmed_at is null`}`;
  if (!factor) return false;
  const secret = settings.open(factor.secretCiphertext, userId);
  const step = secret === null ? null : stepOfCode(secret, code);
  if (step === null) return false;
  const [accepted] = await tx`
    update totp_factors set last_used_step = ${step}
    where user_id = ${userId} and (last_used_step is null or last_used_step < ${step})
    returning user_id`;
  return accepted !== undefined;
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
    const [pending] = await tx`
      select 1 from totp_factors where user_id = ${userId} and confirmed_at is null for update`;
    if (!pending) {
      throw new ApiError("conflict", {
        detail: "Nothing to confirm: start with POST /v1/me/mfa/totp",
      });
    }
    if (!(await acceptCode(tx, deps.settings, userId, code, "pending"))) return undefined;
    await tx`update totp_factors set confirmed_at = now() where user_id = ${userId}`;
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
  await tx`delete from recovery_codes where user_id = ${userId}`;
  // Column names as written: the connection maps names from the database only, not to it.
  const rows = codes.map((code) => ({ user_id: userId, code_hash: hashRecoveryCode(code) }));
  await tx`insert into recovery_codes ${tx(rows)}`;
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
    const [removed] = await tx<{ wasActive: boolean }[]>`
      delete from totp_factors where user_id = ${userId}
      returning confirmed_at is not null as was_active`;
    if (!removed) throw new ApiError("not_found", { detail: "Two-factor authentication is off" });
    await tx`delete from recovery_codes where user_id = ${userId}`;
    await recordCallerEvent(tx, caller, {
      action: removed.wasActive ? "mfa_disabled" : "mfa_enrolment_cancelled",
      entity: "user",
      entityId: userId,
    });
    return { person, wasActive: removed.wasActive };
  });
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
  const [spent] = await tx`
    update recovery_codes set used_at = now()
    where user_id = ${userId} and code_hash = ${hashRecoveryCode(proof.recoveryCode)}
      and used_at is null
    returning user_id`;
  return spent ? "recovery_code" : undefined;
}
