import { fmix32, fnv1a } from "@oryn/shared";

/**
 * How often each key was seen lately, estimated in fixed memory: a count-min sketch (TinyLFU,
 * Einziger, Friedman and Manes 2017). Each key bumps one counter in each of four rows; its estimate
 * is the least of its four counters, which over-counts only when every one of them is shared with
 * busier keys. When the count of additions reaches `sampleSize`, every counter is halved, and so
 * is that count (as TinyLFU does): after the first, a halving comes every `sampleSize / 2`
 * additions. The estimates follow recent traffic, and a key that went quiet fades.
 *
 * Tenant pools keep one (tenant-pools.ts): unlike a count kept on an open pool, it remembers
 * tenants whose connections were closed, so a busy tenant that lost its connection is recognised
 * when it comes back, among a thousand that are seen once in a while.
 */
export type FrequencySketch = {
  add(key: string): void;
  estimate(key: string): number;
};

const depth = 4;
const counterMax = 0xffff;

export function createFrequencySketch(options: {
  /** Counters per row; rounded up to a power of two. */
  width: number;
  /** Additions before the first halving; half as many between later ones. */
  sampleSize: number;
}): FrequencySketch {
  let width = 1;
  while (width < options.width) width *= 2;
  const mask = width - 1;
  const counters = new Uint16Array(depth * width);
  const slots = new Uint32Array(depth);
  let additions = 0;

  /** The key's counter in each row, by double hashing one 32-bit FNV-1a hash of the key. */
  function locate(key: string) {
    const hash = fnv1a(key);
    // A second, independent-enough hash from the first, made odd so that the rows' indexes differ.
    const step = fmix32(hash) | 1;
    for (let row = 0; row < depth; row++) {
      slots[row] = row * width + ((hash + row * step) & mask);
    }
  }

  function halve() {
    for (let index = 0; index < counters.length; index++) {
      counters[index] = (counters[index] as number) >>> 1;
    }
    additions = Math.floor(additions / 2);
  }

  return {
    add(key) {
      locate(key);
      for (const slot of slots) {
        if ((counters[slot] as number) < counterMax)
          counters[slot] = (counters[slot] as number) + 1;
      }
      if (++additions >= options.sampleSize) halve();
    },
    estimate(key) {
      locate(key);
      let least = counterMax;
      for (const slot of slots) least = Math.min(least, counters[slot] as number);
      return least;
    },
  };
}
