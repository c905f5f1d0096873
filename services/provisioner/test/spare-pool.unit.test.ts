import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import { scheduleRefills } from "../src/spares/pool.ts";

/** A pool whose refills are only counted: the timing policy without a database. */
function countingPool(options: { quietMs: number; maxPostponeMs: number }) {
  let refills = 0;
  const pool = scheduleRefills(
    async () => {
      refills++;
    },
    { ...options, logger: { warn: () => {} } },
  );
  return { pool, refills: () => refills };
}

describe("the warm pool's sweep refill", () => {
  it("refills at once when no signup is claiming", async () => {
    const { pool, refills } = countingPool({ quietMs: 100, maxPostponeMs: 1000 });
    await pool.refillUnlessClaiming();
    expect(refills()).toBe(1);
    await pool.close();
  });

  it("waits for a burst of claims to end, then the pool refills once behind it", async () => {
    const { pool, refills } = countingPool({ quietMs: 100, maxPostponeMs: 10_000 });
    pool.claimed();
    // A sweep tick in the middle of the burst: no clone competes with the signups.
    await pool.refillUnlessClaiming();
    await sleep(40);
    pool.claimed();
    await pool.refillUnlessClaiming();
    expect(refills()).toBe(0);
    await sleep(200);
    expect(refills()).toBe(1);
    await pool.close();
  });

  it("is not postponed for ever by claims that never stop", async () => {
    const { pool, refills } = countingPool({ quietMs: 100, maxPostponeMs: 200 });
    const started = performance.now();
    // Claims every 30 ms: the quiet-period refill never comes; the sweep's does, once postponed
    // for maxPostponeMs.
    while (performance.now() - started < 400 && refills() === 0) {
      pool.claimed();
      await pool.refillUnlessClaiming();
      await sleep(30);
    }
    expect(refills()).toBe(1);
    expect(performance.now() - started).toBeGreaterThanOrEqual(200);
    await pool.close();
  });
});
