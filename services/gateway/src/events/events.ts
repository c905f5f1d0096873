import { eventBody, type LoggedEvent, listEventsAfter, type Page, type Sql } from "@oryn/shared";
import type { Event } from "./schemas.ts";

/** The same shape a delivery's body has (`eventBody`); listed events always have a sequence. */
export function toEvent(row: LoggedEvent): Event {
  return eventBody(row) as Event;
}

/** The tenant's events after a sequence number, in order. */
export async function listEvents(
  sql: Sql,
  tenantId: string,
  page: { after: string; limit: number },
): Promise<Page<Event>> {
  const rows = await listEventsAfter(sql, tenantId, page.after, page.limit + 1);
  const items = rows.slice(0, page.limit).map(toEvent);
  const last = items.at(-1);
  return {
    items,
    nextCursor: rows.length > page.limit && last ? String(last.sequence) : null,
  };
}
