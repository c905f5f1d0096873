import { randomUUID } from "node:crypto";
import type { Sql, TransactionSql } from "@oryn/shared";
import { findMembershipRole } from "@oryn/shared/control-plane/tables/memberships";
import { lockTenant } from "@oryn/shared/control-plane/tables/tenants";
import { findUserByEmail, insertUserIfAbsent } from "@oryn/shared/control-plane/tables/users";
import { type ScimPatchOperation, scimPatch } from "scim-patch";
import { linkExistingAccount } from "../accounts/link-account.ts";
import { domainOfEmail } from "../domains/names.ts";
import { isDomainVerifiedByTenant } from "../domains/tenant-domains.ts";
import { ScimError } from "./errors.ts";
import { filterCondition, isUuid } from "./filter.ts";
import { recordScimEvent, type ScimContext, syncMembership } from "./memberships.ts";
import { patchFailure } from "./patch.ts";
import { listResponse, type ScimPage, userSchemaUrn } from "./resources.ts";
import { listScimGroupsOfUsers } from "./scim-groups.ts";
import {
  countScimUsersWhere,
  deleteScimUser,
  findScimUser,
  insertScimUser,
  isScimUser,
  isScimUserNameTaken,
  listScimUsersWhere,
  type ScimUserRow,
  updateScimUser,
} from "./scim-users.ts";

/** What a directory says about a user, read from a SCIM body (create, replace, patched). */
export type UserInput = {
  userName: string;
  externalId: string | null;
  displayName: string | null;
  givenName: string | null;
  familyName: string | null;
  active: boolean;
  email: string;
};

const emailPattern = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

function optionalText(value: unknown, name: string, max: number): string | null {
  if (value === undefined || value === null || value === "") return null;
  if (typeof value !== "string" || value.length > max || value.includes("\u0000")) {
    throw new ScimError(
      400,
      `${name} must be a string of at most ${max} characters`,
      "invalidValue",
    );
  }
  return value;
}

/** Entra ID sends booleans as the strings "True" and "False". */
function booleanOf(value: unknown): boolean {
  if (value === undefined || value === null) return true;
  if (typeof value === "boolean") return value;
  if (typeof value === "string" && /^(true|false)$/i.test(value)) {
    return value.toLowerCase() === "true";
  }
  throw new ScimError(400, "active must be true or false", "invalidValue");
}

export function userInputOf(body: unknown): UserInput {
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw new ScimError(400, "The body must be a SCIM User object", "invalidSyntax");
  }
  const user = body as Record<string, unknown>;
  const userName = optionalText(user.userName, "userName", 254)?.trim();
  if (!userName) throw new ScimError(400, "userName is required", "invalidValue");
  const name = (typeof user.name === "object" && user.name !== null ? user.name : {}) as Record<
    string,
    unknown
  >;
  const emails = Array.isArray(user.emails) ? (user.emails as Record<string, unknown>[]) : [];
  const primary =
    emails.find((email) => email?.primary === true || email?.primary === "True") ?? emails[0];
  const email = (typeof primary?.value === "string" ? primary.value : userName)
    .trim()
    .toLowerCase();
  if (!emailPattern.test(email) || email.length > 254) {
    throw new ScimError(
      400,
      "The user needs an email address: emails[primary] or a userName that is one",
      "invalidValue",
    );
  }
  return {
    userName,
    externalId: optionalText(user.externalId, "externalId", 500),
    displayName: optionalText(user.displayName, "displayName", 200),
    givenName: optionalText(name.givenName, "name.givenName", 200),
    familyName: optionalText(name.familyName, "name.familyName", 200),
    active: booleanOf(user.active),
    email,
  };
}

export function toScimUser(row: ScimUserRow, baseUrl: string, groups: GroupRef[] = []) {
  const formatted = [row.givenName, row.familyName].filter(Boolean).join(" ");
  return {
    schemas: [userSchemaUrn],
    id: row.userId,
    ...(row.externalId ? { externalId: row.externalId } : {}),
    userName: row.userName,
    name: {
      ...(formatted ? { formatted } : {}),
      ...(row.givenName ? { givenName: row.givenName } : {}),
      ...(row.familyName ? { familyName: row.familyName } : {}),
    },
    ...(row.displayName ? { displayName: row.displayName } : {}),
    emails: [{ value: row.email, type: "work", primary: true }],
    active: row.active,
    groups: groups.map((group) => ({
      value: group.id,
      display: group.displayName,
      $ref: `${baseUrl}/Groups/${group.id}`,
    })),
    meta: {
      resourceType: "User",
      created: row.createdAt.toISOString(),
      lastModified: row.updatedAt.toISOString(),
      location: `${baseUrl}/Users/${row.userId}`,
    },
  };
}

export type ScimUser = ReturnType<typeof toScimUser>;
type GroupRef = { id: string; displayName: string };

const userColumns = (sql: Sql | TransactionSql) => ({
  username: { column: sql`s.user_name`, type: "text" as const },
  externalid: { column: sql`s.external_id`, type: "text" as const },
  id: { column: sql`s.user_id`, type: "uuid" as const },
  displayname: { column: sql`s.display_name`, type: "text" as const },
  "name.givenname": { column: sql`s.given_name`, type: "text" as const },
  "name.familyname": { column: sql`s.family_name`, type: "text" as const },
  "emails.value": { column: sql`u.email`, type: "text" as const },
  emails: { column: sql`u.email`, type: "text" as const },
  // One email a user, the work one and primary: what `emails[type eq "work"]` asks for.
  "emails.type": { column: sql`'work'::text`, type: "text" as const },
  "emails.primary": { column: sql`true`, type: "boolean" as const },
  active: { column: sql`s.active`, type: "boolean" as const },
});

/** The groups of several users in one query, by user. */
async function groupsOf(
  sql: Sql | TransactionSql,
  tenantId: string,
  userIds: string[],
): Promise<Map<string, GroupRef[]>> {
  const rows = await listScimGroupsOfUsers(sql, tenantId, userIds);
  const byUser = new Map<string, GroupRef[]>();
  for (const { userId, ...group } of rows) {
    byUser.set(userId, [...(byUser.get(userId) ?? []), group]);
  }
  return byUser;
}

export async function getUser(
  sql: Sql | TransactionSql,
  context: ScimContext,
  id: string,
): Promise<ScimUser> {
  if (!isUuid(id)) throw new ScimError(404, `No user ${id.slice(0, 100)}`);
  const [row] = await listScimUsersWhere(sql, context.tenantId, sql`s.user_id = ${id}`, {
    offset: 0,
    limit: 1,
  });
  if (!row) throw new ScimError(404, `No user ${id.slice(0, 100)}`);
  const groups = await groupsOf(sql, context.tenantId, [row.userId]);
  return toScimUser(row, context.baseUrl, groups.get(row.userId));
}

export async function listUsers(
  sql: Sql,
  context: ScimContext,
  query: { filter: string | undefined; startIndex: number; count: number },
): Promise<ScimPage<ScimUser>> {
  const where = query.filter ? filterCondition(sql, query.filter, userColumns(sql)) : sql`true`;
  const total = await countScimUsersWhere(sql, context.tenantId, where);
  const rows =
    query.count === 0
      ? []
      : await listScimUsersWhere(sql, context.tenantId, where, {
          offset: query.startIndex - 1,
          limit: query.count,
        });
  const groups = await groupsOf(
    sql,
    context.tenantId,
    rows.map((row) => row.userId),
  );
  const users = rows.map((row) => toScimUser(row, context.baseUrl, groups.get(row.userId)));
  return listResponse(users, total, query.startIndex);
}

/**
 * A directory may only create or link accounts in a domain its tenant proved it holds (a
 * verified tenant domain, normalised as claimed domains are): otherwise any tenant's SCIM
 * token could pull any other person's account, another tenant's owner included, into its tenant.
 */
async function assertDomainVerified(tx: TransactionSql, tenantId: string, email: string) {
  const domain = domainOfEmail(email);
  const verified = domain ? await isDomainVerifiedByTenant(tx, tenantId, domain) : false;
  if (!verified) {
    throw new ScimError(
      400,
      `The user's email must be in one of the tenant's verified domains; ${JSON.stringify(
        (domain ?? email.slice(email.lastIndexOf("@") + 1)).slice(0, 253),
      )} is not (verify it under /v1/domains first)`,
      "invalidValue",
    );
  }
}

/**
 * Creates the directory's user in this tenant, for an email in one of its verified domains: a new account (without a password: it signs in by
 * SSO, or sets one by a password reset) for an
 * email Oryn does not know, or the existing account of that email, which then becomes a member
 * of this tenant only (reset first when its address was never verified: see
 * `linkExistingAccount`). What the directory says (userName, externalId, names) is kept per tenant.
 */
export async function createUser(
  tx: TransactionSql,
  context: ScimContext,
  input: UserInput,
): Promise<ScimUser> {
  const { tenantId } = context;
  await lockTenant(tx, tenantId);
  if (await isScimUserNameTaken(tx, tenantId, input.userName))
    throw new ScimError(409, "A user with this userName exists", "uniqueness");
  await assertDomainVerified(tx, tenantId, input.email);
  const name = (
    input.displayName ??
    ([input.givenName, input.familyName].filter(Boolean).join(" ") || input.userName)
  ).slice(0, 200);
  const created = await insertUserIfAbsent(tx, {
    id: randomUUID(),
    email: input.email,
    name,
    passwordHash: null,
    emailVerified: false,
  });
  const user = created ?? (await findUserByEmail(tx, input.email));
  if (!user) throw new Error("the user is neither new nor found");
  if (await isScimUser(tx, tenantId, user.id)) {
    throw new ScimError(409, "A user with this email exists in the directory", "uniqueness");
  }
  if (!created) {
    // An account whose address was never proved loses its password, factors and sessions.
    await linkExistingAccount(tx, context, {
      userId: user.id,
      tenantId,
      via: "scim",
      markVerified: false,
    });
  }
  const role = await findMembershipRole(tx, tenantId, user.id);
  await insertScimUser(tx, { ...input, tenantId, userId: user.id, baseRole: role ?? "member" });
  await recordScimEvent(tx, context, {
    action: "scim_user_created",
    entity: "scim_user",
    entityId: user.id,
    data: { userName: input.userName, externalId: input.externalId, newAccount: !!created },
  });
  await syncMembership(tx, context, user.id);
  return getUser(tx, context, user.id);
}

/**
 * Replaces what the directory says about a user (PUT, and PATCH once applied). The account's
 * email is not changed: it may be the same person's in other tenants.
 */
export async function replaceUser(
  tx: TransactionSql,
  context: ScimContext,
  id: string,
  input: UserInput,
): Promise<ScimUser> {
  const { tenantId } = context;
  await lockTenant(tx, tenantId);
  const before = await findScimUser(tx, tenantId, isUuid(id) ? id : null);
  if (!before) throw new ScimError(404, `No user ${id.slice(0, 100)}`);
  if (await isScimUserNameTaken(tx, tenantId, input.userName, before.userId))
    throw new ScimError(409, "A user with this userName exists", "uniqueness");
  await updateScimUser(tx, { ...input, tenantId, userId: before.userId });
  const action =
    before.active === input.active
      ? "scim_user_updated"
      : input.active
        ? "scim_user_reactivated"
        : "scim_user_deactivated";
  await recordScimEvent(tx, context, {
    action,
    entity: "scim_user",
    entityId: before.userId,
    data: { userName: input.userName, active: input.active },
  });
  await syncMembership(tx, context, before.userId);
  return getUser(tx, context, before.userId);
}

/** PATCH (RFC 7644 §3.5.2) applied by scim-patch to the user as we show it, then replaced. */
export async function patchUser(
  tx: TransactionSql,
  context: ScimContext,
  id: string,
  operations: ScimPatchOperation[],
): Promise<ScimUser> {
  const current = await getUser(tx, context, id);
  let patched: Record<string, unknown>;
  try {
    patched = scimPatch(structuredClone(current) as never, operations, {
      mutateDocument: false,
      treatMissingAsAdd: true,
    }) as unknown as Record<string, unknown>;
  } catch (error) {
    throw patchFailure(error);
  }
  // Path-less operations may name attributes with their schema URN, or a sub-attribute with a
  // dotted name (`name.givenName`), as Entra ID sends them.
  for (const [key, value] of Object.entries(patched)) {
    const short = key.replace(/^urn:ietf:params:scim:schemas:core:2\.0:User:/i, "");
    const [parent, child] = short.split(".");
    if (parent === "name" && child) {
      patched.name = { ...(patched.name as object), [child]: value };
    } else if (short !== key) {
      patched[short] = value;
    }
  }
  return replaceUser(tx, context, current.id, userInputOf({ ...patched, emails: current.emails }));
}

/** DELETE: the person leaves the tenant (sessions ended at once); their account stays. */
export async function deleteUser(tx: TransactionSql, context: ScimContext, id: string) {
  const { tenantId } = context;
  await lockTenant(tx, tenantId);
  const row = await findScimUser(tx, tenantId, isUuid(id) ? id : null);
  if (!row) throw new ScimError(404, `No user ${id.slice(0, 100)}`);
  await syncMembership(tx, context, row.userId, { removing: true });
  await deleteScimUser(tx, tenantId, row.userId);
  await recordScimEvent(tx, context, {
    action: "scim_user_deleted",
    entity: "scim_user",
    entityId: row.userId,
    data: { userName: row.userName },
  });
}
