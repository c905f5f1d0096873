import { randomUUID } from "node:crypto";
import type { Sql, TransactionSql } from "@oryn/shared";
import { lockTenant } from "@oryn/shared/control-plane/tables/tenants";
import { type ScimPatchOperation, scimPatch } from "scim-patch";
import { ScimError } from "./errors.ts";
import { filterCondition, isUuid } from "./filter.ts";
import { recordScimEvent, type ScimContext, syncMembership } from "./memberships.ts";
import { patchFailure } from "./patch.ts";
import { groupSchemaUrn, listResponse, type ScimPage } from "./resources.ts";
import {
  addScimGroupMembers,
  countScimGroupsWhere,
  deleteScimGroup,
  findScimGroup,
  insertScimGroup,
  isScimGroupNameTaken,
  listScimGroupMemberIds,
  listScimGroupMembers,
  listScimGroupsWhere,
  removeScimGroupMembers,
  renameScimGroup,
  type ScimGroupRow,
} from "./scim-groups.ts";
import { findScimUserIds } from "./scim-users.ts";

type MemberRef = { value: string; display: string; $ref: string };

export type GroupInput = { displayName: string; externalId: string | null; members: string[] };

export function groupInputOf(body: unknown): GroupInput {
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw new ScimError(400, "The body must be a SCIM Group object", "invalidSyntax");
  }
  const group = body as Record<string, unknown>;
  const displayName = typeof group.displayName === "string" ? group.displayName.trim() : "";
  if (!displayName || displayName.length > 256 || displayName.includes("\u0000")) {
    throw new ScimError(400, "displayName is required (at most 256 characters)", "invalidValue");
  }
  const externalId = group.externalId;
  if (externalId != null && (typeof externalId !== "string" || externalId.length > 500)) {
    throw new ScimError(400, "externalId must be a string", "invalidValue");
  }
  const members = group.members ?? [];
  if (!Array.isArray(members) || members.length > 10_000) {
    throw new ScimError(400, "members must be a list (of at most 10000)", "invalidValue");
  }
  const ids = members.map((member: unknown) => {
    const value = (member as { value?: unknown } | null)?.value;
    if (typeof value !== "string") {
      throw new ScimError(400, "Each member needs a value (a user's id)", "invalidValue");
    }
    return value.toLowerCase();
  });
  return { displayName, externalId: externalId || null, members: [...new Set(ids)] };
}

const groupColumns = (sql: Sql | TransactionSql) => ({
  displayname: { column: sql`g.display_name`, type: "text" as const },
  externalid: { column: sql`g.external_id`, type: "text" as const },
  id: { column: sql`g.id`, type: "uuid" as const },
});

async function membersOf(sql: Sql | TransactionSql, context: ScimContext, groupId: string) {
  const rows = await listScimGroupMembers(sql, context.tenantId, groupId);
  return rows.map(
    (row): MemberRef => ({
      value: row.userId,
      display: row.userName,
      $ref: `${context.baseUrl}/Users/${row.userId}`,
    }),
  );
}

function toScimGroup(row: ScimGroupRow, context: ScimContext, members: MemberRef[] | undefined) {
  return {
    schemas: [groupSchemaUrn],
    id: row.id,
    displayName: row.displayName,
    ...(row.externalId ? { externalId: row.externalId } : {}),
    ...(members ? { members } : {}),
    meta: {
      resourceType: "Group",
      created: row.createdAt.toISOString(),
      lastModified: row.updatedAt.toISOString(),
      location: `${context.baseUrl}/Groups/${row.id}`,
    },
  };
}

export type ScimGroup = ReturnType<typeof toScimGroup>;

async function groupRow(sql: Sql | TransactionSql, tenantId: string, id: string, lock = false) {
  const row = await findScimGroup(sql, tenantId, isUuid(id) ? id : null, lock);
  if (!row) throw new ScimError(404, `No group ${id.slice(0, 100)}`);
  return row;
}

export async function getGroup(
  sql: Sql | TransactionSql,
  context: ScimContext,
  id: string,
  options: { members?: boolean } = {},
): Promise<ScimGroup> {
  const row = await groupRow(sql, context.tenantId, id);
  const members = options.members === false ? undefined : await membersOf(sql, context, row.id);
  return toScimGroup(row, context, members);
}

export async function listGroups(
  sql: Sql,
  context: ScimContext,
  query: { filter: string | undefined; startIndex: number; count: number; members: boolean },
): Promise<ScimPage<ScimGroup>> {
  const where = query.filter ? filterCondition(sql, query.filter, groupColumns(sql)) : sql`true`;
  const total = await countScimGroupsWhere(sql, context.tenantId, where);
  const rows =
    query.count === 0
      ? []
      : await listScimGroupsWhere(sql, context.tenantId, where, {
          offset: query.startIndex - 1,
          limit: query.count,
        });
  const groups = [];
  for (const row of rows) {
    const members = query.members ? await membersOf(sql, context, row.id) : undefined;
    groups.push(toScimGroup(row, context, members));
  }
  return listResponse(groups, total, query.startIndex);
}

/** Members must be this tenant's directory users: another tenant's ids are simply unknown. */
async function assertMembersKnown(tx: TransactionSql, tenantId: string, members: string[]) {
  if (members.length === 0) return;
  const known = await findScimUserIds(tx, tenantId, members.filter(isUuid));
  if (known.length !== members.length) {
    const found = new Set(known.map((row) => row.userId));
    const missing = members.find((member) => !found.has(member)) ?? "";
    throw new ScimError(400, `No user ${missing.slice(0, 100)} in this directory`, "invalidValue");
  }
}

async function setGroup(
  tx: TransactionSql,
  context: ScimContext,
  groupId: string,
  input: GroupInput,
  action: string,
): Promise<ScimGroup> {
  const { tenantId } = context;
  if (await isScimGroupNameTaken(tx, tenantId, input.displayName, groupId))
    throw new ScimError(409, "A group with this displayName exists", "uniqueness");
  await assertMembersKnown(tx, tenantId, input.members);
  const before = await listScimGroupMemberIds(tx, groupId);
  const renamed = await renameScimGroup(tx, groupId, input);
  const had = new Set(before.map((row) => row.userId));
  const wants = new Set(input.members);
  const added = input.members.filter((member) => !had.has(member));
  const removed = [...had].filter((member) => !wants.has(member));
  if (removed.length > 0) await removeScimGroupMembers(tx, groupId, removed);
  await addScimGroupMembers(tx, tenantId, groupId, added);
  await recordScimEvent(tx, context, {
    action,
    entity: "scim_group",
    entityId: groupId,
    data: { displayName: input.displayName, added, removed },
  });
  // A rename changes what the group maps to for every member; otherwise only the moved ones.
  const affected = renamed?.changed ? [...new Set([...had, ...wants])] : [...added, ...removed];
  for (const userId of affected) await syncMembership(tx, context, userId);
  return getGroup(tx, context, groupId);
}

export async function createGroup(
  tx: TransactionSql,
  context: ScimContext,
  input: GroupInput,
): Promise<ScimGroup> {
  await lockTenant(tx, context.tenantId);
  if (await isScimGroupNameTaken(tx, context.tenantId, input.displayName))
    throw new ScimError(409, "A group with this displayName exists", "uniqueness");
  const id = randomUUID();
  await insertScimGroup(tx, {
    id,
    tenantId: context.tenantId,
    displayName: input.displayName,
    externalId: input.externalId,
  });
  return setGroup(tx, context, id, input, "scim_group_created");
}

export async function replaceGroup(
  tx: TransactionSql,
  context: ScimContext,
  id: string,
  input: GroupInput,
): Promise<ScimGroup> {
  await lockTenant(tx, context.tenantId);
  const row = await groupRow(tx, context.tenantId, id, true);
  return setGroup(tx, context, row.id, input, "scim_group_updated");
}

/**
 * PATCH as Okta and Entra ID send it: `add` to `members`, `remove` with a `members[value eq
 * "…"]` path (Okta) or with a `value` list (Entra ID), path-less `replace` of displayName.
 * scim-patch applies the operations to the group as we show it; the difference is stored.
 */
export async function patchGroup(
  tx: TransactionSql,
  context: ScimContext,
  id: string,
  operations: ScimPatchOperation[],
): Promise<ScimGroup> {
  await lockTenant(tx, context.tenantId);
  const row = await groupRow(tx, context.tenantId, id, true);
  const current = toScimGroup(row, context, await membersOf(tx, context, row.id));
  let patched: Record<string, unknown>;
  try {
    patched = scimPatch(structuredClone(current) as never, memberRemovals(operations), {
      mutateDocument: false,
      treatMissingAsAdd: true,
    }) as unknown as Record<string, unknown>;
  } catch (error) {
    throw patchFailure(error);
  }
  return setGroup(tx, context, row.id, groupInputOf(patched), "scim_group_updated");
}

export async function deleteGroup(tx: TransactionSql, context: ScimContext, id: string) {
  await lockTenant(tx, context.tenantId);
  const row = await groupRow(tx, context.tenantId, id, true);
  const members = await listScimGroupMemberIds(tx, row.id);
  await deleteScimGroup(tx, row.id);
  await recordScimEvent(tx, context, {
    action: "scim_group_deleted",
    entity: "scim_group",
    entityId: row.id,
    data: { displayName: row.displayName },
  });
  for (const { userId } of members) await syncMembership(tx, context, userId);
}

/**
 * Entra ID removes members with `{op: "Remove", path: "members", value: [{value}]}`; scim-patch
 * removes only items equal to the whole given object, so each becomes a `members[value eq …]`.
 */
function memberRemovals(operations: ScimPatchOperation[]): ScimPatchOperation[] {
  return operations.flatMap((operation): ScimPatchOperation[] => {
    if (
      operation.op.toLowerCase() !== "remove" ||
      operation.path?.toLowerCase() !== "members" ||
      !Array.isArray(operation.value)
    ) {
      return [operation];
    }
    return operation.value.map((member: unknown) => {
      const value = (member as { value?: unknown } | null)?.value;
      if (typeof value !== "string") {
        throw new ScimError(400, "Each member to remove needs a value", "invalidValue");
      }
      return {
        op: "remove" as const,
        path: `members[value eq ${JSON.stringify(value.toLowerCase())}]`,
      };
    });
  });
}
