import { ApiError, type Role, type Sql, type TransactionSql } from "@oryn/shared";

export type Member = {
  userId: string;
  email: string;
  name: string;
  role: Role;
  createdAt: Date;
};

/** Adds a membership and answers its version, the number the member's access tokens carry. */
export async function addMembership(
  tx: TransactionSql,
  input: { tenantId: string; userId: string; role: Role },
): Promise<number> {
  const [row] = await tx<{ version: string }[]>`
    insert into memberships (tenant_id, user_id, role)
    values (${input.tenantId}, ${input.userId}, ${input.role})
    returning version`;
  if (!row) throw new Error("insert returned nothing");
  return Number(row.version);
}

/**
 * The tenant's memberships, locked for the rest of the transaction: every change that could
 * leave a tenant without an owner, or past its plan's member cap, takes this lock first, so two
 * concurrent changes are counted one after the other.
 */
export async function lockMemberships(
  tx: TransactionSql,
  tenantId: string,
): Promise<{ userId: string; role: Role }[]> {
  // Locking the tenant row serializes even when the change adds a row (no member row to lock).
  await tx`select 1 from tenants where id = ${tenantId} for update`;
  return tx<{ userId: string; role: Role }[]>`
    select user_id, role from memberships where tenant_id = ${tenantId}`;
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

export async function listMembers(
  sql: Sql,
  tenantId: string,
  page: { limit: number; after?: string },
): Promise<Member[]> {
  return sql<Member[]>`
    select m.user_id, u.email, u.name, m.role, m.created_at
    from memberships m join users u on u.id = m.user_id
    where m.tenant_id = ${tenantId} ${page.after ? sql`and m.user_id > ${page.after}` : sql``}
    order by m.user_id
    limit ${page.limit}`;
}
