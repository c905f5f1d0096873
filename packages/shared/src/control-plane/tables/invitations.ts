import type { Sql, TransactionSql } from "../../database.ts";
import { andAfterId } from "../../pages.ts";
import type { Row } from "../schema.ts";

/**
 * The `invitations` table: invitations to join a tenant, each with the hash of the token mailed
 * to the invitee. The gateway makes, lists, revokes, resends and accepts them; the provisioner
 * deletes a deleted tenant's.
 */
export type InvitationRow = Pick<
  Row<"invitations">,
  "id" | "email" | "role" | "invitedBy" | "expiresAt" | "createdAt"
>;

/** A new invitation, mailed, expiring `ttlSeconds` from now. */
export async function insertInvitation(
  tx: TransactionSql,
  invitation: Pick<
    Row<"invitations">,
    "id" | "tenantId" | "email" | "role" | "tokenHash" | "invitedBy"
  >,
  ttlSeconds: number,
): Promise<InvitationRow> {
  const [row] = await tx<InvitationRow[]>`
    insert into invitations (id, tenant_id, email, role, token_hash, invited_by, expires_at, mailed)
    values (${invitation.id}, ${invitation.tenantId}, ${invitation.email}, ${invitation.role},
            ${invitation.tokenHash}, ${invitation.invitedBy},
            now() + make_interval(secs => ${ttlSeconds}), true)
    returning id, email, role, invited_by, expires_at, created_at`;
  if (!row) throw new Error("insert returned nothing");
  return row;
}

/**
 * Up to `limit` of the tenant's invitations still waiting (not accepted, revoked nor expired)
 * with ids after `after`, by id.
 */
export async function listPendingInvitationsAfter(
  sql: Sql,
  tenantId: string,
  after: string | undefined,
  limit: number,
): Promise<InvitationRow[]> {
  return sql<InvitationRow[]>`
    select id, email, role, invited_by, expires_at, created_at from invitations
    where tenant_id = ${tenantId} and accepted_at is null and revoked_at is null
      and expires_at > now() ${andAfterId(sql, after)}
    order by id limit ${limit}`;
}

/**
 * Revokes one of the tenant's invitations not yet accepted or revoked, and answers its role;
 * undefined for no such invitation.
 */
export async function revokePendingInvitation(
  tx: TransactionSql,
  tenantId: string,
  id: string,
): Promise<Pick<Row<"invitations">, "role"> | undefined> {
  const [revoked] = await tx<Pick<Row<"invitations">, "role">[]>`
    update invitations set revoked_at = now()
    where tenant_id = ${tenantId} and id = ${id}
      and accepted_at is null and revoked_at is null
    returning role`;
  return revoked;
}

/**
 * Gives one of the tenant's invitations not yet accepted or revoked a new token and a full
 * lifetime from now, as mailed; undefined for no such invitation.
 */
export async function renewPendingInvitation(
  tx: TransactionSql,
  tenantId: string,
  id: string,
  tokenHash: Buffer,
  ttlSeconds: number,
): Promise<InvitationRow | undefined> {
  const [row] = await tx<InvitationRow[]>`
    update invitations
    set token_hash = ${tokenHash}, mailed = true,
        expires_at = now() + make_interval(secs => ${ttlSeconds})
    where tenant_id = ${tenantId} and id = ${id}
      and accepted_at is null and revoked_at is null
    returning id, email, role, invited_by, expires_at, created_at`;
  return row;
}

/**
 * An invitation that can still be accepted. `mailed`: delivered by mail to `email` (every
 * invitation since mail exists), so accepting proves the address.
 */
export type AcceptableInvitation = Pick<
  Row<"invitations">,
  "id" | "tenantId" | "email" | "role" | "mailed"
>;

/**
 * The invitation with this token hash, if it can still be accepted: not accepted, revoked nor
 * expired, its tenant not deleting or deleted, and its sender (a member, or an API key whose
 * creator is one) still able to grant its role. `lock`: its row locked for the rest of the
 * transaction.
 */
export async function findAcceptableInvitation(
  sql: Sql | TransactionSql,
  tokenHash: Buffer,
  lock: boolean,
): Promise<AcceptableInvitation | undefined> {
  const [invitation] = await sql<AcceptableInvitation[]>`
    select i.id, i.tenant_id, i.email, i.role, i.mailed from invitations i join tenants t on t.id = i.tenant_id
    where i.token_hash = ${tokenHash} and i.accepted_at is null
      and i.revoked_at is null and i.expires_at > now() and t.status not in ('deleting', 'deleted')
      -- An invitation is only as good as its sender's standing now: one sent by someone since
      -- removed or demoted below its role (or by a key that no longer stands) admits nobody.
      and (exists (select 1 from memberships m
                   where m.tenant_id = i.tenant_id and m.user_id = i.invited_by
                     and oryn_role_rank(m.role) >= oryn_role_rank(i.role))
           or exists (select 1 from api_keys k
                      join memberships m on m.tenant_id = k.tenant_id and m.user_id = k.created_by
                      where k.id = i.invited_by and k.tenant_id = i.tenant_id
                        and oryn_role_rank(k.role) >= oryn_role_rank(i.role)
                        and oryn_role_rank(m.role) >= oryn_role_rank(i.role)))
    ${lock ? sql`for update of i` : sql``}`;
  return invitation;
}

/** Spends the invitation: `userId` accepted it now. */
export async function markInvitationAccepted(
  tx: TransactionSql,
  id: string,
  userId: string,
): Promise<void> {
  await tx`update invitations set accepted_at = now(), accepted_by = ${userId} where id = ${id}`;
}

/**
 * The names an invitation's mail gives: the tenant's, and the inviter's (a person's, or else an
 * API key's, by `inviterId`); undefined for no such tenant.
 */
export async function findInvitationMailNames(
  tx: TransactionSql,
  tenantId: string,
  inviterId: string,
): Promise<{ inviterName: string | null; tenantName: string } | undefined> {
  const [names] = await tx<{ inviterName: string | null; tenantName: string }[]>`
    select t.name as tenant_name,
           coalesce((select u.name from users u where u.id = ${inviterId}),
                    (select k.name from api_keys k where k.id = ${inviterId})) as inviter_name
    from tenants t where t.id = ${tenantId}`;
  return names;
}
