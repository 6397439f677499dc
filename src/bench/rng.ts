/**
 * Seeded randomness for the benchmark: every random choice the simulated annotator or the workspace builder makes
 * (which seed items, which subset of the pool) comes from here, so `--seed S` makes a run repeatable.
 */

/** mulberry32: a small, fast, deterministic PRNG returning floats in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Fisher–Yates shuffle of a copy of `arr`. */
export function shuffled<T>(arr: readonly T[], rand: () => number): T[] {
  const out = arr.slice();
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

/** `k` distinct elements of `arr` chosen uniformly at random (all of them when k ≥ length), in random order. */
export function sample<T>(arr: readonly T[], k: number, rand: () => number): T[] {
  return shuffled(arr, rand).slice(0, Math.max(0, k));
}
