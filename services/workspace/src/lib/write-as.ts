import { type AppEnv, principalOf, type Sql, type TransactionSql } from "@oryn/shared";
import type { Context } from "hono";
import type { EventRelay } from "../events/relay.ts";
import type { TenantPools } from "../tenants/tenant-pools.ts";
import { actorOf } from "./request.ts";

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

/**
 * A route's write to the caller's tenant database: one `writeAs` transaction in the tenant's
 * pool, wrapped in the relay's `writing`, so the events it records leave the outbox after it
 * commits (and a crash in between is found by the sweep).
 */
export function writeForCaller<T>(
  c: Context<AppEnv>,
  deps: { events: EventRelay; pools: TenantPools },
  work: (tx: TransactionSql) => Promise<T>,
): Promise<T> {
  const { tenantId } = principalOf(c);
  return deps.events.writing(tenantId, () =>
    deps.pools.run(tenantId, (sql) => writeAs(sql, actorOf(c), work)),
  );
}
