import { enqueueMany } from "@oryn/shared";
import {
  markOwedDeliveriesEnqueued,
  oweDeliveriesOfNewEvents,
} from "@oryn/shared/control-plane/tables/webhook-deliveries";
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
  const rows = await oweDeliveriesOfNewEvents(deps.sql, batchSize);
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
  const rows = await markOwedDeliveriesEnqueued(deps.sql, options.staleAfterMs, batchSize);
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
