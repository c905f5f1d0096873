import type { Sql, TransactionSql } from "../../database.ts";
import type { Row } from "../schema.ts";
import { lockTenant } from "./tenants.ts";

/**
 * The `memberships` table: who belongs to which tenant, in which role. Each row's `version`
 * (from the `membership_versions` sequence) is the number its access tokens carry; a new one
 * makes every token issued under the old refused (see access_revocations). The gateway manages
 * memberships; the provisioner bumps and deletes them with a tenant; workspace and webhooks read.
 */
export type MembershipRow = Row<"memberships">;
export type MembershipRole = MembershipRow["role"];

type Db = Sql | TransactionSql;

/**
 * The person's role and version in a tenant that is not deleting or deleted: what a token is
 * issued on. Undefined once they were removed, or the tenant is on its way out.
 */
export async function findLiveMembership(
  sql: Db,
  tenantId: string,
  userId: string,
): Promise<Pick<MembershipRow, "role" | "version"> | undefined> {
  const [row] = await sql<Pick<MembershipRow, "role" | "version">[]>`
    select m.role, m.version from memberships m join tenants t on t.id = m.tenant_id
    where m.tenant_id = ${tenantId} and m.user_id = ${userId}
      and t.status not in ('deleting', 'deleted')`;
  return row;
}

/** A person's tenant as sign-in and their profile show it. */
export type LiveMembership = Pick<MembershipRow, "tenantId" | "role" | "version"> &
  Pick<Row<"tenants">, "slug"> & { tenantName: Row<"tenants">["name"] };

/** The person's memberships of tenants not deleting or deleted, oldest first. */
export async function listLiveMembershipsOfUser(
  sql: Db,
  userId: string,
): Promise<LiveMembership[]> {
  return sql<LiveMembership[]>`
    select m.tenant_id, t.slug, t.name as tenant_name, m.role, m.version
    from memberships m join tenants t on t.id = m.tenant_id
    where m.user_id = ${userId} and t.status not in ('deleting', 'deleted')
    order by m.created_at`;
}

/** The person's role in the tenant, whatever the tenant's status. */
export async function findMembershipRole(
  sql: Db,
  tenantId: string,
  userId: string,
): Promise<MembershipRole | undefined> {
  const [row] = await sql<Pick<MembershipRow, "role">[]>`
    select role from memberships where tenant_id = ${tenantId} and user_id = ${userId}`;
  return row?.role;
}

/**
 * The tenant's memberships, locked for the rest of the transaction: every change that could
 * leave a tenant without an owner, or past its plan's member cap, takes this lock first (on the
 * tenant's row, as a change adding a member has no row of its own to lock), so two concurrent
 * changes are counted one after the other.
 */
export async function lockMemberships(
  tx: TransactionSql,
  tenantId: string,
): Promise<Pick<MembershipRow, "userId" | "role">[]> {
  await lockTenant(tx, tenantId);
  return tx<Pick<MembershipRow, "userId" | "role">[]>`
    select user_id, role from memberships where tenant_id = ${tenantId}`;
}

/** Adds a membership and answers its version, the number the member's access tokens carry. */
export async function addMembership(
  tx: TransactionSql,
  input: Pick<MembershipRow, "tenantId" | "userId" | "role">,
): Promise<number> {
  const [row] = await tx<Pick<MembershipRow, "version">[]>`
    insert into memberships (tenant_id, user_id, role)
    values (${input.tenantId}, ${input.userId}, ${input.role})
    returning version`;
  if (!row) throw new Error("insert returned nothing");
  return Number(row.version);
}

/** A member as the API shows them: the membership with the person's address and name. */
export type Member = Pick<MembershipRow, "userId" | "role" | "createdAt" | "version"> &
  Pick<Row<"users">, "email" | "name">;

/** Gives the member another role under a new version; undefined if they are not a member. */
export async function setMembershipRole(
  tx: TransactionSql,
  tenantId: string,
  userId: string,
  role: MembershipRole,
): Promise<Member | undefined> {
  const [row] = await tx<Member[]>`
    with changed as (
      update memberships set role = ${role}, version = nextval('membership_versions')
      where tenant_id = ${tenantId} and user_id = ${userId}
      returning user_id, role, created_at, version)
    select c.user_id, u.email, u.name, c.role, c.created_at, c.version
    from changed c join users u on u.id = c.user_id`;
  return row;
}

export async function deleteMembership(
  tx: TransactionSql,
  tenantId: string,
  userId: string,
): Promise<void> {
  await tx`delete from memberships where tenant_id = ${tenantId} and user_id = ${userId}`;
}

/**
 * Gives each of the person's memberships a new version, and answers them: tokens issued before
 * are refused once the caller records the revocations.
 */
export async function renewMembershipVersionsOfUser(
  tx: TransactionSql,
  userId: string,
): Promise<Pick<MembershipRow, "tenantId" | "version">[]> {
  return tx<Pick<MembershipRow, "tenantId" | "version">[]>`
    update memberships set version = nextval('membership_versions')
    where user_id = ${userId}
    returning tenant_id, version`;
}

/** The owners' and admins' addresses, for mail about the tenant's configuration. */
export async function listTenantAdmins(
  sql: Db,
  tenantId: string,
): Promise<Array<{ userId: string; email: Row<"users">["email"] }>> {
  return sql<Array<{ userId: string; email: Row<"users">["email"] }>>`
    select u.email, u.id as user_id from memberships m join users u on u.id = m.user_id
    where m.tenant_id = ${tenantId} and m.role in ('owner', 'admin')`;
}

// Members, invitations and SSO sign-in.

/** Whether the tenant has a member with this address. */
export async function isMemberByEmail(
  tx: TransactionSql,
  tenantId: string,
  email: string,
): Promise<boolean> {
  const [existing] = await tx`
    select 1 from memberships m join users u on u.id = m.user_id
    where m.tenant_id = ${tenantId} and u.email = ${email}`;
  return existing !== undefined;
}

/** Up to `limit` of the tenant's members with user ids after `after`, by user id. */
export async function listMembersAfter(
  sql: Sql,
  tenantId: string,
  after: string | undefined,
  limit: number,
): Promise<Member[]> {
  return sql<Member[]>`
    select m.user_id, u.email, u.name, m.role, m.created_at, m.version
    from memberships m join users u on u.id = m.user_id
    where m.tenant_id = ${tenantId} ${after ? sql`and m.user_id > ${after}` : sql``}
    order by m.user_id
    limit ${limit}`;
}

/**
 * Whether the tenant is restricted (unpaid) and nobody with this address is a member: such a
 * tenant gives no newcomer access, while its members still sign in.
 */
export async function isTenantRestrictedToNonMember(
  tx: TransactionSql,
  tenantId: string,
  email: string,
): Promise<boolean> {
  const [restricted] = await tx`
        select 1 from tenants t
        where t.id = ${tenantId} and t.status = 'restricted'
          and not exists (select 1 from memberships m join users u on u.id = m.user_id
                          where m.tenant_id = t.id and u.email = ${email})`;
  return restricted !== undefined;
}

// A task's assignee.

/** Whether the person is a member of the tenant, whatever their role and the tenant's status. */
export async function isMember(sql: Db, tenantId: string, userId: string): Promise<boolean> {
  const [member] = await sql`
    select 1 from memberships where tenant_id = ${tenantId} and user_id = ${userId}`;
  return member !== undefined;
}

// Restore, and the reclaim of tenants no owner verified.

/**
 * Gives every membership of the tenant a new version (a restore): its members' access tokens
 * were revoked up to a version number, and logging in again must give tokens above it.
 */
export async function renewMembershipVersionsOfTenant(
  tx: TransactionSql,
  tenantId: string,
): Promise<void> {
  await tx`
    update memberships set version = nextval('membership_versions') where tenant_id = ${tenantId}`;
}

/** No owner of the tenant `t` has verified their address (a fragment for the queries below). */
function noVerifiedOwner(sql: Db) {
  return sql`
    not exists (
      select 1 from memberships m join users u on u.id = m.user_id
      where m.tenant_id = t.id and m.role = 'owner' and u.email_verified_at is not null)`;
}

/**
 * Up to 100 tenants, oldest first, created more than `afterSeconds` ago, not deleting or deleted,
 * whose owners never verified their address: the reclaim's list.
 */
export async function listUnverifiedTenants(
  sql: Db,
  afterSeconds: number,
): Promise<Pick<Row<"tenants">, "id">[]> {
  return sql<Pick<Row<"tenants">, "id">[]>`
    select t.id from tenants t
    where t.status not in ('deleting', 'deleted')
      and t.created_at < now() - make_interval(secs => ${afterSeconds})
      and ${noVerifiedOwner(sql)}
    order by t.created_at limit 100`;
}

/** Whether no owner of the tenant has verified their address (yet). */
export async function tenantHasNoVerifiedOwner(sql: Db, id: string): Promise<boolean> {
  const rows = await sql`select 1 from tenants t where t.id = ${id} and ${noVerifiedOwner(sql)}`;
  return rows.length > 0;
}
