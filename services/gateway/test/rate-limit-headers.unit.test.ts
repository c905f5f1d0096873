import { planLimits } from "@oryn/shared/plans";
import { describe, expect, it } from "vitest";
import {
  closestToLimit,
  longestRefusal,
  policyHeader,
  rateLimitHeader,
  retryAfterSeconds,
} from "../src/rate-limit/rate-limit-headers.ts";

const burst = { name: "tenant-burst", quota: 20, windowSeconds: 1 };
const sustained = { name: "tenant", quota: 300, windowSeconds: 60 };
const count = (policy: typeof burst, remainingPoints: number, msBeforeNext: number) => ({
  policy,
  state: { remainingPoints, msBeforeNext },
});

describe("rate-limit arithmetic", () => {
  it("describes every window of the bucket in RateLimit-Policy", () => {
    expect(policyHeader([burst, sustained])).toBe('"tenant-burst";q=20;w=1, "tenant";q=300;w=60');
    expect(policyHeader([{ name: "ip", quota: 60, windowSeconds: 60 }])).toBe('"ip";q=60;w=60');
  });

  it("reports what is left, never below zero, and the reset in whole seconds rounded up", () => {
    expect(rateLimitHeader(count(sustained, 12, 30_001))).toBe('"tenant";r=12;t=31');
    expect(rateLimitHeader(count(sustained, -3, 1_000))).toBe('"tenant";r=0;t=1');
    expect(rateLimitHeader(count(burst, 0, 1))).toBe('"tenant-burst";r=0;t=1');
  });

  it("shows the window with the smallest share of its quota left, not the fewest requests", () => {
    // 10 of 20 (50%) left in the burst window against 100 of 300 (33%) in the minute.
    const burstCount = count(burst, 10, 400);
    const minuteCount = count(sustained, 100, 20_000);
    expect(closestToLimit([burstCount, minuteCount])).toBe(minuteCount);
    expect(closestToLimit([minuteCount, count(burst, 5, 400)]).policy).toBe(burst);
  });

  it("answers a refusal with the window that stays shut longest", () => {
    const refusals = [count(burst, 0, 700), count(sustained, 0, 42_000), count(burst, 0, 900)];
    expect(longestRefusal(refusals)).toBe(refusals[1]);
  });

  it("asks to retry after the window reopens, at least a second, with up to a tenth more at random", () => {
    const none = () => 0;
    expect(retryAfterSeconds(0, none)).toBe(1);
    expect(retryAfterSeconds(1, none)).toBe(1);
    expect(retryAfterSeconds(1_001, none)).toBe(2);
    expect(retryAfterSeconds(42_000, none)).toBe(42);
    // randomInt's bounds: from 0, up to and including a tenth (rounded up, at least 1).
    const bounds: Array<[number, number]> = [];
    const spy = (min: number, max: number) => {
      bounds.push([min, max]);
      return max - 1;
    };
    expect(retryAfterSeconds(42_000, spy)).toBe(42 + 5);
    expect(retryAfterSeconds(3_000, spy)).toBe(3 + 1);
    expect(bounds).toEqual([
      [0, 6],
      [0, 2],
    ]);
    for (let draw = 0; draw < 200; draw++) {
      expect(retryAfterSeconds(9_500)).toBeGreaterThanOrEqual(10);
      expect(retryAfterSeconds(9_500)).toBeLessThanOrEqual(11);
    }
  });

  it("gives each plan a burst allowance that fits inside its sustained rate", () => {
    for (const [plan, limits] of Object.entries(planLimits)) {
      expect(limits.requestsPerSecond, plan).toBeGreaterThan(0);
      expect(limits.requestsPerSecond, plan).toBeLessThanOrEqual(limits.requestsPerMinute);
    }
    expect(planLimits.free.requestsPerMinute).toBeLessThan(planLimits.pro.requestsPerMinute);
    expect(planLimits.pro.requestsPerMinute).toBeLessThan(planLimits.business.requestsPerMinute);
  });
});
