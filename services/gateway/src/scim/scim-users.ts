import type { Sql, SqlFragment, TransactionSql } from "@oryn/shared";
import type { Row } from "@oryn/shared/control-plane/schema";

/**
 * The `scim_users` table: what a tenant's directory says of each person it pushed over SCIM
 * (userName, names, active) and the role it last set (`synced_role`) over the one the person
 * had (`base_role`). The gateway's SCIM API writes them, and its group-role mapping re-syncs
 * their memberships; the provisioner deletes a deleted tenant's with the rest of it.
 */

/** What a directory says of a person: the columns SCIM writes and shows. */
type DirectoryColumns =
  | "userId"
  | "userName"
  | "externalId"
  | "displayName"
  | "givenName"
  | "familyName"
  | "active";

/** A directory user as SCIM shows it: its `scim_users` row and the account's email. */
export type ScimUserRow = Pick<Row<"scim_users">, DirectoryColumns | "createdAt" | "updatedAt"> &
  Pick<Row<"users">, "email">;

type Db = Sql | TransactionSql;

/** What the directory says of a user in the tenant. */
export type ScimUserFields = Pick<Row<"scim_users">, DirectoryColumns | "tenantId">;

/**
 * A page of the tenant's directory users that meet `where` (a condition on `s`, the directory
 * user, and `u`, the account), oldest first.
 */
export async function listScimUsersWhere(
  sql: Db,
  tenantId: string,
  where: SqlFragment,
  page: { offset: number; limit: number },
): Promise<ScimUserRow[]> {
  return sql<ScimUserRow[]>`
    select s.user_id, s.user_name, s.external_id, s.display_name, s.given_name, s.family_name,
           s.active, u.email, s.created_at, s.updated_at
    from scim_users s join users u on u.id = s.user_id
    where s.tenant_id = ${tenantId} and ${where}
    order by s.created_at, s.user_id
    offset ${page.offset} limit ${page.limit}`;
}

/** How many of the tenant's directory users meet `where` (as for `listScimUsersWhere`). */
export async function countScimUsersWhere(
  sql: Sql,
  tenantId: string,
  where: SqlFragment,
): Promise<number> {
  const [total] = await sql<{ count: string }[]>`
    select count(*) from scim_users s join users u on u.id = s.user_id
    where s.tenant_id = ${tenantId} and ${where}`;
  return Number(total?.count ?? 0);
}

/**
 * Whether the tenant's directory has a user of this userName (whatever its case): any user, or
 * another than `exceptUserId` (a replace keeping its own name).
 */
export async function isScimUserNameTaken(
  tx: TransactionSql,
  tenantId: string,
  userName: string,
  exceptUserId?: string,
): Promise<boolean> {
  const [taken] = await tx`
    select 1 from scim_users where tenant_id = ${tenantId}
      and lower(user_name) = ${userName.toLowerCase()}
      ${exceptUserId ? tx`and user_id <> ${exceptUserId}` : tx``}`;
  return taken !== undefined;
}

/** Whether the account is already a directory user of the tenant's. */
export async function isScimUser(
  tx: TransactionSql,
  tenantId: string,
  userId: string,
): Promise<boolean> {
  const [linked] = await tx`
    select 1 from scim_users where tenant_id = ${tenantId} and user_id = ${userId}`;
  return linked !== undefined;
}

export async function insertScimUser(
  tx: TransactionSql,
  user: ScimUserFields & Pick<Row<"scim_users">, "baseRole">,
): Promise<void> {
  await tx`
    insert into scim_users (tenant_id, user_id, user_name, external_id, display_name, given_name,
                            family_name, active, base_role)
    values (${user.tenantId}, ${user.userId}, ${user.userName}, ${user.externalId}, ${user.displayName},
            ${user.givenName}, ${user.familyName}, ${user.active},
            ${user.baseRole})`;
}

/** The tenant's directory user: its userName and whether it is active (`userId` null finds none). */
export async function findScimUser(
  tx: TransactionSql,
  tenantId: string,
  userId: string | null,
): Promise<Pick<Row<"scim_users">, "userId" | "active" | "userName"> | undefined> {
  const [user] = await tx<Pick<Row<"scim_users">, "userId" | "active" | "userName">[]>`
    select user_id, active, user_name from scim_users
    where tenant_id = ${tenantId} and user_id = ${userId}`;
  return user;
}

/** Replaces what the directory says of the user. */
export async function updateScimUser(tx: TransactionSql, user: ScimUserFields): Promise<void> {
  await tx`
    update scim_users set user_name = ${user.userName}, external_id = ${user.externalId},
      display_name = ${user.displayName}, given_name = ${user.givenName},
      family_name = ${user.familyName}, active = ${user.active}, updated_at = now()
    where tenant_id = ${user.tenantId} and user_id = ${user.userId}`;
}

export async function deleteScimUser(
  tx: TransactionSql,
  tenantId: string,
  userId: string,
): Promise<void> {
  await tx`delete from scim_users where tenant_id = ${tenantId} and user_id = ${userId}`;
}

/** Which of these accounts are directory users of the tenant's (ids not UUIDs are none). */
export async function findScimUserIds(
  tx: TransactionSql,
  tenantId: string,
  userIds: string[],
): Promise<Pick<Row<"scim_users">, "userId">[]> {
  return tx<Pick<Row<"scim_users">, "userId">[]>`
    select user_id from scim_users
    where tenant_id = ${tenantId} and user_id = any(${userIds}::uuid[])`;
}

/** The tenant's active directory users. */
export async function listActiveScimUserIds(
  tx: TransactionSql,
  tenantId: string,
): Promise<Pick<Row<"scim_users">, "userId">[]> {
  return tx<Pick<Row<"scim_users">, "userId">[]>`
    select user_id from scim_users where tenant_id = ${tenantId} and active`;
}

/** Whether the user is active, and the roles the directory keeps for them. */
export async function findScimUserRoles(
  tx: TransactionSql,
  tenantId: string,
  userId: string,
): Promise<Pick<Row<"scim_users">, "active" | "baseRole" | "syncedRole"> | undefined> {
  const [person] = await tx<Pick<Row<"scim_users">, "active" | "baseRole" | "syncedRole">[]>`
    select active, base_role, synced_role from scim_users
    where tenant_id = ${tenantId} and user_id = ${userId}`;
  return person;
}

/** Records the user's baseline role and the one the directory set now (null: none). */
export async function setScimUserRoles(
  tx: TransactionSql,
  tenantId: string,
  userId: string,
  roles: Pick<Row<"scim_users">, "baseRole" | "syncedRole">,
): Promise<void> {
  await tx`
    update scim_users set base_role = ${roles.baseRole}, synced_role = ${roles.syncedRole}
    where tenant_id = ${tenantId} and user_id = ${userId}`;
}
