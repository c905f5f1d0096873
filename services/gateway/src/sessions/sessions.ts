import type { Principal, Sql, TransactionSql } from "@oryn/shared";
import type { Row } from "@oryn/shared/control-plane/schema";
import type { Session } from "./schemas.ts";

/**
 * A session is a refresh-token family, seen from its owner: where it was opened from, when it
 * was last refreshed, whether it has ended. Ending one revokes its refresh tokens and, through
 * `ended_at`, which every gateway polls (access/revocations.ts), its access tokens.
 *
 * The `sessions` table is the gateway's alone: its queries are here. Login and refresh write it;
 * logout, a replayed refresh token, ending a session, a member's removal and an account link mark
 * sessions ended; every gateway's revocation poll reads the ended ones.
 */

/** Where a session is used from, as recorded at login and at each refresh. */
export type SessionClient = { ip: string; userAgent?: string | undefined };

// The columns' lengths: both come from the client (the IP through X-Forwarded-For).
const clientColumns = (client: SessionClient) => ({
  ip: client.ip.slice(0, 64),
  userAgent: client.userAgent?.slice(0, 512) ?? null,
});

export async function openSession(
  sql: Sql | TransactionSql,
  session: { id: string; tenantId: string; userId: string },
  client: SessionClient,
): Promise<void> {
  const { ip, userAgent } = clientColumns(client);
  await sql`
    insert into sessions (id, tenant_id, user_id, ip, user_agent)
    values (${session.id}, ${session.tenantId}, ${session.userId}, ${ip}, ${userAgent})`;
}

/** A refresh: the session's last use, and where from. */
export async function touchSession(
  sql: Sql | TransactionSql,
  id: string,
  client: SessionClient,
): Promise<void> {
  const { ip, userAgent } = clientColumns(client);
  await sql`
    update sessions set last_used_at = now(), ip = ${ip}, user_agent = ${userAgent}
    where id = ${id}`;
}

/** Where the session was last used from (the redemption before this one wrote it). */
export async function lastClientOf(
  sql: Sql | TransactionSql,
  id: string,
): Promise<{ ip: string | null; userAgent: string | null } | undefined> {
  const [row] = await sql<{ ip: string | null; userAgent: string | null }[]>`
    select ip, user_agent from sessions where id = ${id}`;
  return row;
}

/**
 * Marks sessions ended, with the statement's own clock (see the migration): refresh tokens are
 * revoked by the caller, in the same transaction.
 */
export async function markSessionsEnded(
  sql: Sql | TransactionSql,
  where: { id: string } | { tenantId: string; userId: string },
): Promise<void> {
  await sql`
    update sessions set ended_at = clock_timestamp()
    where ended_at is null and ${
      "id" in where
        ? sql`id = ${where.id}`
        : sql`tenant_id = ${where.tenantId} and user_id = ${where.userId}`
    }`;
}

type SessionRow = Pick<
  Row<"sessions">,
  "id" | "tenantId" | "createdAt" | "lastUsedAt" | "userAgent" | "ip"
> & { tenantSlug: Row<"tenants">["slug"] };

/**
 * The caller's live sessions, in every tenant they belong to (a session is the person's, not the
 * tenant's), newest use first: a session is live while it has a refresh token neither revoked nor
 * expired. A person has a handful; 200 are shown at most.
 */
export async function listSessions(sql: Sql, principal: Principal): Promise<Session[]> {
  const rows = await sql<SessionRow[]>`
    select s.id, s.tenant_id, t.slug as tenant_slug, s.created_at, s.last_used_at, s.user_agent,
           s.ip
    from sessions s join tenants t on t.id = s.tenant_id
    where s.user_id = ${principal.userId} and s.ended_at is null
      and exists (select 1 from refresh_tokens r
                  where r.family_id = s.id and r.revoked_at is null and r.expires_at > now())
    order by s.last_used_at desc, s.id
    limit 200`;
  return rows.map((row) => ({
    id: row.id,
    tenant: { id: row.tenantId, slug: row.tenantSlug },
    createdAt: row.createdAt.toISOString(),
    lastUsedAt: row.lastUsedAt.toISOString(),
    userAgent: row.userAgent,
    ip: row.ip,
    current: row.id === principal.sessionId,
  }));
}

/**
 * Every session ended after `from` (the revocation poll, every `pollMs` in every gateway: keep it
 * one index range scan).
 */
export async function listSessionsEndedSince(
  sql: Sql,
  from: Date,
): Promise<Array<Pick<Row<"sessions">, "id"> & { at: Date }>> {
  return sql<Array<Pick<Row<"sessions">, "id"> & { at: Date }>>`
    select id, ended_at as at from sessions where ended_at > ${from}`;
}

/**
 * Locks one of the person's sessions not ended yet, for the rest of the transaction, and
 * answers its tenant; undefined for another person's, an ended one, or an unknown id.
 */
export async function lockLiveSessionOfUser(
  tx: TransactionSql,
  id: string,
  userId: string,
): Promise<Pick<Row<"sessions">, "tenantId"> | undefined> {
  const [session] = await tx<Pick<Row<"sessions">, "tenantId">[]>`
    select tenant_id from sessions
    where id = ${id} and user_id = ${userId} and ended_at is null
    for update`;
  return session;
}

/**
 * Ends every session of the person, in every tenant (an account reset when it is linked): the
 * caller revokes the refresh tokens, in the same transaction.
 */
export async function markUserSessionsEnded(tx: TransactionSql, userId: string): Promise<void> {
  await tx`update sessions set ended_at = clock_timestamp() where user_id = ${userId} and ended_at is null`;
}
