/**
 * Small, fast, non-cryptographic hashes for spreading keys (a tenant over replicas, a tenant over
 * a frequency sketch's counters): never for anything a client could profit from predicting.
 */

const fnvOffset = 0x811c9dc5;

/** FNV-1a over a string's UTF-16 code units, from `seed`: cheap, and enough once mixed. */
export function fnv1a(text: string, seed = fnvOffset): number {
  let hash = seed >>> 0;
  for (let index = 0; index < text.length; index++) {
    hash ^= text.charCodeAt(index);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/** MurmurHash3's finaliser: every input bit moves every output bit. */
export function fmix32(value: number): number {
  let hash = value;
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b);
  hash ^= hash >>> 13;
  hash = Math.imul(hash, 0xc2b2ae35);
  hash ^= hash >>> 16;
  return hash >>> 0;
}
