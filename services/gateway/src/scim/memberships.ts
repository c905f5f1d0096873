import { type Role, recordEvent, type TransactionSql } from "@oryn/shared";
import {
  addMembership,
  deleteMembership,
  lockMemberships,
  setMembershipRole,
} from "@oryn/shared/control-plane/tables/memberships";
import { findTenant } from "@oryn/shared/control-plane/tables/tenants";
import { findUserContact } from "@oryn/shared/control-plane/tables/users";
import { revokeAccess } from "../access/revocations.ts";
import { type AuditContext, recordAuditEvent } from "../audit/audit-events.ts";
import { assertMemberCapAllows } from "../members/members.ts";
import { roleForGroups } from "../sso/group-roles.ts";
import { revokeUserSessions } from "../tokens/refresh-tokens.ts";
import { ScimError } from "./errors.ts";
import { listScimGroupNamesOfUser } from "./scim-groups.ts";
import { findScimUserRoles, setScimUserRoles } from "./scim-users.ts";

/** Who acts through /scim/v2: a tenant's token, from where, in which request. */
export type ScimContext = AuditContext & { tenantId: string; tokenId: string; baseUrl: string };

/** A SCIM change in the tenant's security log; the actor is the token. */
export function recordScimEvent(
  tx: TransactionSql,
  context: ScimContext,
  event: { action: string; entity: string; entityId: string; data?: Record<string, unknown> },
): Promise<void> {
  return recordAuditEvent(tx, context, {
    tenantId: context.tenantId,
    actorId: context.tokenId,
    ...event,
    data: { via: "scim", ...event.data },
  });
}

/**
 * Brings a directory user's membership in line with what the directory says: active users are
 * members with the role their groups map to (`roleForGroups`, falling back on their base role:
 * the one they had before the directory took them over, `member` for the ones it created, or
 * the one a person gave them by hand since); inactive ones are not
 * members at all, with their sessions in the tenant ended at once. The tenant's last owner is
 * never removed or demoted this way: removal answers 409, a demotion is skipped.
 */
export async function syncMembership(
  tx: TransactionSql,
  context: ScimContext,
  userId: string,
  options: { removing?: boolean } = {},
): Promise<void> {
  const { tenantId } = context;
  const memberships = await lockMemberships(tx, tenantId);
  const person = await findScimUserRoles(tx, tenantId, userId);
  const current = memberships.find((membership) => membership.userId === userId);
  const owners = memberships.filter((membership) => membership.role === "owner").length;
  // A role someone changed by hand (PATCH /v1/members) since the directory last set it is the
  // new baseline: the directory must not hand back a role an owner took away.
  let baseRole = person?.baseRole ?? "member";
  if (person && current && person.syncedRole !== null && current.role !== person.syncedRole) {
    baseRole = current.role;
  }
  const remember = (synced: Role | null) =>
    setScimUserRoles(tx, tenantId, userId, { baseRole, syncedRole: synced });
  const wanted = person?.active && !options.removing;
  if (!wanted) {
    if (!current) return;
    await remember(null);
    if (current.role === "owner" && owners <= 1) {
      throw new ScimError(
        409,
        "This user is the tenant's last owner: make someone else owner before deactivating or deleting them",
      );
    }
    await deleteMembership(tx, tenantId, userId);
    await endTenantSessions(tx, tenantId, userId);
    await recordScimEvent(tx, context, {
      action: "member_removed",
      entity: "membership",
      entityId: userId,
      data: { role: current.role },
    });
    await recordEvent(tx, tenantId, "member.removed", { userId, role: current.role });
    return;
  }
  const groups = await listScimGroupNamesOfUser(tx, tenantId, userId);
  const names = groups.flatMap((group) =>
    group.externalId ? [group.displayName, group.externalId] : [group.displayName],
  );
  const role = await roleForGroups(tx, tenantId, names, baseRole);
  if (!current) {
    // A restricted (unpaid) tenant gives nobody new access, as invitations and keys do not.
    const tenant = await findTenant(tx, tenantId);
    if (tenant?.status === "restricted") {
      throw new ScimError(
        403,
        "The tenant is restricted to reads until its overdue payment is made",
      );
    }
    await assertMemberCapAllows(tx, tenantId, memberships.length);
    await addMembership(tx, { tenantId, userId, role });
    await remember(role);
    await recordScimEvent(tx, context, {
      action: "member_added",
      entity: "membership",
      entityId: userId,
      data: { role },
    });
    // As an accepted invitation announces a member.
    const user = await findUserContact(tx, userId);
    await recordEvent(tx, tenantId, "member.added", { userId, email: user?.email, role });
    return;
  }
  // The last owner stays owner whatever the groups say; the directory cannot lock a tenant out.
  if (current.role === role || (current.role === "owner" && owners <= 1)) {
    await remember(current.role);
    return;
  }
  await remember(role);
  const updated = await setMembershipRole(tx, tenantId, userId, role);
  if (updated) await revokeAccess(tx, tenantId, userId, Number(updated.version));
  await recordScimEvent(tx, context, {
    action: "member_role_changed",
    entity: "membership",
    entityId: userId,
    data: { from: current.role, to: role },
  });
  await recordEvent(tx, tenantId, "member.role_changed", { userId, role }, { role: current.role });
}

/**
 * Ends a user's sessions in one tenant at once: refresh tokens revoked (their next refresh is a
 * 401) and a revocation written, so access tokens stop within one revocation poll.
 */
export async function endTenantSessions(
  tx: TransactionSql,
  tenantId: string,
  userId: string,
): Promise<void> {
  await revokeUserSessions(tx, tenantId, userId);
  await revokeAccess(tx, tenantId, userId);
}
