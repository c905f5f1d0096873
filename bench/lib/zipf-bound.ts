/**
 * The perfect-cache bound of issue 17: under Zipf (s = 1) traffic over `tenants` tenants, a cache
 * holding the `budget` most frequent ones misses `1 - H(budget)/H(tenants)` of requests (H: the
 * harmonic numbers), so no pool policy with that many connections can open fewer new PostgreSQL
 * sessions per answer (one connection per pool at least). A budget that holds every tenant: 0.
 */
export function perfectCacheBound(budget: number, tenants: number): number {
  if (budget >= tenants) return 0;
  return 1 - harmonic(budget) / harmonic(tenants);
}

/** H(n) = 1 + 1/2 + … + 1/n. */
export function harmonic(n: number): number {
  let sum = 0;
  for (let k = 1; k <= n; k++) sum += 1 / k;
  return sum;
}
