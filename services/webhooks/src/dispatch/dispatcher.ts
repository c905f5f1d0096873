import { enqueueMany } from "@oryn/shared";
import type { WebhooksDeps } from "../deps.ts";

const batchSize = 500;

/**
 * The outbox reader of the control plane's event log. Each round it turns new events into
 * deliveries, one per endpoint of the tenant that subscribes to the type (a paused endpoint's
 * wait; a disabled one gets none), and hands new deliveries to the queue. Both steps are safe
 * to run twice and from several processes (SKIP LOCKED, and a unique delivery per event and
 * endpoint), so a process killed at any point loses nothing: the next round finds the rest.
 */
export async function fanOutEvents(deps: WebhooksDeps): Promise<number> {
  const rows = await deps.sql<{ id: string }[]>`
    with batch as (
      select id, tenant_id, type from events
      where dispatched_at is null order by recorded_at limit ${batchSize}
      for update skip locked
    ), owed as (
      insert into webhook_deliveries (tenant_id, endpoint_id, event_id, reason)
      select b.tenant_id, w.id, b.id, 'event' from batch b
      join webhook_endpoints w on w.tenant_id = b.tenant_id and w.status <> 'disabled'
        and (b.type = any(w.events) or '*' = any(w.events))
      on conflict (endpoint_id, event_id) where reason = 'event' do nothing
    )
    update events set dispatched_at = clock_timestamp()
    where id in (select id from batch) returning id`;
  return rows.length;
}

/**
 * Hands to the queue the deliveries of enabled endpoints that no job carries: new ones, those
 * held while their endpoint was paused or disabled, and (`stale`) those whose job should have
 * run long ago and has not (lost with Redis, or with a worker killed mid-attempt). The time of
 * handing over is in the job id, so a delivery handed over again gets a job of its own.
 */
export async function enqueueOwed(
  deps: WebhooksDeps,
  options: { staleAfterMs: number },
): Promise<number> {
  const rows = await deps.sql<{ id: string; attempts: number; enqueuedAtMs: string }[]>`
    update webhook_deliveries d set enqueued_at = clock_timestamp()
    where d.id in (
      select d2.id from webhook_deliveries d2
      join webhook_endpoints w on w.id = d2.endpoint_id and w.status = 'enabled'
      where d2.status = 'pending' and (
        d2.enqueued_at is null
        or d2.next_attempt_at < clock_timestamp() - ${options.staleAfterMs} * interval '1 millisecond')
      order by d2.created_at limit ${batchSize}
      for update of d2 skip locked)
    returning d.id, d.attempts, (extract(epoch from d.enqueued_at) * 1000)::bigint::text as enqueued_at_ms`;
  if (rows.length === 0) return 0;
  await enqueueMany(
    deps.queues,
    "webhooks.deliver",
    rows.map((row) => ({
      deliveryId: row.id,
      attempt: row.attempts + 1,
      enqueuedAt: Number(row.enqueuedAtMs),
    })),
  );
  return rows.length;
}

/** Runs the rounds every WEBHOOKS_POLL_MS until stopped; the stale check every sweep period. */
export function startDispatcher(deps: WebhooksDeps): { stop(): Promise<void> } {
  let stopped = false;
  let lastSweep = 0;
  const loop = (async () => {
    while (!stopped) {
      try {
        await fanOutEvents(deps);
        const sweep = Date.now() - lastSweep >= deps.config.WEBHOOKS_SWEEP_SECONDS * 1000;
        await enqueueOwed(deps, {
          staleAfterMs: sweep ? deps.config.WEBHOOKS_SWEEP_SECONDS * 1000 : 365 * 24 * 3600 * 1000,
        });
        if (sweep) lastSweep = Date.now();
      } catch (error) {
        deps.logger.warn({ err: error }, "webhook dispatch round failed; the next one retries");
      }
      await new Promise((resolve) => setTimeout(resolve, deps.config.WEBHOOKS_POLL_MS));
    }
  })();
  return {
    async stop() {
      stopped = true;
      await loop;
    },
  };
}
