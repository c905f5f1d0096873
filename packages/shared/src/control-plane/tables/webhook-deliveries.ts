import type { Sql, TransactionSql } from "../../database.ts";
import { dispatchNewEvents } from "../../events/event-log.ts";
import type { Row } from "../schema.ts";

/**
 * The `webhook_deliveries` table: one event owed to one endpoint, and how its attempts went.
 * The webhooks service makes them from the event log, hands them to the queue and records each
 * attempt's outcome; the gateway makes them for a ping or a replay. The webhooks service's
 * queries here are its hot path: each is one statement, run as the dispatcher and each delivery
 * job always ran it.
 */
export type WebhookDeliveryRow = Row<"webhook_deliveries">;

/**
 * A delivery with what an attempt needs of its endpoint and event. `previousSecretLive`: the
 * previous secret still signs.
 */
export type DueDelivery = Pick<
  WebhookDeliveryRow,
  "id" | "tenantId" | "endpointId" | "attempts" | "status" | "createdAt"
> &
  Pick<
    Row<"webhook_endpoints">,
    "url" | "secretCiphertext" | "previousSecretCiphertext" | "failingSince"
  > &
  Pick<Row<"events">, "occurredAt" | "sequence" | "data" | "previous"> & {
    endpointStatus: Row<"webhook_endpoints">["status"];
    previousSecretLive: boolean;
    eventId: Row<"events">["id"];
    eventType: Row<"events">["type"];
  };

export async function findDueDelivery(sql: Sql, id: string): Promise<DueDelivery | undefined> {
  const [row] = await sql<DueDelivery[]>`
    select d.id, d.tenant_id, d.endpoint_id, d.attempts, d.status, d.created_at,
      w.url, w.status as endpoint_status, w.secret_ciphertext, w.previous_secret_ciphertext,
      coalesce(w.previous_secret_expires_at > now(), false) as previous_secret_live,
      w.failing_since, e.id as event_id, e.type as event_type, e.occurred_at,
      e.sequence::text, e.data, e.previous
    from webhook_deliveries d
    join webhook_endpoints w on w.id = d.endpoint_id
    join events e on e.id = d.event_id
    where d.id = ${id}`;
  return row;
}

/** Leaves the delivery pending but unqueued, while its endpoint is held (paused, disabled). */
export async function unqueueDelivery(sql: Sql, id: string): Promise<void> {
  await sql`update webhook_deliveries set enqueued_at = null where id = ${id}`;
}

/**
 * Claims attempt `attempts + 1` of a pending delivery, leased for `leaseMs` (past it the sweep
 * hands the delivery over again). False when another job claimed it, or it is done.
 */
export async function claimDeliveryAttempt(
  sql: Sql,
  id: string,
  attempts: number,
  leaseMs: number,
): Promise<boolean> {
  const claimed = await sql`
      update webhook_deliveries set attempts = attempts + 1,
        next_attempt_at = clock_timestamp() + ${leaseMs} * interval '1 millisecond'
      where id = ${id} and attempts = ${attempts} and status = 'pending'
      returning id`;
  return claimed.length > 0;
}

export async function markDeliverySucceeded(tx: TransactionSql, id: string): Promise<void> {
  await tx`update webhook_deliveries set status = 'succeeded' where id = ${id}`;
}

/**
 * An attempt failed: the delivery is pending again for a retry (due at `nextAttemptAt`, enqueued
 * at `enqueuedAt`), or failed and unqueued when it gives up.
 */
export async function recordDeliveryFailure(
  tx: TransactionSql,
  id: string,
  outcome: Pick<WebhookDeliveryRow, "status" | "nextAttemptAt" | "enqueuedAt">,
): Promise<void> {
  await tx`
      update webhook_deliveries set
        status = ${outcome.status},
        next_attempt_at = ${outcome.nextAttemptAt},
        enqueued_at = ${outcome.enqueuedAt}
      where id = ${id}`;
}

/**
 * Turns up to `batchSize` undispatched events, oldest recorded first, into deliveries (one per
 * endpoint of the tenant that subscribes to the type and is not disabled) and marks them
 * dispatched, skipping events another process holds. Answers the events' ids. One statement:
 * the marking is the event log's (`dispatchNewEvents`), the deliveries made from what it marked
 * are this table's.
 */
export async function oweDeliveriesOfNewEvents(
  sql: Sql,
  batchSize: number,
): Promise<Pick<Row<"events">, "id">[]> {
  return sql<Pick<Row<"events">, "id">[]>`
    with batch as (${dispatchNewEvents(sql, batchSize)}), owed as (
      insert into webhook_deliveries (tenant_id, endpoint_id, event_id, reason)
      select b.tenant_id, w.id, b.id, 'event' from batch b
      join webhook_endpoints w on w.tenant_id = b.tenant_id and w.status <> 'disabled'
        and (b.type = any(w.events) or '*' = any(w.events))
      on conflict (endpoint_id, event_id) where reason = 'event' do nothing
    )
    select id from batch`;
}

/** A delivery just handed over to the queue, at `enqueuedAtMs` (ms since the epoch, as text). */
export type EnqueuedDelivery = Pick<WebhookDeliveryRow, "id" | "attempts"> & {
  enqueuedAtMs: string;
};

/**
 * Marks as enqueued now up to `batchSize` pending deliveries of enabled endpoints, oldest first,
 * that no job carries: never enqueued, or whose attempt is overdue by `staleAfterMs`. Skips
 * those another process holds.
 */
export async function markOwedDeliveriesEnqueued(
  sql: Sql,
  staleAfterMs: number,
  batchSize: number,
): Promise<EnqueuedDelivery[]> {
  return sql<EnqueuedDelivery[]>`
    update webhook_deliveries d set enqueued_at = clock_timestamp()
    where d.id in (
      select d2.id from webhook_deliveries d2
      join webhook_endpoints w on w.id = d2.endpoint_id and w.status = 'enabled'
      where d2.status = 'pending' and (
        d2.enqueued_at is null
        or d2.next_attempt_at < clock_timestamp() - ${staleAfterMs} * interval '1 millisecond')
      order by d2.created_at limit ${batchSize}
      for update of d2 skip locked)
    returning d.id, d.attempts, (extract(epoch from d.enqueued_at) * 1000)::bigint::text as enqueued_at_ms`;
}

/** A `ping` delivery of the event to the tenant's endpoint. */
export async function insertPingDelivery(
  tx: TransactionSql,
  tenantId: string,
  endpointId: string,
  eventId: string,
): Promise<void> {
  await tx`
    insert into webhook_deliveries (tenant_id, endpoint_id, event_id, reason)
    values (${tenantId}, ${endpointId}, ${eventId}, 'ping')`;
}

/**
 * Owes the endpoint again every event of the tenant's with a sequence number that it subscribes
 * to (`events`), occurred since `since` and with id `eventId` where given (same event ids, new
 * `replay` deliveries). Answers how many.
 */
export async function insertReplayDeliveries(
  tx: TransactionSql,
  tenantId: string,
  endpoint: Pick<Row<"webhook_endpoints">, "id" | "events">,
  since: Date | null,
  eventId: string | null,
): Promise<number> {
  const owed = await tx`
    insert into webhook_deliveries (tenant_id, endpoint_id, event_id, reason)
    select ${tenantId}, ${endpoint.id}, id, 'replay' from events
    where tenant_id = ${tenantId} and sequence is not null
      and (${since}::timestamptz is null or occurred_at >= ${since})
      and (${eventId}::uuid is null or id = ${eventId})
      and (type = any(${endpoint.events}::text[]) or '*' = any(${endpoint.events}::text[]))
    returning id`;
  return owed.length;
}

/** How an attempt went, as the endpoint's delivery log records and lists it. */
type AttemptOutcome = Pick<
  Row<"webhook_attempts">,
  | "eventId"
  | "eventType"
  | "attempt"
  | "status"
  | "responseStatus"
  | "durationMs"
  | "responseExcerpt"
>;

/** One attempt at a delivery, as it went: the endpoint's delivery log. */
export async function insertDeliveryAttempt(
  tx: TransactionSql,
  attempt: AttemptOutcome & Pick<Row<"webhook_attempts">, "tenantId" | "endpointId" | "deliveryId">,
): Promise<void> {
  // Postgres text holds no NUL, which a response may carry.
  await tx`
      insert into webhook_attempts (tenant_id, endpoint_id, delivery_id, event_id, event_type,
        attempt, status, response_status, duration_ms, response_excerpt)
      values (${attempt.tenantId}, ${attempt.endpointId}, ${attempt.deliveryId}, ${attempt.eventId},
        ${attempt.eventType}, ${attempt.attempt}, ${attempt.status}, ${attempt.responseStatus},
        ${attempt.durationMs}, ${attempt.responseExcerpt.replaceAll("\u0000", "")})`;
}

/** An attempt as the endpoint's delivery log lists it. */
export type DeliveryAttemptRow = AttemptOutcome &
  Pick<Row<"webhook_attempts">, "id" | "at"> & {
    /** `at` in microseconds since the epoch, as text: the page cursor, exact where a Date is not. */
    cursorAt: string;
  };

/**
 * Up to `limit` of the tenant's endpoint's attempts, newest first: with `status` where given,
 * and before `after` (its `at` in microseconds since the epoch, and its id) where given.
 */
export async function listDeliveryAttemptsOfEndpoint(
  sql: Sql,
  tenantId: string,
  endpointId: string,
  query: {
    limit: number;
    after: [atMicros: string, id: string] | undefined;
    status: Row<"webhook_attempts">["status"] | undefined;
  },
): Promise<DeliveryAttemptRow[]> {
  return sql<DeliveryAttemptRow[]>`
    select id, event_id, event_type, attempt, status, response_status, duration_ms,
      response_excerpt, at, (extract(epoch from at) * 1000000)::bigint::text as cursor_at
    from webhook_attempts where endpoint_id = ${endpointId} and tenant_id = ${tenantId}
    ${query.status ? sql`and status = ${query.status}` : sql``}
    ${query.after ? sql`and (at, id) < (timestamptz 'epoch' + ${query.after[0]}::bigint * interval '1 microsecond', ${query.after[1]}::uuid)` : sql``}
    order by at desc, id desc limit ${query.limit}`;
}
