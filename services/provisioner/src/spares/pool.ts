import type { Logger } from "@oryn/shared";
import type { ProvisioningDeps } from "../provisioning/provision-tenant.ts";
import { refillSpares } from "./refill.ts";

export type SparePool = {
  /** Asks for a refill soon; kicks during a burst of signups push it back (see `quietMs`). */
  claimed(): void;
  /** Asks for a refill now (start). */
  refill(): Promise<void>;
  /**
   * The periodic sweep's refill: now, unless signups are claiming spares (then the refill after
   * the burst does it), for at most `maxPostponeMs` in a row.
   */
  refillUnlessClaiming(): Promise<void>;
  /** Waits for a running refill and stops the pool. */
  close(): Promise<void>;
};

/** Keeps the warm pool topped up from this process, on the schedule `scheduleRefills` keeps. */
export function startSparePool(
  deps: ProvisioningDeps,
  options: { target: number; concurrency: number; quietMs?: number; maxPostponeMs?: number },
): SparePool {
  return scheduleRefills((stopped) => refillSpares(deps, { ...options, stopped }), {
    ...options,
    logger: deps.logger,
  });
}

/**
 * When to run `refillOnce`. One refill runs at a time; a request during it runs one more
 * afterwards. After a claim the refill waits until claims have been quiet for `quietMs`: cloning
 * competes with the signups it is meant to speed up (CREATE DATABASE is serialised in
 * PostgreSQL), so a burst drains the pool and the pool refills behind it. The periodic sweep
 * refills too, and a sweep during claims waits for them to stop for at most `maxPostponeMs`, so
 * steady traffic cannot postpone the refill for ever. `stopped` tells a refill the pool closed.
 */
export function scheduleRefills(
  refillOnce: (stopped: () => boolean) => Promise<unknown>,
  options: { quietMs?: number; maxPostponeMs?: number; logger: Pick<Logger, "warn"> },
): SparePool {
  const quietMs = options.quietMs ?? 1000;
  const maxPostponeMs = options.maxPostponeMs ?? 60_000;
  let running: Promise<void> | undefined;
  let again = false;
  let closed = false;
  let timer: NodeJS.Timeout | undefined;
  let lastClaimAt = Number.NEGATIVE_INFINITY;
  // When the sweep first found claims going on since the last refill began (undefined: it has not).
  let postponedSince: number | undefined;

  const refill = (): Promise<void> => {
    if (closed) return Promise.resolve();
    if (running) {
      again = true;
      return running;
    }
    postponedSince = undefined;
    running = (async () => {
      do {
        again = false;
        try {
          await refillOnce(() => closed);
        } catch (error) {
          options.logger.warn({ err: error }, "spare database refill failed");
        }
      } while (again && !closed);
    })().finally(() => {
      running = undefined;
    });
    return running;
  };

  return {
    claimed() {
      if (closed) return;
      lastClaimAt = performance.now();
      clearTimeout(timer);
      timer = setTimeout(() => void refill(), quietMs);
    },
    refill,
    refillUnlessClaiming() {
      // A sweep tick in the middle of a burst of signups used to start cloning there and then:
      // each spare a CREATE DATABASE and a migration on the cores the signups' password hashes
      // and provisioning jobs need. Steady claims still cannot postpone the refill for ever.
      const now = performance.now();
      if (now - lastClaimAt < quietMs) {
        postponedSince ??= now;
        if (now - postponedSince < maxPostponeMs) return running ?? Promise.resolve();
      }
      return refill();
    },
    async close() {
      closed = true;
      clearTimeout(timer);
      await running;
    },
  };
}
