import { randomUUID } from "node:crypto";
import {
  ApiError,
  type Logger,
  type MailRequest,
  type Queues,
  type Sql,
  type TransactionSql,
} from "@oryn/shared";
import { findUserByEmail, markEmailVerified } from "@oryn/shared/control-plane/tables/users";
import { greeting, mailLineOr, sendAfterCommit } from "../accounts/account-mail.ts";
import { hashAccountToken } from "../accounts/account-tokens.ts";
import type { AuditContext } from "../audit/audit-events.ts";
import { newSecretToken } from "../lib/secret-tokens.ts";
import type { TokenSettings } from "../tokens/issue-tokens.ts";
import type { SignupInput } from "./schemas.ts";
import { type SignupResult, signUp } from "./signups.ts";

/**
 * Signups confirmed by mail (SIGNUP_CONFIRMATION=email). The request is answered before the
 * address is looked up, as a forgotten password is: the lookup, the pending row and the mail run
 * after the answer, so neither the answer nor its time depends on whether the address has an
 * account. A new address is mailed a link whose token `POST /v1/signup/confirm` takes; an address
 * with an account is mailed a notice instead. Nothing but the pending row exists until the link is
 * followed: no user, no tenant, no database.
 */

const tokenPrefix = "osu_";

type RequestDeps = { sql: Sql; queues: Queues; logger: Logger; ttlSeconds: number };

/** The detached half of a signup request; returns the work, for callers that want to wait. */
export function requestSignup(
  deps: RequestDeps,
  context: AuditContext,
  input: SignupInput & { passwordHash: string },
): Promise<void> {
  return mailFor(deps, input)
    .then((mail) => sendAfterCommit(deps, mail))
    .catch((error: unknown) => {
      deps.logger.error({ err: error, requestId: context.requestId }, "a signup was not mailed");
    });
}

async function mailFor(
  deps: RequestDeps,
  input: SignupInput & { passwordHash: string },
): Promise<MailRequest[]> {
  const { owner, company } = input;
  const companyName = mailLineOr(company.name, "your company");
  return deps.sql.begin(async (tx) => {
    const existing = await findUserByEmail(tx, owner.email);
    if (existing) {
      return [
        {
          template: "signup-existing-account",
          to: owner.email,
          data: { ...greeting(existing.name), companyName },
          id: randomUUID(),
        },
      ];
    }
    const id = randomUUID();
    const token = newSecretToken(tokenPrefix);
    const [row] = await tx<{ expiresAt: Date }[]>`
      insert into pending_signups
        (id, email, owner_name, password_hash, company_name, company_slug, token_hash, expires_at)
      values (${id}, ${owner.email}, ${owner.name}, ${input.passwordHash}, ${company.name},
              ${company.slug ?? null}, ${hashAccountToken(token)},
              now() + make_interval(secs => ${deps.ttlSeconds}))
      returning expires_at`;
    if (!row) throw new Error("insert returned nothing");
    // Rows a day past their expiry go a few at a time, so the table stays small without a job.
    await tx`
      delete from pending_signups where ctid = any(array(
        select ctid from pending_signups where expires_at < now() - interval '1 day' limit 20))`;
    return [
      {
        template: "confirm-signup",
        to: owner.email,
        data: {
          token,
          ...greeting(owner.name),
          companyName,
          expiresAt: row.expiresAt.toISOString(),
        },
        id,
      },
    ];
  });
}

/**
 * `POST /v1/signup/confirm`: spends the link's token (its row goes, the password hash with it:
 * the account holds it now) and signs the company up as it was asked,
 * the owner's address proved by the link. A slug taken since (or `slug` given here) is a 409 that
 * leaves the token unspent, so the person can choose another; an address that got an account
 * since is a 409 `email_taken` (only the address's reader holds the token, so nothing leaks).
 */
export async function confirmSignup(
  tx: TransactionSql,
  tokens: TokenSettings,
  context: AuditContext,
  input: { token: string; slug?: string | undefined },
): Promise<SignupResult> {
  const [pending] = await tx<
    {
      email: string;
      ownerName: string;
      passwordHash: string;
      companyName: string;
      companySlug: string | null;
    }[]
  >`
    delete from pending_signups
    where token_hash = ${hashAccountToken(input.token)} and used_at is null and expires_at > now()
    returning email, owner_name, password_hash, company_name, company_slug`;
  if (!pending) {
    throw new ApiError("invalid_token", {
      detail: "The link is unknown, used or expired: sign up again",
    });
  }
  const slug = input.slug ?? pending.companySlug ?? undefined;
  const result = await signUp(tx, tokens, context, {
    company: { name: pending.companyName, ...(slug ? { slug } : {}) },
    owner: { email: pending.email, name: pending.ownerName },
    passwordHash: pending.passwordHash,
  });
  await markEmailVerified(tx, result.user.id);
  return result;
}
