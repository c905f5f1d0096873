/**
 * A value per key (usually per tenant) loaded on demand and kept for `ttlMs`: the hot path asks
 * the control plane about once per key per few seconds, and a change there is seen within
 * `ttlMs` without a restart. Concurrent misses for one key share one load. When more than
 * `maxEntries` are held, the cache starts over (a burst of misses, never unbounded memory).
 */
export type KeyedCache<T> = {
  get(key: string): Promise<T>;
  /**
   * `get`, or, when its load fails, the value last loaded less than `maxAgeMs` ago (by default
   * however old) marked `stale`; the load's error if there is none. What the control plane said
   * last, while it cannot answer.
   */
  getOrStale(key: string, maxAgeMs?: number): Promise<{ value: T; stale: boolean }>;
  /** Drops the entries whose key matches, after a change made here; the others stay warm. */
  forget(match: (key: string) => boolean): void;
};

export function cachedPerKey<T>(
  load: (key: string) => Promise<T>,
  options: { ttlMs: number; maxEntries?: number },
): KeyedCache<T> {
  const maxEntries = options.maxEntries ?? 50_000;
  const entries = new Map<string, { value: T; at: number }>();
  const inFlight = new Map<string, Promise<T>>();
  const get = (key: string): Promise<T> => {
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
  };
  return {
    get,
    getOrStale(key, maxAgeMs = Number.POSITIVE_INFINITY) {
      return get(key).then(
        (value) => ({ value, stale: false }),
        (error: unknown) => {
          const last = entries.get(key);
          if (last?.value === undefined || performance.now() - last.at >= maxAgeMs) throw error;
          return { value: last.value, stale: true };
        },
      );
    },
    forget(match) {
      for (const key of entries.keys()) if (match(key)) entries.delete(key);
    },
  };
}
