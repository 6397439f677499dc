/**
 * Scoring for the benchmark: accuracy, macro-F1 and a confusion count of predictions against the truth, plus the
 * median used to summarise repeated runs. Items the model gave no prediction for count as wrong (and are counted),
 * so a model that silently skips hard items cannot look better than it is.
 */

export interface Score {
  /** Items scored (every truth item asked about, predicted or not). */
  n: number;
  correct: number;
  /** Truth items with no prediction (counted as wrong). */
  missing: number;
  /** correct / n; NaN when n = 0. */
  accuracy: number;
  /** Unweighted mean over classes of F1 = 2TP / (2TP + FP + FN); NaN when n = 0. */
  macroF1: number;
  /** Per-class F1, for the classes in the truth or the predictions. */
  perClass: Record<string, { f1: number; support: number }>;
}

/**
 * Scores `predicted` (item → label) against `truth` (item → label) over `items` (default: every truth item).
 * Items not in the truth are ignored. The classes of macro-F1 are those appearing in the truth of the scored items
 * or in their predictions (a class predicted but never true has F1 0, which pulls the mean down as it should).
 */
export function score(truth: ReadonlyMap<string, string>, predicted: ReadonlyMap<string, string>, items?: Iterable<string>): Score {
  const tp = new Map<string, number>();
  const fp = new Map<string, number>();
  const fn = new Map<string, number>();
  const support = new Map<string, number>();
  const add = (m: Map<string, number>, k: string) => m.set(k, (m.get(k) ?? 0) + 1);
  let n = 0;
  let correct = 0;
  let missing = 0;
  for (const id of items ?? truth.keys()) {
    const t = truth.get(id);
    if (t === undefined) continue;
    n++;
    add(support, t);
    const p = predicted.get(id);
    if (p === undefined) {
      missing++;
      add(fn, t);
    } else if (p === t) {
      correct++;
      add(tp, t);
    } else {
      add(fn, t);
      add(fp, p);
    }
  }
  const classes = new Set([...support.keys(), ...fp.keys()]);
  const perClass: Score['perClass'] = {};
  let sum = 0;
  for (const c of classes) {
    const a = tp.get(c) ?? 0;
    const denom = 2 * a + (fp.get(c) ?? 0) + (fn.get(c) ?? 0);
    const f1 = denom === 0 ? 0 : (2 * a) / denom;
    perClass[c] = { f1, support: support.get(c) ?? 0 };
    sum += f1;
  }
  return {
    n,
    correct,
    missing,
    accuracy: n ? correct / n : NaN,
    macroF1: n && classes.size ? sum / classes.size : NaN,
    perClass,
  };
}

/** Median of the finite numbers in `xs` (NaN when there are none). */
export function median(xs: readonly number[]): number {
  const v = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (!v.length) return NaN;
  const m = v.length >> 1;
  return v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
}

/**
 * Element-wise median of several results with the same shape: numbers become their median, other values are taken
 * from the first result, arrays are combined index by index (as long as the shortest one).
 */
export function medianOf<T>(runs: readonly T[]): T {
  if (!runs.length) throw new Error('medianOf: no runs');
  const first = runs[0] as unknown;
  if (typeof first === 'number') return median(runs as unknown as number[]) as unknown as T;
  if (Array.isArray(first)) {
    const len = Math.min(...runs.map((r) => (r as unknown as unknown[]).length));
    return Array.from({ length: len }, (_, i) => medianOf(runs.map((r) => (r as unknown as unknown[])[i]))) as unknown as T;
  }
  if (first && typeof first === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(first)) {
      const vals = runs.map((r) => (r as Record<string, unknown>)[k]);
      out[k] = vals.every((v) => v !== undefined) ? medianOf(vals) : (first as Record<string, unknown>)[k];
    }
    return out as T;
  }
  return first as T;
}
