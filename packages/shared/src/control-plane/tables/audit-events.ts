import type { Sql, TransactionSql } from "../../database.ts";
import type { Row } from "../schema.ts";

/**
 * The `audit_events` table: the control plane's audit log (who did what to which tenant, from
 * where, in which request). Append-only for the services (no role may update or delete it), and
 * kept when its tenant is deleted. Written by the gateway, billing and the provisioner.
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
