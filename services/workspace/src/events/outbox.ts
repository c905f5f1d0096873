import type { EventType, TransactionSql } from "@oryn/shared";

/**
 * Writes an event into the tenant database's outbox, inside the transaction of the change it
 * describes: it commits with the change or not at all. `data` is the object as the API returns
 * it; `previous` (updates) holds the old values of the fields that changed.
 */
export async function recordTenantEvent(
  tx: TransactionSql,
  type: EventType,
  data: object,
  previous?: object,
): Promise<void> {
  await tx`
    insert into event_outbox (type, data, previous)
    values (${type}, ${tx.json(data as never)}, ${previous ? tx.json(previous as never) : null})`;
}

/** The fields of `after` whose value differs from `before`, with `before`'s values. */
export function changedFields<T extends object>(before: T, after: T): Partial<T> {
  const previous: Partial<T> = {};
  for (const key of Object.keys(after) as (keyof T)[]) {
    if (JSON.stringify(before[key]) !== JSON.stringify(after[key])) previous[key] = before[key];
  }
  return previous;
}
