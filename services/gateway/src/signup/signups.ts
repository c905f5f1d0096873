import { randomBytes, randomUUID } from "node:crypto";
import {
  ApiError,
  enqueue,
  type Logger,
  type MailRequest,
  type Queues,
  type Sql,
  type TransactionSql,
} from "@oryn/shared";
import { addMembership } from "@oryn/shared/control-plane/tables/memberships";
import { insertTenant } from "@oryn/shared/control-plane/tables/tenants";
import { insertUser } from "@oryn/shared/control-plane/tables/users";
import { sendAfterCommit } from "../accounts/account-mail.ts";
import { type AuditContext, recordAuditEvent } from "../audit/audit-events.ts";
import { issueTokens, type TokenSettings, type Tokens, tokensFor } from "../tokens/issue-tokens.ts";

export type SignupResult = {
  tenant: { id: string; slug: string; name: string; status: "provisioning" };
  user: { id: string; email: string; name: string };
  tokens: Tokens;
};

/** What a signup creates: the password arrives hashed (argon2 runs outside transactions). */
export type NewSignup = {
  company: { name: string; slug?: string | undefined };
  owner: { email: string; name: string };
  passwordHash: string;
};

/**
 * Tenant, owner and membership, created in the caller's transaction. A slug or email already
 * taken is a 409 naming which (the transaction is rolled back with it).
 */
export async function signUp(
  tx: TransactionSql,
  tokens: TokenSettings,
  context: AuditContext,
  input: NewSignup,
): Promise<SignupResult> {
  const tenantId = randomUUID();
  const userId = randomUUID();
  const slug = input.company.slug ?? slugFromName(input.company.name);
  try {
    // The user first: a taken email is answered `email_taken` whatever the slug, so signing up
    // with someone else's address cannot be used to learn which slugs exist (issue 21).
    await insertUser(tx, {
      id: userId,
      email: input.owner.email,
      name: input.owner.name,
      passwordHash: input.passwordHash,
    });
    await insertTenant(tx, { id: tenantId, slug, name: input.company.name });
  } catch (error) {
    throw conflictOf(error) ?? error;
  }
  const membershipVersion = await addMembership(tx, { tenantId, userId, role: "owner" });
  await recordAuditEvent(tx, context, {
    tenantId,
    actorId: userId,
    action: "signed_up",
    entity: "tenant",
    entityId: tenantId,
    data: { slug },
  });
  return {
    tenant: { id: tenantId, slug, name: input.company.name, status: "provisioning" },
    user: { id: userId, email: input.owner.email, name: input.owner.name },
    tokens: await issueTokens(
      tx,
      tokens,
      {
        userId,
        tenantId,
        role: "owner",
        membershipVersion,
      },
      context,
    ),
  };
}

/** A committed signup as an idempotency key keeps it: tokens are never stored. */
export type StoredSignup = Omit<SignupResult, "tokens">;

/** What only the request that made the signup has: its tokens and the mail to send. */
export type FreshSignup = { tokens: Tokens; mail: MailRequest[] };

/**
 * After the commit of a signup (or of its replay): the provisioning job and the mail, for the
 * request that made it; fresh tokens for a replay, which proved the password (the fingerprint
 * covers the body) as a login would, rather than tokens kept from the first answer.
 */
export async function afterSignup(
  deps: { sql: Sql; queues: Queues; tokens: TokenSettings },
  logger: Logger,
  context: AuditContext,
  signup: StoredSignup,
  fresh: FreshSignup | undefined,
): Promise<SignupResult> {
  if (fresh) {
    // Only after the commit, so a job never looks for a tenant that a rollback took away.
    // Side by side: with Redis away, each waits its bound, and the answer waits one of them.
    await Promise.all([
      enqueueProvisioning(deps.queues, logger, signup.tenant.id, context.requestId),
      sendAfterCommit({ queues: deps.queues, logger }, fresh.mail),
    ]);
  }
  const tokens =
    fresh?.tokens ??
    (await tokensFor(
      deps.sql,
      deps.tokens,
      { userId: signup.user.id, tenantId: signup.tenant.id },
      context,
    ));
  return { ...signup, tokens };
}

/**
 * Asks the provisioner for the tenant's database. Bounded: with Redis away, the answer must not
 * hang on a job the provisioner's sweep enqueues anyway (the tenant stays `provisioning` until
 * then).
 */
export async function enqueueProvisioning(
  queues: Queues,
  logger: Logger,
  tenantId: string,
  requestId: string,
): Promise<void> {
  try {
    await enqueue(queues, "provisionTenant", { tenantId, requestId }, { timeoutMs: 2000 });
  } catch (error) {
    logger.error({ err: error, tenantId }, "could not enqueue provisioning; the sweep will retry");
  }
}

function conflictOf(error: unknown): ApiError | undefined {
  const pg = error as { code?: string; constraint_name?: string };
  if (pg.code !== "23505") return undefined;
  if (pg.constraint_name === "tenants_slug_key") return new ApiError("slug_taken");
  if (pg.constraint_name === "users_email_key") return new ApiError("email_taken");
  return undefined;
}

/**
 * A slug from the company name when none was chosen: ASCII letters and digits only, with a short
 * random suffix so two companies of one name both get in.
 */
export function slugFromName(name: string): string {
  const base = name
    .normalize("NFKD")
    .replace(/\p{M}/gu, "")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 30)
    .replace(/-+$/, "");
  const suffix = randomBytes(3).toString("hex");
  return base ? `${base}-${suffix}` : `tenant-${suffix}`;
}
