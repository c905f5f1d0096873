import type { Role, Sql, TransactionSql } from "@oryn/shared";

const rank: Record<Role, number> = { member: 1, admin: 2, owner: 3 };

export type GroupRole = { group: string; role: Role };

/**
 * The role a person's directory groups give them in a tenant: the highest role any of their
 * groups is mapped to (`sso_group_roles`), else `fallback`. Group names match without regard to
 * case, as IdPs differ in how they spell them. Used by SCIM (group membership) and by the
 * OIDC/SAML sign-in (the groups claim). Nobody becomes owner unless a group is mapped to owner.
 */
export async function roleForGroups(
  sql: Sql | TransactionSql,
  tenantId: string,
  groups: string[],
  fallback: Role,
): Promise<Role> {
  const names = [...new Set(groups.map((group) => group.toLowerCase()))];
  if (names.length === 0) return fallback;
  const rows = await sql<{ role: Role }[]>`
    select role from sso_group_roles
    where tenant_id = ${tenantId} and lower(group_name) = any(${names}::text[])`;
  let best: Role | undefined;
  for (const { role } of rows) if (!best || rank[role] > rank[best]) best = role;
  return best ?? fallback;
}

export async function listGroupRoles(sql: Sql, tenantId: string): Promise<GroupRole[]> {
  return sql<GroupRole[]>`
    select group_name as "group", role from sso_group_roles
    where tenant_id = ${tenantId} order by lower(group_name)`;
}

/** Replaces the tenant's whole mapping (a PUT), in the caller's transaction. */
export async function replaceGroupRoles(
  tx: TransactionSql,
  tenantId: string,
  items: GroupRole[],
): Promise<{ before: GroupRole[]; after: GroupRole[] }> {
  const before = await tx<GroupRole[]>`
    select group_name as "group", role from sso_group_roles
    where tenant_id = ${tenantId} order by lower(group_name) for update`;
  await tx`delete from sso_group_roles where tenant_id = ${tenantId}`;
  for (const item of items) {
    await tx`
      insert into sso_group_roles (tenant_id, group_name, role)
      values (${tenantId}, ${item.group}, ${item.role})`;
  }
  const after = await tx<GroupRole[]>`
    select group_name as "group", role from sso_group_roles
    where tenant_id = ${tenantId} order by lower(group_name)`;
  return { before, after };
}
