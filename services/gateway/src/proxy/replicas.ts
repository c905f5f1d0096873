import { fmix32, fnv1a } from "@oryn/shared";

/**
 * Which replica of an upstream serves which tenant: rendezvous (highest-random-weight) hashing of
 * the tenant id over the replicas' addresses, so each workspace replica keeps pools only for its
 * share of tenants and the fleet's connection budget grows with replicas. A replica's score for a
 * tenant depends only on the two of them: adding or removing a replica moves only the tenants
 * that replica gains or had, and every gateway (no coordination between them) sends a tenant to
 * the same replica.
 *
 * Failures are tracked passively: a replica that refused connections `ejectAfter` times in a row
 * is passed over for `ejectMs`, then tried again by the next request that would go to it, so its
 * tenants move back once it answers.
 */
export type ReplicaSet = {
  /**
   * Replicas to try for `key`, best first: its rendezvous order, healthy ones before ejected
   * ones (which are still tried last, rather than failing the request outright). Without a key
   * (no caller sends workspace a request of no tenant today), `listed()`.
   */
  order(key: string | undefined): number[];
  /** The replicas in the order they were listed, healthy ones first. */
  listed(): number[];
  /** A connection to `replica` could not be made. */
  failed(replica: number): void;
  /** `replica` answered. */
  answered(replica: number): void;
};

export type ReplicaSetOptions = {
  /** Consecutive connection failures after which a replica is passed over. */
  ejectAfter?: number;
  /** How long an ejected replica is passed over before it is tried again. */
  ejectMs?: number;
  now?: () => number;
};

export function createReplicaSet(names: string[], options: ReplicaSetOptions = {}): ReplicaSet {
  const ejectAfter = options.ejectAfter ?? 2;
  const ejectMs = options.ejectMs ?? 5_000;
  const now = options.now ?? Date.now;
  const seeds = names.map((name) => fnv1a(name));
  const failures = names.map(() => 0);
  const ejectedUntil = names.map(() => 0);
  const all = names.map((_, index) => index);

  const healthy = (replica: number) => (ejectedUntil[replica] ?? 0) <= now();
  const healthyFirst = (replicas: number[]) => {
    if (replicas.every(healthy)) return replicas;
    return [...replicas.filter(healthy), ...replicas.filter((replica) => !healthy(replica))];
  };

  return {
    order(key) {
      // One replica: nothing to choose, and nothing gained by ejecting it.
      if (names.length === 1) return all;
      return healthyFirst(key === undefined ? all : rendezvousOrder(key, seeds));
    },
    listed: () => healthyFirst(all),
    failed(replica) {
      failures[replica] = (failures[replica] ?? 0) + 1;
      if ((failures[replica] ?? 0) >= ejectAfter) {
        ejectedUntil[replica] = now() + ejectMs;
        // Counted afresh once the time is up: a replica back on probation is passed over again
        // after `ejectAfter` refusals, not at its first.
        failures[replica] = 0;
      }
    },
    answered(replica) {
      failures[replica] = 0;
      ejectedUntil[replica] = 0;
    },
  };
}

/** Replica indexes by their score for `key`, highest first (ties by index). */
function rendezvousOrder(key: string, seeds: number[]): number[] {
  const scores = seeds.map((seed) => fmix32(fnv1a(key, seed)));
  return seeds
    .map((_, index) => index)
    .sort((a, b) => (scores[b] ?? 0) - (scores[a] ?? 0) || a - b);
}

/** The replica `key` goes to among replicas named `names` while all are healthy. */
export function rendezvousChoice(key: string, names: string[]): string {
  const order = rendezvousOrder(
    key,
    names.map((name) => fnv1a(name)),
  );
  return names[order[0] ?? 0] as string;
}
