import type { Page, Sql } from "@oryn/shared";
import type { Event } from "./schemas.ts";

type EventRow = {
  id: string;
  type: Event["type"];
  occurredAt: Date;
  sequence: string;
  tenantId: string;
  data: Record<string, unknown>;
  previous: Record<string, unknown> | null;
};

/** The same shape a delivery's body has (services/webhooks builds it from the same row). */
export function toEvent(row: EventRow): Event {
  return {
    id: row.id,
    type: row.type,
    timestamp: row.occurredAt.toISOString(),
    sequence: Number(row.sequence),
    tenantId: row.tenantId,
    data: row.data,
    ...(row.previous ? { previous: row.previous } : {}),
  };
}

/** The tenant's events after a sequence number, in order. */
export async function listEvents(
  sql: Sql,
  tenantId: string,
  page: { after: string; limit: number },
): Promise<Page<Event>> {
  const rows = await sql<EventRow[]>`
    select id, type, occurred_at, sequence::text, tenant_id, data, previous from events
    where tenant_id = ${tenantId} and sequence > ${page.after}::bigint
    order by sequence limit ${page.limit + 1}`;
  const items = rows.slice(0, page.limit).map(toEvent);
  const last = items.at(-1);
  return {
    items,
    nextCursor: rows.length > page.limit && last ? String(last.sequence) : null,
  };
}
