/**
 * A value per key (usually per tenant) loaded on demand and kept for `ttlMs`: the hot path asks
 * the control plane about once per key per few seconds, and a change there is seen within
 * `ttlMs` without a restart. Concurrent misses for one key share one load. When more than
 * `maxEntries` are held, the cache starts over (a burst of misses, never unbounded memory).
 */
export type KeyedCache<T> = {
  get(key: string): Promise<T>;
  /**
   * The value last loaded for `key`, if any, and if it was loaded less than `maxAgeMs` ago (by
   * default however old): a fallback when a load fails.
   */
  stale(key: string, maxAgeMs?: number): T | undefined;
};

export function cachedPerKey<T>(
  load: (key: string) => Promise<T>,
  options: { ttlMs: number; maxEntries?: number },
): KeyedCache<T> {
  const maxEntries = options.maxEntries ?? 50_000;
  const entries = new Map<string, { value: T; at: number }>();
  const inFlight = new Map<string, Promise<T>>();
  return {
    get(key) {
      const hit = entries.get(key);
      if (hit && performance.now() - hit.at < options.ttlMs) return Promise.resolve(hit.value);
      let pending = inFlight.get(key);
      if (!pending) {
        pending = load(key)
          .then((value) => {
            if (entries.size >= maxEntries) entries.clear();
            entries.set(key, { value, at: performance.now() });
            return value;
          })
          .finally(() => inFlight.delete(key));
        inFlight.set(key, pending);
      }
      return pending;
    },
    stale(key, maxAgeMs = Number.POSITIVE_INFINITY) {
      const last = entries.get(key);
      return last && performance.now() - last.at < maxAgeMs ? last.value : undefined;
    },
  };
}
