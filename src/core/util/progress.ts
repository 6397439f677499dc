/** Progress helpers: ETA from a moving rate, combining the progress of parallel jobs, and AbortError. */
import type { Progress, Stage } from '../types';

export class AbortError extends Error {
  override name = 'AbortError';
  constructor(message = 'cancelled') {
    super(message);
  }
}

export function isAbortError(e: unknown): boolean {
  return e instanceof Error && e.name === 'AbortError';
}

export function throwIfAborted(signal?: AbortSignal): void {
  if (signal?.aborted) throw new AbortError();
}

/** Estimates seconds left from the rate since `start`. */
export function eta(startMs: number, done: number, total: number | undefined): number | undefined {
  if (!total || done <= 0) return undefined;
  const elapsed = (Date.now() - startMs) / 1000;
  return Math.max(0, (elapsed / done) * (total - done));
}

/**
 * Merges the progress of several parallel parts into one stream for `stage`: done and total are summed, the ETA is
 * the slowest part's. Reports at most every `minIntervalMs`. `parts` is their count, or each part's expected total
 * where the caller knows it: a part that has not reported yet then counts as 0 of its expected total, so the sum is
 * the whole from the first report on (with a count only, the total grows as parts start reporting).
 */
export function combineProgress(
  stage: Stage,
  parts: number | readonly (number | undefined)[],
  onProgress?: (p: Progress) => void,
  minIntervalMs = 200,
) {
  const expected = typeof parts === 'number' ? new Array<number | undefined>(parts).fill(undefined) : [...parts];
  const latest: (Progress | undefined)[] = new Array(expected.length).fill(undefined);
  let last = 0;
  return (i: number) => (p: Progress) => {
    latest[i] = p;
    const now = Date.now();
    if (!onProgress || now - last < minIntervalMs) return;
    last = now;
    let done = 0;
    let total = 0;
    let etaSeconds: number | undefined;
    let unknownTotal = false;
    latest.forEach((q, j) => {
      if (!q) {
        total += expected[j] ?? 0;
        return;
      }
      done += q.done;
      if (q.total === undefined) unknownTotal = true;
      else total += q.total;
      if (q.etaSeconds !== undefined) etaSeconds = Math.max(etaSeconds ?? 0, q.etaSeconds);
    });
    onProgress({ stage, done, total: unknownTotal ? undefined : total, etaSeconds, loss: p.loss, message: p.message });
  };
}
