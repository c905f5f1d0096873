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

/** Whether the tenant has a group of this display name (whatever its case). */
export async function isScimGroupNameTaken(
  tx: TransactionSql,
  tenantId: string,
  displayName: string,
): Promise<boolean> {
  const [taken] = await tx`
    select 1 from scim_groups where tenant_id = ${tenantId}
      and lower(display_name) = ${displayName.toLowerCase()}`;
  return taken !== undefined;
}

/** Whether another of the tenant's groups than `groupId` has this display name (any case). */
export async function isScimGroupNameTakenByAnother(
  tx: TransactionSql,
  tenantId: string,
  displayName: string,
  groupId: string,
): Promise<boolean> {
  const [taken] = await tx`
    select 1 from scim_groups where tenant_id = ${tenantId}
      and lower(display_name) = ${displayName.toLowerCase()} and id <> ${groupId}`;
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
