import { describe, expect, it } from "vitest";
import { zipfPicker } from "../lib/zipf.ts";
import { harmonic } from "../lib/zipf-bound.ts";

describe("zipfPicker", () => {
  it("picks rank k about (k+1)^-1 / H(n) of the time, and only ranks in range", () => {
    const n = 50;
    const pick = zipfPicker(n);
    const counts = new Array<number>(n).fill(0);
    const picks = 200_000;
    for (let i = 0; i < picks; i++) {
      const rank = pick();
      expect(rank >= 0 && rank < n).toBe(true);
      counts[rank] = (counts[rank] ?? 0) + 1;
    }
    for (const rank of [0, 1, 4, 49]) {
      const expected = 1 / (rank + 1) / harmonic(n);
      expect((counts[rank] ?? 0) / picks).toBeCloseTo(expected, 2);
    }
  });

  it("with s = 0 picks every rank alike", () => {
    const pick = zipfPicker(4, 0);
    const counts = [0, 0, 0, 0];
    for (let i = 0; i < 40_000; i++) {
      const rank = pick();
      counts[rank] = (counts[rank] ?? 0) + 1;
    }
    for (const count of counts) expect(count / 40_000).toBeCloseTo(0.25, 1);
  });
});
