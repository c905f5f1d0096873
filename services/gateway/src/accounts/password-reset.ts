import {
  ApiError,
  type Logger,
  type MailRequest,
  type Queues,
  type Sql,
  type TransactionSql,
} from "@oryn/shared";
import { findUserByEmail, resetPasswordHash } from "@oryn/shared/control-plane/tables/users";
import type { AuditContext } from "../audit/audit-events.ts";
import { ssoRequired, ssoRequiredFor } from "../sso/enforcement.ts";
import { greeting, sendAfterCommit } from "./account-mail.ts";
import { mintAccountToken, redeemAccountToken, spendAccountTokens } from "./account-tokens.ts";
import { endSessions } from "./end-sessions.ts";
import type { ResetLimiter } from "./reset-limiter.ts";
import { type AccountTokenSettings, recordUserEvent } from "./verification.ts";

type ForgotDeps = {
  sql: Sql;
  queues: Queues;
  logger: Logger;
  resetLimiter: ResetLimiter;
  accountTokens: AccountTokenSettings;
};

/**
 * `POST /v1/auth/password/forgot`: the answer (202) is given before anything about the address
 * is looked up. The lookup, the token and the mail happen after it, detached from the request, so
 * the answer's content and its time are the same whether or not the address has an account: no
 * decoy work to keep in step, no constant delay to tune against a loaded server. The limits are
 * counted first, for every address alike. The returned promise is the detached work (tests wait
 * on the mail instead).
 */
export async function forgotPassword(
  deps: ForgotDeps,
  context: AuditContext,
  email: string,
): Promise<{ detached: Promise<void> }> {
  await deps.resetLimiter.consume(email, context.ip);
  const detached = sendResetLink(deps, context, email).catch((error: unknown) => {
    deps.logger.error({ err: error, requestId: context.requestId }, "could not send a reset link");
  });
  return { detached };
}

async function sendResetLink(deps: ForgotDeps, context: AuditContext, email: string) {
  const mail = await deps.sql.begin(async (tx) => {
    const user = await findUserByEmail(tx, email);
    if (!user) return [];
    // A person who must use SSO gets no link: a password would be of no use to them.
    if (await ssoRequiredFor(tx, { userId: user.id, email })) {
      await recordUserEvent(tx, context, user.id, "password_reset_refused", {
        reason: "sso_required",
      });
      return [];
    }
    const minted = await mintAccountToken(tx, {
      userId: user.id,
      purpose: "reset_password",
      email,
      ttlSeconds: deps.accountTokens.resetPasswordTtlSeconds,
    });
    await recordUserEvent(tx, context, user.id, "password_reset_requested", {});
    return [
      {
        template: "reset-password",
        to: email,
        data: {
          token: minted.token,
          ...greeting(user.name),
          expiresAt: minted.expiresAt.toISOString(),
        },
        id: minted.id,
      } satisfies MailRequest,
    ];
  });
  await sendAfterCommit(deps, mail);
}

/**
 * `POST /v1/auth/password/reset`: the token is spent, the password set, every other reset link
 * spent, and every session of the user in every tenant ended. The link reached the address, so
 * the address counts as verified. Answers the notice to send after the commit.
 */
export async function resetPassword(
  tx: TransactionSql,
  context: AuditContext,
  input: { token: string; passwordHash: string },
): Promise<{ email: string; mail: MailRequest[] }> {
  const redeemed = await redeemAccountToken(tx, input.token, ["reset_password"]);
  // A link mailed before the tenant required SSO does not set a password after.
  if (await ssoRequiredFor(tx, { userId: redeemed.userId, email: redeemed.email })) {
    throw ssoRequired();
  }
  const user = await resetPasswordHash(tx, {
    id: redeemed.userId,
    email: redeemed.email,
    passwordHash: input.passwordHash,
  });
  if (!user) {
    // The account has moved to another address since the link was mailed.
    throw new ApiError("invalid_token", {
      detail: "The link is for an address this account no longer has",
    });
  }
  await spendAccountTokens(tx, redeemed.userId, ["reset_password"]);
  await endSessions(tx, redeemed.userId);
  await recordUserEvent(tx, context, redeemed.userId, "password_reset", {});
  return {
    email: user.email,
    mail: [
      { template: "password-changed-notice", to: user.email, data: { ...greeting(user.name) } },
    ],
  };
}
