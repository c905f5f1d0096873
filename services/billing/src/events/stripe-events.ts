import type { Sql, TransactionSql } from "@oryn/shared";
import type { Row } from "@oryn/shared/control-plane/schema";
import type Stripe from "stripe";

/** The `stripe_events` table is billing's alone: its queries are here, in the one service. */
type Db = Sql | TransactionSql;

export type RecordedEvent = Pick<Row<"stripe_events">, "type" | "processedAt"> & {
  payload: Stripe.Event;
};

/**
 * Records a verified event once: the primary key on the event id makes Stripe's retries and
 * duplicates land on the row already there. Processing (with the billing issue) reads from here.
 */
export async function recordStripeEvent(
  sql: Sql,
  event: Stripe.Event,
): Promise<{ duplicate: boolean }> {
  const inserted = await sql`
    insert into stripe_events (id, type, payload)
    values (${event.id}, ${event.type}, ${sql.json(event as never)})
    on conflict (id) do nothing
    returning id`;
  return { duplicate: inserted.length === 0 };
}

export async function findStripeEvent(
  sql: Db,
  eventId: string,
): Promise<RecordedEvent | undefined> {
  const [event] = await sql<RecordedEvent[]>`
    select type, payload, processed_at from stripe_events where id = ${eventId}`;
  return event;
}

/**
 * Locks an event's row for the rest of the transaction, so two syncs of one event take turns;
 * undefined when it was never recorded.
 */
export async function lockStripeEvent(
  tx: TransactionSql,
  eventId: string,
): Promise<Pick<RecordedEvent, "processedAt"> | undefined> {
  const [event] = await tx<Pick<RecordedEvent, "processedAt">[]>`
    select processed_at from stripe_events where id = ${eventId} for update`;
  return event;
}

export async function markProcessed(sql: Db, eventId: string): Promise<void> {
  await sql`update stripe_events set processed_at = now() where id = ${eventId} and processed_at is null`;
}

/** Events received more than `olderThanSeconds` ago and not processed yet, oldest first. */
export async function unprocessedEventIds(
  sql: Sql,
  olderThanSeconds: number,
  limit: number,
): Promise<string[]> {
  const rows = await sql<{ id: string }[]>`
    select id from stripe_events
    where processed_at is null
      and received_at < now() - make_interval(secs => ${olderThanSeconds})
    order by received_at limit ${limit}`;
  return rows.map((row) => row.id);
}
