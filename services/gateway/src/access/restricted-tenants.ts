import { ApiError, type Principal, type Sql } from "@oryn/shared";
import { findTenant } from "@oryn/shared/control-plane/tables/tenants";
import { assertEmailVerified } from "../accounts/verification.ts";

/**
 * A restricted (unpaid) tenant is read-only, at the gateway as in workspace: no one is given new
 * access (invitations, API keys, roles) until the payment is made. Removing access (revoking an
 * invitation, deleting a key, removing a member) stays allowed: it is how a tenant cleans up.
 */
export async function assertTenantWritable(sql: Sql, tenantId: string): Promise<void> {
  const tenant = await findTenant(sql, tenantId);
  if (tenant?.status === "restricted") {
    throw new ApiError("tenant_restricted", {
      detail: "The tenant is restricted to reads until its overdue payment is made",
    });
  }
}

/**
 * Handing out access (an invitation, an API key): only a person whose address is proved
 * (`assertEmailVerified`), and only in a tenant that is not restricted.
 */
export async function assertMayHandOutAccess(sql: Sql, principal: Principal): Promise<void> {
  await assertEmailVerified(sql, principal);
  await assertTenantWritable(sql, principal.tenantId);
}
