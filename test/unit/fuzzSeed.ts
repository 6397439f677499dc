/**
 * The seed of every property-based (fast-check) test. `npm test` and CI use a fixed seed, so a run is the same cases
 * every time and a red CI is a reproducible bug, not a roll of the dice. `npm run fuzz` (FUZZ_SEED=random) draws a
 * new seed per property to find new cases; fast-check prints the seed and path of a failure, and
 * `FUZZ_SEED=<seed> node --import tsx --test <file>` replays it.
 */
import fc from 'fast-check';

const FIXED_SEED = 20261204;

function seedFromEnv(): number | undefined {
  const v = process.env.FUZZ_SEED;
  if (v === 'random') return undefined;
  if (v === undefined || v === '') return FIXED_SEED;
  const n = Number(v);
  if (!Number.isInteger(n)) throw new Error(`FUZZ_SEED must be an integer or "random", not ${JSON.stringify(v)}`);
  return n;
}

/** fast-check parameters for `numRuns` cases: the fixed seed unless FUZZ_SEED says otherwise. */
export function fuzzParams<T>(numRuns: number): fc.Parameters<T> {
  const seed = seedFromEnv();
  return seed === undefined ? { numRuns } : { numRuns, seed };
}
