import type { ProvisioningDeps } from "../provisioning/provision-tenant.ts";
import { refillSpares } from "./refill.ts";

export type SparePool = {
  /** Asks for a refill soon; kicks during a burst of signups push it back (see `quietMs`). */
  claimed(): void;
  /** Asks for a refill now (start, the periodic sweep). */
  refill(): Promise<void>;
  /** Waits for a running refill and stops the pool. */
  close(): Promise<void>;
};

/**
 * Keeps the warm pool topped up from this process. One refill runs at a time; a request during
 * it runs one more afterwards. After a claim the refill waits until claims have been quiet for
 * `quietMs`: cloning competes with the signups it is meant to speed up (CREATE DATABASE is
 * serialised in PostgreSQL), so a burst drains the pool and the pool refills behind it. The
 * periodic sweep calls `refill()` regardless, so steady traffic cannot postpone it for ever.
 */
export function startSparePool(
  deps: ProvisioningDeps,
  options: { target: number; concurrency: number; quietMs?: number },
): SparePool {
  const quietMs = options.quietMs ?? 1000;
  let running: Promise<void> | undefined;
  let again = false;
  let closed = false;
  let timer: NodeJS.Timeout | undefined;

  const refill = (): Promise<void> => {
    if (closed) return Promise.resolve();
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      do {
        again = false;
        try {
          await refillSpares(deps, { ...options, stopped: () => closed });
        } catch (error) {
          deps.logger.warn({ err: error }, "spare database refill failed");
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
      clearTimeout(timer);
      timer = setTimeout(() => void refill(), quietMs);
    },
    refill,
    async close() {
      closed = true;
      clearTimeout(timer);
      await running;
    },
  };
}
