import { randomUUID } from "node:crypto";
import type { Row } from "../control-plane/schema.ts";
import type { Sql, SqlFragment, TransactionSql } from "../database.ts";

/** Every event type a webhook endpoint may subscribe to (`*` means all of them). */
export const eventTypes = [
  "project.created",
  "project.updated",
  "project.deleted",
  "task.created",
  "task.updated",
  "task.deleted",
  "member.added",
  "member.role_changed",
  "member.removed",
  "invitation.accepted",
  "api_key.created",
  "api_key.revoked",
  "tenant.plan_changed",
  "tenant.restricted",
  "tenant.restored",
] as const;

export type EventType = (typeof eventTypes)[number];

/** A row of the log as the API and deliveries read it (`sequence` null: a ping). */
export type LoggedEvent = Pick<
  Row<"events">,
  "id" | "type" | "occurredAt" | "sequence" | "tenantId" | "data" | "previous"
>;

/**
 * An event as `GET /v1/events` lists it and a webhook delivery carries it: one shape, built in
 * one place, so a receiver's parser fits both.
 */
export function eventBody(row: LoggedEvent) {
  return {
    id: row.id,
    type: row.type,
    timestamp: row.occurredAt.toISOString(),
    sequence: row.sequence === null ? null : Number(row.sequence),
    tenantId: row.tenantId,
    data: row.data,
    ...(row.previous === null || row.previous === undefined ? {} : { previous: row.previous }),
  };
}

/** Up to `limit` of the tenant's events numbered after `after`, in order (`GET /v1/events`). */
export async function listEventsAfter(
  sql: Sql,
  tenantId: string,
  after: string,
  limit: number,
): Promise<LoggedEvent[]> {
  return sql<LoggedEvent[]>`
    select id, type, occurred_at, sequence::text, tenant_id, data, previous from events
    where tenant_id = ${tenantId} and sequence > ${after}::bigint
    order by sequence limit ${limit}`;
}

/** An event about to enter the log; an outbox hands in the id and time it gave it. */
export type NewEvent = {
  id?: string;
  type: EventType;
  occurredAt?: Date;
  data: unknown;
  previous?: unknown;
};

/**
 * Appends events to a tenant's log inside the caller's control-plane transaction, numbering them
 * after the tenant's last. The counter row stays locked until the transaction ends, so appends of
 * one tenant take turns and numbers are handed out in commit order without gaps. Events whose id
 * is already in the log (an outbox moved twice after a crash) are skipped, and take no number.
 * Nothing is recorded (0) once the tenant's deletion has sealed its counter (`sealEventLog`).
 */
export async function appendEvents(
  tx: TransactionSql,
  tenantId: string,
  events: readonly NewEvent[],
): Promise<number> {
  if (events.length === 0) return 0;
  // One statement creates the counter or locks the existing row (ON CONFLICT DO UPDATE takes the
  // row lock, held to the end of the transaction) and reads it: one round trip per write.
  const [counter] = await tx<{ last: string }[]>`
    insert into event_sequences (tenant_id) values (${tenantId})
    on conflict (tenant_id) do update set last = event_sequences.last
    where event_sequences.sealed_at is null
    returning last::text`;
  if (!counter) return 0;
  const withIds = events.map((event) => ({ ...event, id: event.id ?? randomUUID() }));
  const present = new Set(
    (
      await tx<{ id: string }[]>`
        select id from events where id = any(${withIds.map((event) => event.id)}::uuid[])`
    ).map((row) => row.id),
  );
  const fresh = withIds.filter((event) => !present.has(event.id));
  if (fresh.length === 0) return 0;
  const last = BigInt(counter.last);
  const now = new Date().toISOString();
  // One statement for the whole batch (a relay moves up to hundreds): numbered in order from the
  // counter, JSON passed as text and cast, so each value is a parameter, never SQL.
  await tx`
    insert into events (id, tenant_id, sequence, type, occurred_at, data, previous)
    select e.id, ${tenantId}, ${last.toString()}::bigint + e.n, e.type, e.occurred_at,
           e.data::jsonb, e.previous::jsonb
    from unnest(
      ${fresh.map((event) => event.id)}::uuid[],
      ${fresh.map((event) => event.type)}::text[],
      ${fresh.map((event) => event.occurredAt?.toISOString() ?? now)}::timestamptz[],
      ${fresh.map((event) => JSON.stringify(event.data))}::text[],
      ${fresh.map((event) => (event.previous === undefined ? null : JSON.stringify(event.previous)))}::text[]
    ) with ordinality as e(id, type, occurred_at, data, previous, n)`;
  const sequence = last + BigInt(fresh.length);
  await tx`update event_sequences set last = ${sequence.toString()} where tenant_id = ${tenantId}`;
  return fresh.length;
}

/**
 * Seals the tenant's counter as its deletion begins: appends in flight hold the counter's row,
 * so this waits for them to commit, and every append after it records nothing. The log can then
 * be deleted with nothing added behind it (a relay that had read the tenant's outbox just before
 * its database was dropped). The sealed row stays: with none, an append would start a new one.
 */
export async function sealEventLog(sql: Sql | TransactionSql, tenantId: string): Promise<void> {
  await sql`
    insert into event_sequences (tenant_id, sealed_at) values (${tenantId}, clock_timestamp())
    on conflict (tenant_id) do update
    set sealed_at = coalesce(event_sequences.sealed_at, excluded.sealed_at)`;
}

/** One event of the gateway's own changes, in the transaction of the change. */
export function recordEvent(
  tx: TransactionSql,
  tenantId: string,
  type: EventType,
  data: unknown,
  previous?: unknown,
): Promise<number> {
  return appendEvents(tx, tenantId, [{ type, data, previous }]);
}

/**
 * A `ping` of one webhook endpoint: an event outside the tenant's numbering (no sequence, so
 * listed nowhere), born dispatched since the caller owes it to that endpoint alone.
 */
export async function insertPingEvent(
  tx: TransactionSql,
  id: string,
  tenantId: string,
  endpointId: string,
): Promise<void> {
  await tx`
    insert into events (id, tenant_id, type, occurred_at, data, dispatched_at)
    values (${id}, ${tenantId}, 'ping', clock_timestamp(),
            ${tx.json({ endpointId })}, clock_timestamp())`;
}

/**
 * The statement (to run inside another, as a `with` query) marking dispatched now up to
 * `batchSize` undispatched events, oldest recorded first, skipping those another process holds;
 * it returns their id, tenant and type. The webhooks' dispatcher makes the events' deliveries
 * from it in the same statement (`oweDeliveriesOfNewEvents`), so an event is marked only with
 * its deliveries made.
 */
export function dispatchNewEvents(sql: Sql, batchSize: number): SqlFragment {
  return sql`
    update events set dispatched_at = clock_timestamp()
    where id in (
      select id from events
      where dispatched_at is null order by recorded_at limit ${batchSize}
      for update skip locked)
    returning id, tenant_id, type`;
}
