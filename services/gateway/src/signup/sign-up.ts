import { randomBytes, randomUUID } from "node:crypto";
import { ApiError, enqueue, type Logger, type Queues, type Sql } from "@oryn/shared";
import { type AuditContext, recordAuditEvent } from "../audit/audit-events.ts";
import { addMembership } from "../members/memberships.ts";
import { hashPassword } from "../passwords/passwords.ts";
import { issueTokens, type TokenSettings, type Tokens } from "../tokens/issue-tokens.ts";
import type { SignupInput } from "./schemas.ts";

export type SignupResult = {
  tenant: { id: string; slug: string; name: string; status: "provisioning" };
  user: { id: string; email: string; name: string };
  tokens: Tokens;
};

/**
 * Tenant, owner and membership are created in one transaction; the provisioning job is enqueued
 * only after it commits, so a job never looks for a tenant that a rollback took away.
 */
export async function signUp(deps: {
  sql: Sql;
  queues: Queues;
  tokens: TokenSettings;
  logger: Logger;
  input: SignupInput;
  context: AuditContext;
}): Promise<SignupResult> {
  const { input } = deps;
  const passwordHash = await hashPassword(input.owner.password);
  const tenantId = randomUUID();
  const userId = randomUUID();
  const slug = input.company.slug ?? slugFromName(input.company.name);

  const tokens = await deps.sql
    .begin(async (tx) => {
      await tx`insert into tenants (id, slug, name) values (${tenantId}, ${slug}, ${input.company.name})`;
      await tx`
        insert into users (id, email, name, password_hash)
        values (${userId}, ${input.owner.email}, ${input.owner.name}, ${passwordHash})`;
      const membershipVersion = await addMembership(tx, { tenantId, userId, role: "owner" });
      await recordAuditEvent(tx, deps.context, {
        tenantId,
        actorId: userId,
        action: "signed_up",
        entity: "tenant",
        entityId: tenantId,
        data: { slug },
      });
      return issueTokens(tx, deps.tokens, {
        userId,
        tenantId,
        role: "owner",
        membershipVersion,
      });
    })
    .catch((error: unknown) => {
      throw conflictOf(error) ?? error;
    });

  try {
    // Bounded: with Redis away, the answer must not hang on a job the sweep will enqueue anyway.
    await enqueue(
      deps.queues,
      "provisionTenant",
      { tenantId, requestId: deps.context.requestId },
      { timeoutMs: 2000 },
    );
  } catch (error) {
    // The tenant exists and stays `provisioning`; the provisioner's sweep re-enqueues it.
    deps.logger.error(
      { err: error, tenantId },
      "could not enqueue provisioning; the sweep will retry",
    );
  }

  return {
    tenant: { id: tenantId, slug, name: input.company.name, status: "provisioning" },
    user: { id: userId, email: input.owner.email, name: input.owner.name },
    tokens,
  };
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
