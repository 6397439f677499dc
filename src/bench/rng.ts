/**
 * Seeded randomness for the benchmark: every random choice the simulated annotator or the workspace builder makes
 * (which seed items, which subset of the pool) comes from here, so `--seed S` makes a run repeatable.
 */

export { mulberry32 } from '../core/models/random';

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
