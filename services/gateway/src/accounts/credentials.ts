import { ApiError, type MailRequest, type Sql, type TransactionSql } from "@oryn/shared";
import {
  findUserByEmail,
  findUserWithPasswordHash,
  replacePasswordHash,
  type UserContact,
} from "@oryn/shared/control-plane/tables/users";
import type { AuditContext } from "../audit/audit-events.ts";
import type { LoginLimiter } from "../auth/login-limiter.ts";
import type { Caller } from "../lib/request.ts";
import { verifyPassword } from "../passwords/passwords.ts";
import { greeting } from "./account-mail.ts";
import { mintAccountToken, spendAccountTokens } from "./account-tokens.ts";
import { endSessions } from "./end-sessions.ts";
import { type AccountTokenSettings, recordUserEvent } from "./verification.ts";

/** The caller's account, with the password hash they proved they know. */
type Account = UserContact & { passwordHash: string };

/**
 * The caller's account, once `password` proves it is theirs (401 `invalid_credentials`
 * otherwise), under the same guessing limits as login: a stolen access token must not become a
 * way to try passwords. Checked outside any transaction: argon2 takes tens of milliseconds.
 */
export async function provenAccount(
  deps: { sql: Sql; loginLimiter: LoginLimiter },
  caller: Caller,
  password: string,
): Promise<Account> {
  const account = await findUserWithPasswordHash(deps.sql, caller.principal.userId);
  if (!account) throw new ApiError("unauthorized");
  await deps.loginLimiter.assertAllowed(account.email, caller.ip);
  const { passwordHash } = account;
  // No hash (an SSO account) verifies nothing; the second test only tells the compiler so.
  if (!(await verifyPassword(passwordHash, password)) || passwordHash === null) {
    await deps.loginLimiter.failed(account.email, caller.ip);
    throw new ApiError("invalid_credentials", { detail: "The password is wrong" });
  }
  return { ...account, passwordHash };
}

/**
 * `POST /v1/me/password`: the new password is set, reset links mailed before are spent, and
 * every other session ends (the caller's own carries on: see `endSessions`). The race guard is
 * the old hash: a concurrent change or reset since the check wins, and this one is refused.
 */
export async function changePassword(
  tx: TransactionSql,
  caller: Caller,
  input: { account: Account; newPasswordHash: string },
): Promise<MailRequest[]> {
  const { account } = input;
  if (!(await replacePasswordHash(tx, account.id, account.passwordHash, input.newPasswordHash))) {
    throw new ApiError("invalid_credentials", { detail: "The password changed meanwhile" });
  }
  await spendAccountTokens(tx, account.id, ["reset_password"]);
  await endSessions(tx, account.id, { keepSession: caller.principal.sessionId });
  await recordUserEvent(tx, caller, account.id, "password_changed", {});
  return [
    { template: "password-changed-notice", to: account.email, data: { ...greeting(account.name) } },
  ];
}

/**
 * `POST /v1/me/email`: a confirmation link to the new address and a notice to the old one; the
 * address changes only when the link is followed (`verifyEmail`). An address another account
 * has is refused with 409 `email_taken`: the caller has proved their password, and the
 * confirmation would fail the same way later, so this says no more than the flow must.
 */
export async function requestEmailChange(
  tx: TransactionSql,
  context: AuditContext,
  settings: AccountTokenSettings,
  input: { account: Account; email: string },
): Promise<MailRequest[]> {
  const { account, email } = input;
  if (email === account.email) {
    throw new ApiError("validation_failed", {
      errors: [{ path: "email", message: "is already this account's address" }],
    });
  }
  if (await findUserByEmail(tx, email)) throw new ApiError("email_taken");
  // One change at a time: a newer request replaces the links of the one before.
  await spendAccountTokens(tx, account.id, ["change_email"]);
  const minted = await mintAccountToken(tx, {
    userId: account.id,
    purpose: "change_email",
    email,
    ttlSeconds: settings.changeEmailTtlSeconds,
  });
  await recordUserEvent(tx, context, account.id, "email_change_requested", { to: email });
  return [
    {
      template: "email-change-confirm",
      to: email,
      data: {
        token: minted.token,
        ...greeting(account.name),
        expiresAt: minted.expiresAt.toISOString(),
      },
      id: minted.id,
    },
    {
      template: "email-changed-notice",
      to: account.email,
      data: { newEmail: email, ...greeting(account.name) },
      id: `${minted.id}-notice`,
    },
  ];
}
