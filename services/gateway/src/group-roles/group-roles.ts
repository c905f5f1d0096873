import { ApiError, type TransactionSql } from "@oryn/shared";
import { lockTenant } from "@oryn/shared/control-plane/tables/tenants";
import { recordCallerEvent } from "../audit/audit-events.ts";
import type { Caller } from "../lib/request.ts";
import { syncMembership } from "../scim/memberships.ts";
import { listActiveScimUserIds } from "../scim/scim-users.ts";
import { type GroupRole, replaceGroupRoles } from "../sso/group-roles.ts";

/**
 * Replaces the tenant's group → role mapping and applies it at once to the people the directory
 * (SCIM) manages; SSO sign-ins read it at their next sign-in.
 */
export async function setGroupRoles(
  tx: TransactionSql,
  caller: Caller,
  items: GroupRole[],
): Promise<GroupRole[]> {
  const { tenantId } = caller.principal;
  const seen = new Set<string>();
  const errors = [];
  for (const [index, item] of items.entries()) {
    const key = item.group.toLowerCase();
    if (seen.has(key)) errors.push({ path: `items.${index}.group`, message: "named twice" });
    seen.add(key);
  }
  if (errors.length > 0) throw new ApiError("validation_failed", { errors });
  await lockTenant(tx, tenantId);
  const { before, after } = await replaceGroupRoles(tx, tenantId, items);
  await recordCallerEvent(tx, caller, {
    action: "sso_group_roles_changed",
    entity: "sso_group_roles",
    entityId: tenantId,
    data: { before, after },
  });
  const people = await listActiveScimUserIds(tx, tenantId);
  const context = { ...caller, tenantId, tokenId: caller.principal.userId, baseUrl: "" };
  for (const { userId } of people) await syncMembership(tx, context, userId);
  return after;
}
