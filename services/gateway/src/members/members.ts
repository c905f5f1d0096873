import {
  ApiError,
  idCursor,
  limitsOf,
  type Page,
  type Principal,
  pageOf,
  type Role,
  recordEvent,
  type Sql,
  type TransactionSql,
} from "@oryn/shared";
import {
  deleteMembership,
  listMembersAfter,
  lockMemberships,
  type Member as MemberRow,
  setMembershipRole,
} from "@oryn/shared/control-plane/tables/memberships";
import { findTenantPlan } from "@oryn/shared/control-plane/tables/tenants";
import { revokeAccess } from "../access/revocations.ts";
import { recordCallerEvent } from "../audit/audit-events.ts";
import type { Caller } from "../lib/request.ts";
import { revokeUserSessions } from "../tokens/refresh-tokens.ts";
import type { Member } from "./schemas.ts";

function toMember(row: MemberRow): Member {
  return { ...row, createdAt: row.createdAt.toISOString() };
}

/** Refuses a change that would leave the tenant without an owner (409). */
export function assertOwnerRemains(
  memberships: { userId: string; role: Role }[],
  change: { userId: string; newRole: Role | null },
): void {
  const owners = memberships.filter((member) =>
    member.userId === change.userId ? change.newRole === "owner" : member.role === "owner",
  );
  if (owners.length === 0) {
    throw new ApiError("last_owner", {
      detail: "A tenant needs at least one owner: make someone else owner first",
    });
  }
}

/**
 * Refuses a change that would take the tenant past its plan's member cap (402). Called with the
 * memberships locked, so concurrent acceptances are counted one after the other.
 */
export async function assertMemberCapAllows(
  tx: TransactionSql,
  tenantId: string,
  members: number,
): Promise<void> {
  const plan = (await findTenantPlan(tx, tenantId)) ?? "free";
  const cap = limitsOf(plan).members;
  if (members + 1 > cap) {
    throw new ApiError("plan_limit_reached", {
      detail: `The ${plan} plan allows ${cap} members`,
    });
  }
}

export async function listMembers(
  sql: Sql,
  tenantId: string,
  page: { limit: number; after: string | undefined },
): Promise<Page<Member>> {
  const rows = await listMembersAfter(sql, tenantId, page.after, page.limit + 1);
  return pageOf(rows, page.limit, (last) => idCursor.encode(last.userId), toMember);
}

/** Admins manage members and admins; owners are made and unmade by owners only. */
function assertMayTouch(actor: Principal, targetRole: Role, newRole?: Role): void {
  if ((targetRole === "owner" || newRole === "owner") && actor.role !== "owner") {
    throw new ApiError("forbidden", { detail: "Only owners make or change owners" });
  }
}

/**
 * Gives a member another role. Their tokens with the old role are revoked in the same
 * transaction (a refresh gives one with the new role); the tenant always keeps an owner.
 */
export async function changeMemberRole(
  tx: TransactionSql,
  caller: Caller,
  userId: string,
  role: Role,
): Promise<Member> {
  const { principal } = caller;
  const memberships = await lockMemberships(tx, principal.tenantId);
  const target = memberships.find((membership) => membership.userId === userId);
  if (!target) throw new ApiError("not_found");
  assertMayTouch(principal, target.role, role);
  assertOwnerRemains(memberships, { userId, newRole: role });
  const updated = await setMembershipRole(tx, principal.tenantId, userId, role);
  if (!updated) throw new ApiError("not_found");
  if (target.role !== role) {
    // Tokens carrying the old role stop working; a refresh gives one with the new role.
    await revokeAccess(tx, principal.tenantId, userId, Number(updated.version));
    await recordCallerEvent(tx, caller, {
      action: "member_role_changed",
      entity: "membership",
      entityId: userId,
      data: { from: target.role, to: role },
    });
    await recordEvent(tx, principal.tenantId, "member.role_changed", toMember(updated), {
      role: target.role,
    });
  }
  return toMember(updated);
}

/** Removes a member: their refresh tokens are revoked now, their access tokens by revocation. */
export async function removeMember(
  tx: TransactionSql,
  caller: Caller,
  userId: string,
): Promise<void> {
  const { principal } = caller;
  const memberships = await lockMemberships(tx, principal.tenantId);
  const target = memberships.find((membership) => membership.userId === userId);
  if (!target) throw new ApiError("not_found");
  assertMayTouch(principal, target.role);
  assertOwnerRemains(memberships, { userId, newRole: null });
  await deleteMembership(tx, principal.tenantId, userId);
  await revokeUserSessions(tx, principal.tenantId, userId);
  await revokeAccess(tx, principal.tenantId, userId);
  await recordCallerEvent(tx, caller, {
    action: "member_removed",
    entity: "membership",
    entityId: userId,
    data: { role: target.role },
  });
  await recordEvent(tx, principal.tenantId, "member.removed", { userId, role: target.role });
}
