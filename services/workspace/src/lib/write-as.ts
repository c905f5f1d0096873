import type { Sql, TransactionSql } from "@oryn/shared";

/** Who is writing, for the audit trigger. */
export type Actor = { userId: string; requestId: string };

/**
 * A write transaction whose audit rows name the actor and request: the trigger reads these
 * transaction-local settings, so they vanish with the transaction and never leak to the next
 * request that borrows the connection.
 */
export function writeAs<T>(
  sql: Sql,
  actor: Actor,
  work: (tx: TransactionSql) => Promise<T>,
): Promise<T> {
  return sql.begin(async (tx) => {
    await tx`select set_config('oryn.actor_id', ${actor.userId}, true), set_config('oryn.request_id', ${actor.requestId}, true)`;
    return work(tx);
  }) as Promise<T>;
}
