import { ApiError, type Sql, type TransactionSql } from "@oryn/shared";
import { domainOfEmail } from "../domains/names.ts";
import { findSsoEnforcingDomainTenant } from "../domains/tenant-domains.ts";

/**
 * Whether a person must sign in by SSO: their address is in a domain verified by a tenant whose
 * enabled connection has `enforce` on, and they own no tenant. Owners keep a password: the
 * enforcing tenant's as break-glass, for the day the IdP is down or misconfigured, and any other
 * tenant's, which the enforcing company's policy must not lock its owner out of. A tenant being
 * deleted (or deleted) enforces nothing. Returns the enforcing tenant.
 */
export async function ssoRequiredFor(
  sql: Sql | TransactionSql,
  person: { userId: string; email: string },
): Promise<string | undefined> {
  const domain = domainOfEmail(person.email);
  if (!domain) return undefined;
  const row = await findSsoEnforcingDomainTenant(sql, domain, person.userId);
  return row && !row.owner ? row.tenantId : undefined;
}

export const ssoRequired = () =>
  new ApiError("sso_required", {
    detail: "Your organisation requires single sign-on: sign in through GET /v1/sso/authorize",
  });
