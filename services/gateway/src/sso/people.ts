import { randomUUID } from "node:crypto";
import { ApiError, recordEvent, type TransactionSql } from "@oryn/shared";
import { addMembership, lockMemberships } from "@oryn/shared/control-plane/tables/memberships";
import { findUserByEmail, insertUserIfAbsent } from "@oryn/shared/control-plane/tables/users";
import { linkExistingAccount } from "../accounts/link-account.ts";
import { type AuditContext, recordAuditEvent } from "../audit/audit-events.ts";
import { assertMemberCapAllows } from "../members/members.ts";
import type { ConnectionRow } from "./connections.ts";
import { roleForGroups } from "./group-roles.ts";

/** Who the IdP says signed in, once its answer has passed every check. */
export type SignedInPerson = { email: string; name: string; groups: string[] };

/**
 * Just-in-time provisioning: the first sign-in creates the account (its address counts as
 * verified: the IdP verified it, inside a domain the tenant proved it holds) and the membership,
 * with the role the person's groups map to, else the connection's default role. An existing account with that
 * address joins the tenant; a member stays as they are. An existing account whose address was
 * never verified is reset first (`linkExistingAccount`): its password, TOTP and sessions go.
 */
export async function provisionMember(
  tx: TransactionSql,
  connection: ConnectionRow,
  person: SignedInPerson,
  context: AuditContext,
): Promise<{ userId: string; created: boolean; joined: boolean }> {
  const tenantId = connection.tenantId;
  let created = false;
  let user = await findUserByEmail(tx, person.email);
  if (!user) {
    user = await insertUserIfAbsent(tx, {
      id: randomUUID(),
      email: person.email,
      name: person.name,
      passwordHash: null,
      emailVerified: true,
    });
    created = user !== undefined;
    // Created a moment ago by a signup or another sign-in: that account is the person's.
    user ??= await findUserByEmail(tx, person.email);
  }
  if (!user) throw new Error("the account vanished while signing in");
  if (!created) {
    // An account whose address was never proved loses its password, factors and sessions.
    await linkExistingAccount(tx, context, {
      userId: user.id,
      tenantId,
      via: "sso",
      markVerified: true,
    });
  }

  const memberships = await lockMemberships(tx, tenantId);
  if (memberships.some((membership) => membership.userId === user.id)) {
    return { userId: user.id, created, joined: false };
  }
  await assertMemberCapAllows(tx, tenantId, memberships.length);
  // The tenant's group mapping (/v1/sso/group-roles, shared with SCIM) decides where the IdP
  // sends groups; the connection's default role otherwise.
  const role = await roleForGroups(tx, tenantId, person.groups, connection.defaultRole);
  await addMembership(tx, { tenantId, userId: user.id, role });
  await recordAuditEvent(tx, context, {
    tenantId,
    actorId: user.id,
    action: "sso_member_added",
    entity: "user",
    entityId: user.id,
    data: {
      connectionId: connection.id,
      role,
      newUser: created,
      groups: person.groups.slice(0, 50),
    },
  });
  await recordEvent(tx, tenantId, "member.added", { userId: user.id, email: person.email, role });
  return { userId: user.id, created, joined: true };
}

/** A refusal the browser is sent back to the app with, as `?error=<reason>`. */
export class SignInRefused extends Error {
  readonly reason: string;
  constructor(reason: string, message: string) {
    super(message);
    this.name = "SignInRefused";
    this.reason = reason;
  }
}

/** The plan's member cap, met during a first sign-in, is a refusal like the others. */
export function refusalOf(error: unknown): SignInRefused | undefined {
  if (error instanceof SignInRefused) return error;
  if (error instanceof ApiError && error.code === "plan_limit_reached")
    return new SignInRefused("plan_limit_reached", error.message);
  return undefined;
}
