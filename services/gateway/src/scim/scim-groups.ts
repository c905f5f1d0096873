import type { Sql, SqlFragment, TransactionSql } from "@oryn/shared";
import type { Row } from "@oryn/shared/control-plane/schema";

/**
 * The `scim_groups` table: the groups a tenant's directory pushes over SCIM (their members are in
 * `scim_group_members`), which map to roles through `sso_group_roles`. Only the gateway's SCIM
 * API writes them; the provisioner deletes a deleted tenant's with the rest of it.
 */
export type ScimGroupRow = Pick<
  Row<"scim_groups">,
  "id" | "displayName" | "externalId" | "createdAt" | "updatedAt"
>;

type Db = Sql | TransactionSql;

/** The tenant's group (`id` null finds none); `lock`: its row locked for the transaction. */
export async function findScimGroup(
  sql: Db,
  tenantId: string,
  id: string | null,
  lock: boolean,
): Promise<ScimGroupRow | undefined> {
  const [row] = await sql<ScimGroupRow[]>`
    select id, display_name, external_id, created_at, updated_at from scim_groups g
    where tenant_id = ${tenantId} and id = ${id}
    ${lock ? sql`for update` : sql``}`;
  return row;
}

/** How many of the tenant's groups meet `where` (a condition on `g`, the group). */
export async function countScimGroupsWhere(
  sql: Sql,
  tenantId: string,
  where: SqlFragment,
): Promise<number> {
  const [total] = await sql<{ count: string }[]>`
    select count(*) from scim_groups g where g.tenant_id = ${tenantId} and ${where}`;
  return Number(total?.count ?? 0);
}

/** A page of the tenant's groups that meet `where`, oldest first. */
export async function listScimGroupsWhere(
  sql: Sql,
  tenantId: string,
  where: SqlFragment,
  page: { offset: number; limit: number },
): Promise<ScimGroupRow[]> {
  return sql<ScimGroupRow[]>`
          select id, display_name, external_id, created_at, updated_at from scim_groups g
          where g.tenant_id = ${tenantId} and ${where}
          order by g.created_at, g.id offset ${page.offset} limit ${page.limit}`;
}

/**
 * Whether the tenant has a group of this display name (whatever its case): any group, or another
 * than `exceptGroupId` (a rename keeping its own name).
 */
export async function isScimGroupNameTaken(
  tx: TransactionSql,
  tenantId: string,
  displayName: string,
  exceptGroupId?: string,
): Promise<boolean> {
  const [taken] = await tx`
    select 1 from scim_groups where tenant_id = ${tenantId}
      and lower(display_name) = ${displayName.toLowerCase()}
      ${exceptGroupId ? tx`and id <> ${exceptGroupId}` : tx``}`;
  return taken !== undefined;
}

export async function insertScimGroup(
  tx: TransactionSql,
  group: Pick<Row<"scim_groups">, "id" | "tenantId" | "displayName" | "externalId">,
): Promise<void> {
  await tx`
    insert into scim_groups (id, tenant_id, display_name, external_id)
    values (${group.id}, ${group.tenantId}, ${group.displayName}, ${group.externalId})`;
}

/**
 * Sets the group's display name and external id; `changed`: either differs from what it was
 * (undefined for no such group).
 */
export async function renameScimGroup(
  tx: TransactionSql,
  id: string,
  names: Pick<Row<"scim_groups">, "displayName" | "externalId">,
): Promise<{ changed: boolean } | undefined> {
  const [renamed] = await tx<{ changed: boolean }[]>`
    update scim_groups g set display_name = ${names.displayName}, external_id = ${names.externalId},
      updated_at = now()
    from (select display_name, external_id from scim_groups where id = ${id}) old
    where g.id = ${id}
    returning (old.display_name <> ${names.displayName}
               or old.external_id is distinct from ${names.externalId}) as changed`;
  return renamed;
}

/** Deletes the group (its members' rows go with it). */
export async function deleteScimGroup(tx: TransactionSql, id: string): Promise<void> {
  await tx`delete from scim_groups where id = ${id}`;
}

/** The group's members with their SCIM user names, by user name. */
export async function listScimGroupMembers(
  sql: Db,
  tenantId: string,
  groupId: string,
): Promise<Array<Pick<Row<"scim_users">, "userId" | "userName">>> {
  return sql<Array<Pick<Row<"scim_users">, "userId" | "userName">>>`
    select s.user_id, s.user_name
    from scim_group_members m
    join scim_users s on s.tenant_id = m.tenant_id and s.user_id = m.user_id
    where m.tenant_id = ${tenantId} and m.group_id = ${groupId} order by s.user_name`;
}

/** The ids of the group's members. */
export async function listScimGroupMemberIds(
  tx: TransactionSql,
  groupId: string,
): Promise<Pick<Row<"scim_group_members">, "userId">[]> {
  return tx<Pick<Row<"scim_group_members">, "userId">[]>`
    select user_id from scim_group_members where group_id = ${groupId}`;
}

/** Takes these users out of the group. */
export async function removeScimGroupMembers(
  tx: TransactionSql,
  groupId: string,
  userIds: string[],
): Promise<void> {
  await tx`delete from scim_group_members where group_id = ${groupId} and user_id = any(${userIds}::uuid[])`;
}

/** Puts these users, not yet members, in the group, one row each. */
export async function addScimGroupMembers(
  tx: TransactionSql,
  tenantId: string,
  groupId: string,
  userIds: string[],
): Promise<void> {
  for (const userId of userIds) {
    await tx`
      insert into scim_group_members (tenant_id, group_id, user_id)
      values (${tenantId}, ${groupId}, ${userId})`;
  }
}

/** The names of the tenant's groups the user is in: what their role is mapped from. */
export async function listScimGroupNamesOfUser(
  tx: TransactionSql,
  tenantId: string,
  userId: string,
): Promise<Pick<Row<"scim_groups">, "displayName" | "externalId">[]> {
  return tx<Pick<Row<"scim_groups">, "displayName" | "externalId">[]>`
    select g.display_name, g.external_id
    from scim_group_members m join scim_groups g on g.id = m.group_id
    where m.tenant_id = ${tenantId} and m.user_id = ${userId}`;
}

/** The groups of several of the tenant's users in one query, each row a user's group. */
export async function listScimGroupsOfUsers(
  sql: Db,
  tenantId: string,
  userIds: string[],
): Promise<Array<Pick<Row<"scim_groups">, "id" | "displayName"> & { userId: string }>> {
  return sql<Array<Pick<Row<"scim_groups">, "id" | "displayName"> & { userId: string }>>`
    select m.user_id, g.id, g.display_name
    from scim_group_members m join scim_groups g on g.id = m.group_id
    where m.tenant_id = ${tenantId} and m.user_id = any(${userIds}::uuid[])
    order by g.display_name`;
}
