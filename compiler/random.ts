// Seeded pseudo-random numbers for everything that must repeat exactly (epoch shuffles, example data, test inputs):
// a 32-bit SplitMix-style generator, our own, so the same seed gives the same sequence on every machine and Node
// version. Weight initialization has its own normal sampler (compiler/import/hf/init.ts) and shares fnv1a from here.
// Invariants: pure functions of (seed, stream); no global state; values are uniform in [0, 1) with 32-bit resolution.

/** A generator of uniform numbers in [0, 1). */
export type Random = () => number;

/** Mixes one 32-bit word into a well-scrambled 32-bit word (a SplitMix32-style finalizer). */
function mix32(x: number): number {
  let z = x >>> 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
  return (z ^ (z >>> 16)) >>> 0;
}

/** 32-bit FNV-1a hash of a string's UTF-16 code units (turns names into seeds and streams). */
export function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/**
 * A generator for `seed` (a number, or a name hashed with fnv1a) and an optional `stream` number (e.g. the epoch):
 * different streams of one seed give unrelated sequences. Numbers are taken modulo 2^32.
 */
export function makeRandom(seed: number | string, stream = 0): Random {
  const base = typeof seed === "string" ? fnv1a(seed) : seed >>> 0;
  let state = mix32(mix32(base) ^ Math.imul(stream >>> 0, 0x9e3779b9));
  return () => {
    state = (state + 0x9e3779b9) >>> 0;
    return mix32(state) / 2 ** 32;
  };
}

/** A uniform integer in [lo, hi] (both ends included). */
export function randomInt(random: Random, lo: number, hi: number): number {
  return lo + Math.floor(random() * (hi - lo + 1));
}

/** The indices 0..n-1 in a random order (Fisher–Yates), the same for the same generator state. */
export function shuffledIndices(n: number, random: Random): number[] {
  const order = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  return order;
}
