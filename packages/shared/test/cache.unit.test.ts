import { describe, expect, it } from "vitest";
import { cachedPerKey } from "../src/cache.ts";

describe("cachedPerKey", () => {
  it("shares one load between concurrent misses, and loads again after ttlMs", async () => {
    let loads = 0;
    const cache = cachedPerKey(async (key) => `${key}:${++loads}`, { ttlMs: 0 });
    expect(await Promise.all([cache.get("a"), cache.get("a")])).toEqual(["a:1", "a:1"]);
    expect(await cache.get("a")).toBe("a:2");
  });

  it("gives the last value for a failed load, marked stale, no older than asked", async () => {
    let failing = false;
    const cache = cachedPerKey(
      async (key) => {
        if (failing) throw new Error("control plane away");
        return `${key} value`;
      },
      { ttlMs: 0 },
    );
    expect(await cache.getOrStale("a", 60_000)).toEqual({ value: "a value", stale: false });
    failing = true;
    await expect(cache.get("a")).rejects.toThrow("control plane away");
    // A failed load leaves the last value in place.
    expect(await cache.getOrStale("a")).toEqual({ value: "a value", stale: true });
    expect(await cache.getOrStale("a", 60_000)).toEqual({ value: "a value", stale: true });
    await expect(cache.getOrStale("a", 0)).rejects.toThrow("control plane away");
    await expect(cache.getOrStale("b", 60_000)).rejects.toThrow("control plane away");
  });

  it("forgets only the matching keys: they load again, the others stay cached", async () => {
    let loads = 0;
    const cache = cachedPerKey(async (key) => `${key}:${++loads}`, { ttlMs: 60_000 });
    await cache.get("t1:u1");
    await cache.get("t1:u2");
    await cache.get("t2:u1");
    cache.forget((key) => key.startsWith("t1:"));
    expect(await cache.get("t2:u1")).toBe("t2:u1:3");
    expect(await cache.get("t1:u1")).toBe("t1:u1:4");
    expect(await cache.get("t1:u2")).toBe("t1:u2:5");
  });
});
