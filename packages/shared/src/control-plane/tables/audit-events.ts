import type { Sql, TransactionSql } from "../../database.ts";
import type { Row } from "../schema.ts";

/**
 * The `audit_events` table: the control plane's audit log (who did what to which tenant, from
 * where, in which request). Append-only for the services (no role may update or delete it), and
 * kept when its tenant is deleted. Written by the gateway, billing and the provisioner; the
 * gateway reads a tenant's security log from it.
 */
export type AuditEventRow = Pick<
  Row<"audit_events">,
  "tenantId" | "actorId" | "action" | "entity" | "entityId"
> &
  Partial<Pick<Row<"audit_events">, "ip" | "requestId">> & { data?: Record<string, unknown> };

/** Appends one event; in the caller's transaction when it is a change's own record. */
export async function insertAuditEvent(
  sql: Sql | TransactionSql,
  event: AuditEventRow,
): Promise<void> {
  await sql`
    insert into audit_events (tenant_id, actor_id, action, entity, entity_id, ip, request_id, data)
    values (${event.tenantId}, ${event.actorId}, ${event.action}, ${event.entity}, ${event.entityId},
            ${event.ip ?? null}, ${event.requestId ?? null}, ${sql.json((event.data ?? {}) as never)})`;
}

/** An audit event as a tenant's security log shows it; `data` is an object in every row. */
export type SecurityEventRow = Omit<Row<"audit_events">, "tenantId" | "data"> & {
  data: Record<string, unknown>;
};

/**
 * Up to `limit` of the tenant's security log, newest first: its own audit events, and the
 * account events (no tenant's) of its current members since each joined. By `actorId` where
 * given, and with ids before `before` where given.
 */
export async function listSecurityEventsOfTenant(
  sql: Sql,
  tenantId: string,
  query: { limit: number; before: string | undefined; actor: string | undefined },
): Promise<SecurityEventRow[]> {
  return sql<SecurityEventRow[]>`
    select id, at, actor_id, action, entity, entity_id, ip, request_id, data
    from audit_events e
    where (e.tenant_id = ${tenantId}
           or (e.tenant_id is null and exists (
                 select 1 from memberships m
                 where m.tenant_id = ${tenantId} and m.user_id = e.actor_id
                   and e.at >= m.created_at)))
      ${query.actor ? sql`and e.actor_id = ${query.actor}` : sql``}
      ${query.before ? sql`and e.id < ${query.before}` : sql``}
    order by e.id desc
    limit ${query.limit}`;
}
