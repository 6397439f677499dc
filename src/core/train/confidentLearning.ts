/**
 * Label errors found the way confident learning finds them (Northcutt, Jiang & Chuang, "Confident Learning:
 * Estimating Uncertainty in Dataset Labels", JAIR 2021), from out-of-fold predicted probabilities of the labelled
 * rows — each row predicted by a model that never saw its label (the heads' k-fold calibration keeps them as `oof`).
 *
 *   classThresholds(probs, given, m, C) → t (length C): t_j = mean p_j over the rows labelled j (the class's mean
 *       self-confidence); NaN for a class nobody gave.
 *   findLabelIssues({probs, given, m, nClasses}) → LabelIssue[]
 *       Row k is counted in the confident joint at (given_k, j*) where j* is the most probable class among those
 *       with p_kj ≥ t_j. A row whose j* is another class than its label is a likely label error ("off-diagonal").
 *       Ranked by how little the model believes the given label (score = 1 − p_given), then by row.
 *       `filter` (cleanlab's `filter_by`): 'confident-joint' (the above), 'prune-by-noise-rate' (the confident joint,
 *       calibrated to the given class counts, estimates how many labels of class i are really j; those many rows
 *       of class i with the largest margin p_j − p_i are the issues), 'both' (rows both filters pick), or
 *       'low-self-confidence' / 'low-normalized-margin' (as many rows per class as prune-by-noise-rate, those with
 *       the lowest p_given / p_given − max other p in their given class), or 'ranked-off-diagonal' /
 *       'ranked-calibrated' (cleanlab's num_label_issues then its ranking: as many rows as the confident joint has off
 *       its diagonal / as prune-by-noise-rate would take in all, those with the lowest p_given over all classes), or
 *       'ranked-midpoint' (the same ranking; as many rows as the mean of those two counts).
 *   knnProbs(X, dim, rows, given, C, k) → m × C leave-one-out probabilities of a k-nearest-neighbour vote (cosine)
 *       among the labelled rows themselves: each row is judged by its neighbours' labels, never its own.
 *   averageProbs(a, b) → the row-wise mean of two m × C probability matrices (an ensemble of two heads; ./mix.ts).
 *
 * Pure functions over typed arrays: no tensors, no files. The out-of-fold probabilities are made by the worker job
 * that fits the current head (see src/core/project/review.ts); this file only judges them.
 */
import type { Disagreement } from '../types';
import { l2NormalizeInPlace } from '../util/math';

export interface LabelIssue {
  /** Row in probs (position among the labelled rows). */
  index: number;
  given: number;
  /** The confident class j* (≠ given). */
  predicted: number;
  /** p(given) out of fold. */
  selfConfidence: number;
  /** p(predicted) out of fold. */
  confidence: number;
  /** 1 − selfConfidence: higher = more likely wrong. */
  score: number;
}

export interface LabelIssueOptions {
  /** m × C out-of-fold probabilities, row-major. */
  probs: ArrayLike<number>;
  /** The given (human) label of each of the m rows. */
  given: ArrayLike<number>;
  m: number;
  nClasses: number;
  /** Which rows count as issues (cleanlab's `filter_by`); default 'confident-joint'. */
  filter?: IssueFilter;
}

export type IssueFilter =
  | 'confident-joint'
  | 'prune-by-noise-rate'
  | 'both'
  | 'low-self-confidence'
  | 'low-normalized-margin'
  | 'ranked-off-diagonal'
  | 'ranked-calibrated'
  | 'ranked-midpoint';
export const ISSUE_FILTERS: readonly IssueFilter[] = [
  'confident-joint',
  'prune-by-noise-rate',
  'both',
  'low-self-confidence',
  'low-normalized-margin',
  'ranked-off-diagonal',
  'ranked-calibrated',
  'ranked-midpoint',
];

function check(o: LabelIssueOptions): void {
  const { m, nClasses: C } = o;
  if (!Number.isInteger(C) || C < 2) throw new Error(`need at least 2 classes, got ${C}`);
  if (!Number.isInteger(m) || m < 0) throw new Error(`m must be a whole number ≥ 0, got ${m}`);
  if (o.probs.length < m * C) throw new Error(`probs holds ${o.probs.length} values, need m·C = ${m * C}`);
  if (o.given.length < m) throw new Error(`given holds ${o.given.length} labels, need ${m}`);
  for (let k = 0; k < m; k++) {
    const y = o.given[k];
    if (!(Number.isInteger(y) && y >= 0 && y < C)) throw new Error(`given[${k}] = ${y} is not a class (0..${C - 1})`);
  }
}

/** Per-class thresholds: the mean out-of-fold probability of class j over the rows labelled j (NaN: no such row). */
export function classThresholds(probs: ArrayLike<number>, given: ArrayLike<number>, m: number, C: number): Float64Array {
  check({ probs, given, m, nClasses: C });
  const sum = new Float64Array(C);
  const count = new Float64Array(C);
  for (let k = 0; k < m; k++) {
    sum[given[k]] += probs[k * C + given[k]];
    count[given[k]]++;
  }
  return sum.map((s, j) => (count[j] ? s / count[j] : NaN));
}

/** The confident class j* of each row (-1: no class reaches its threshold). */
function confidentClasses(probs: ArrayLike<number>, m: number, C: number, t: Float64Array): Int32Array {
  const out = new Int32Array(m).fill(-1);
  for (let k = 0; k < m; k++) {
    let best = -1;
    for (let j = 0; j < C; j++) {
      const p = probs[k * C + j];
      // A class nobody gave has no threshold: it cannot be the confident class.
      if (Number.isNaN(t[j]) || !(p >= t[j])) continue;
      if (best < 0 || p > probs[k * C + best]) best = j;
    }
    out[k] = best;
  }
  return out;
}

/**
 * How many rows of each given class i are labelled wrong, from the confident joint (rows counted at (given, j*))
 * calibrated so that row i sums to the number of rows labelled i: Σ_{j≠i} round(joint[i][j]), at most all but one.
 */
function issuesPerClass(given: ArrayLike<number>, m: number, C: number, jstar: Int32Array): number[] {
  const joint = new Float64Array(C * C);
  const count = new Float64Array(C);
  for (let k = 0; k < m; k++) {
    count[given[k]]++;
    if (jstar[k] >= 0) joint[given[k] * C + jstar[k]]++;
  }
  return Array.from({ length: C }, (_, i) => {
    let rowSum = 0;
    for (let j = 0; j < C; j++) rowSum += joint[i * C + j];
    if (!rowSum) return 0;
    let n = 0;
    for (let j = 0; j < C; j++) if (j !== i) n += Math.round((joint[i * C + j] / rowSum) * count[i]);
    return Math.max(0, Math.min(n, count[i] - 1));
  });
}

/**
 * cleanlab's num_label_issues followed by its ranking: N = the number of label errors the confident joint estimates
 * ('off-diagonal': its off-diagonal rows; 'calibrated': Σ issuesPerClass, the joint calibrated to the given class
 * counts; 'midpoint': the mean of the two), then the N rows with the lowest p_given over all classes (not per class).
 *
 * The two counts bracket the truth. The joint counts only rows where some class reaches its threshold; the
 * off-diagonal count takes the other rows (the unsure ones) to hold no error, the calibrated count takes them to
 * hold errors at the counted rows' rate. Measured with planted flips (BENCHMARKS.md, "Session 10 — label errors"):
 * on the from-scratch image ensemble at 10% flips the off-diagonal count fell short (median recall 0.78 of 9 seeds)
 * and the calibrated one over-shot (median precision 0.77); the midpoint, i.e. the unsure rows at half the counted
 * rate, met precision and recall ≥ 0.8 in the medians of 9 seeds on MNIST and spam at 10% and 20% flips, and on the
 * 3 seeds it was not chosen on.
 */
function lowestOverall(
  probs: ArrayLike<number>,
  given: ArrayLike<number>,
  m: number,
  C: number,
  jstar: Int32Array,
  count: 'off-diagonal' | 'calibrated' | 'midpoint',
): Set<number> {
  let offDiagonal = 0;
  for (let k = 0; k < m; k++) if (jstar[k] >= 0 && jstar[k] !== given[k]) offDiagonal++;
  let calibrated = 0;
  if (count !== 'off-diagonal') for (const b of issuesPerClass(given, m, C, jstar)) calibrated += b;
  const n = count === 'off-diagonal' ? offDiagonal : count === 'calibrated' ? calibrated : Math.round((offDiagonal + calibrated) / 2);
  const rows = Array.from({ length: m }, (_, k) => k).sort((a, b) => probs[a * C + given[a]] - probs[b * C + given[b]] || a - b);
  return new Set(rows.slice(0, n));
}

const RANKED_COUNT = {
  'ranked-off-diagonal': 'off-diagonal',
  'ranked-calibrated': 'calibrated',
  'ranked-midpoint': 'midpoint',
} as const;

/**
 * cleanlab's low_self_confidence / low_normalized_margin: in each given class i, the issuesPerClass(i) rows ranked
 * lowest by p_i (self-confidence) or by the normalized margin p_i − max_{j≠i} p_j.
 */
function lowestPerClass(
  probs: ArrayLike<number>,
  given: ArrayLike<number>,
  m: number,
  C: number,
  jstar: Int32Array,
  by: 'self' | 'margin',
): Set<number> {
  const budget = issuesPerClass(given, m, C, jstar);
  const key = (k: number) => {
    const y = given[k];
    if (by === 'self') return probs[k * C + y];
    let other = -Infinity;
    for (let j = 0; j < C; j++) if (j !== y) other = Math.max(other, probs[k * C + j]);
    return probs[k * C + y] - other;
  };
  const chosen = new Set<number>();
  for (let i = 0; i < C; i++) {
    if (!budget[i]) continue;
    const rows: number[] = [];
    for (let k = 0; k < m; k++) if (given[k] === i) rows.push(k);
    rows.sort((a, b) => key(a) - key(b) || a - b);
    for (const k of rows.slice(0, budget[i])) chosen.add(k);
  }
  return chosen;
}

/**
 * cleanlab's prune_by_noise_rate: the confident joint (rows counted at (given, j*)) calibrated so that row i sums
 * to the number of rows labelled i; for each i ≠ j, round(joint[i][j]) rows labelled i with the largest margin
 * p_j − p_i are issues. At least one row of each class is kept. Returns the chosen rows.
 */
function pruneByNoiseRate(probs: ArrayLike<number>, given: ArrayLike<number>, m: number, C: number, jstar: Int32Array): Set<number> {
  const joint = new Float64Array(C * C);
  const count = new Float64Array(C);
  for (let k = 0; k < m; k++) {
    count[given[k]]++;
    if (jstar[k] >= 0) joint[given[k] * C + jstar[k]]++;
  }
  const chosen = new Set<number>();
  for (let i = 0; i < C; i++) {
    let rowSum = 0;
    for (let j = 0; j < C; j++) rowSum += joint[i * C + j];
    if (!rowSum) continue;
    const rowsOfI: number[] = [];
    for (let k = 0; k < m; k++) if (given[k] === i) rowsOfI.push(k);
    let budget = rowsOfI.length - 1;
    for (let j = 0; j < C && budget > 0; j++) {
      if (j === i) continue;
      const want = Math.min(budget, Math.round((joint[i * C + j] / rowSum) * count[i]));
      if (want <= 0) continue;
      const ranked = rowsOfI
        .filter((k) => !chosen.has(k))
        .map((k) => ({ k, margin: probs[k * C + j] - probs[k * C + i] }))
        .sort((a, b) => b.margin - a.margin || a.k - b.k)
        .slice(0, want);
      for (const r of ranked) chosen.add(r.k);
      budget -= ranked.length;
    }
  }
  return chosen;
}

/** The labelled rows likely mislabelled (see the module comment), most likely wrong first. */
export function findLabelIssues(o: LabelIssueOptions): LabelIssue[] {
  check(o);
  const { probs, given, m, nClasses: C } = o;
  const filter = o.filter ?? 'confident-joint';
  if (!ISSUE_FILTERS.includes(filter)) throw new Error(`unknown filter "${filter}" (${ISSUE_FILTERS.join(', ')})`);
  const t = classThresholds(probs, given, m, C);
  const jstar = confidentClasses(probs, m, C, t);
  const pruned =
    filter === 'confident-joint'
      ? undefined
      : filter === 'low-self-confidence' || filter === 'low-normalized-margin'
        ? lowestPerClass(probs, given, m, C, jstar, filter === 'low-self-confidence' ? 'self' : 'margin')
        : filter === 'ranked-off-diagonal' || filter === 'ranked-calibrated' || filter === 'ranked-midpoint'
          ? lowestOverall(probs, given, m, C, jstar, RANKED_COUNT[filter])
          : pruneByNoiseRate(probs, given, m, C, jstar);
  const out: LabelIssue[] = [];
  for (let k = 0; k < m; k++) {
    const y = given[k];
    const offDiagonal = jstar[k] >= 0 && jstar[k] !== y;
    const pick = filter === 'confident-joint' ? offDiagonal : filter === 'both' ? offDiagonal && pruned!.has(k) : pruned!.has(k);
    if (!pick) continue;
    // The predicted class: the confident one, else (the filters that rank) the most probable other class.
    let pred = offDiagonal ? jstar[k] : -1;
    if (pred < 0) for (let j = 0; j < C; j++) if (j !== y && (pred < 0 || probs[k * C + j] > probs[k * C + pred])) pred = j;
    const self = probs[k * C + y];
    out.push({ index: k, given: y, predicted: pred, selfConfidence: self, confidence: probs[k * C + pred], score: 1 - self });
  }
  return out.sort((a, b) => b.score - a.score || a.index - b.index);
}

/**
 * Leave-one-out k-nearest-neighbour probabilities of the labelled rows: row r of `rows` (a row of X, n × dim) is
 * judged by the labels of its k most cosine-similar other labelled rows, each vote weighted by its similarity
 * (negative similarities count 0), with add-half smoothing. m × C, row-major. With `voters`, only those positions
 * vote (e.g. the labels a first pass did not flag).
 */
export function knnProbs(
  X: Float32Array,
  dim: number,
  rows: ArrayLike<number>,
  given: ArrayLike<number>,
  C: number,
  k = 10,
  /** Positions in `rows` whose labels may vote (default: all). */
  voters?: ReadonlySet<number>,
): Float32Array {
  const m = rows.length;
  if (!Number.isInteger(k) || k < 1) throw new Error(`k must be a whole number ≥ 1, got ${k}`);
  if (given.length < m) throw new Error(`given holds ${given.length} labels, need ${m}`);
  const Z = new Float32Array(m * dim);
  for (let r = 0; r < m; r++) {
    const at = rows[r];
    if (!(Number.isInteger(at) && at >= 0 && (at + 1) * dim <= X.length)) throw new Error(`row ${at} is outside the embeddings`);
    Z.set(X.subarray(at * dim, (at + 1) * dim), r * dim);
  }
  l2NormalizeInPlace(Z, m, dim);
  const out = new Float32Array(m * C);
  const sims = new Float64Array(m);
  const order: number[] = Array.from({ length: m }, (_, i) => i);
  for (let a = 0; a < m; a++) {
    for (let b = 0; b < m; b++) {
      if (b === a || (voters && !voters.has(b))) {
        sims[b] = -Infinity;
        continue;
      }
      let s = 0;
      for (let d = 0; d < dim; d++) s += Z[a * dim + d] * Z[b * dim + d];
      sims[b] = s;
    }
    order.sort((x, y) => sims[y] - sims[x] || x - y);
    const votes = new Float64Array(C).fill(0.5 / C);
    for (let q = 0; q < Math.min(k, m - 1); q++) if (sims[order[q]] > -Infinity) votes[given[order[q]]] += Math.max(0, sims[order[q]]);
    let total = 0;
    for (let j = 0; j < C; j++) total += votes[j];
    for (let j = 0; j < C; j++) out[a * C + j] = votes[j] / total;
  }
  return out;
}

export { averageProbs } from './mix';

/**
 * The label issues of named rows: `rows[k].at` is the row of `probs` (m' × C, e.g. a head's kept `oof.probs`) holding
 * item k's out-of-fold probabilities, `rows[k].label` its given label (a name in `classes`). Most likely wrong first.
 */
export function labelIssues(
  probs: ArrayLike<number>,
  rows: readonly { item: string; label: string; at: number }[],
  classes: readonly string[],
  filter?: IssueFilter,
): Disagreement[] {
  const C = classes.length;
  const cls = new Map(classes.map((c, j) => [c, j]));
  const m = rows.length;
  const P = new Float32Array(m * C);
  const given = new Int32Array(m);
  rows.forEach((r, k) => {
    const y = cls.get(r.label);
    if (y === undefined) throw new Error(`label "${r.label}" of ${r.item} is not a class (${classes.join(', ')})`);
    if (!(r.at >= 0 && (r.at + 1) * C <= probs.length)) throw new Error(`row ${r.at} of ${r.item} is outside the probabilities`);
    given[k] = y;
    for (let j = 0; j < C; j++) P[k * C + j] = probs[r.at * C + j];
  });
  return namedIssues(findLabelIssues({ probs: P, given, m, nClasses: C, filter }), rows, classes);
}

/** Label issues by item and class name: `rows[issue.index].item` is the item of each issue's row. */
export function namedIssues(issues: readonly LabelIssue[], rows: readonly { item: string }[], classes: readonly string[]): Disagreement[] {
  return issues.map((x) => ({
    item: rows[x.index].item,
    label: classes[x.given],
    predicted: classes[x.predicted],
    confidence: x.confidence,
    selfConfidence: x.selfConfidence,
    score: x.score,
  }));
}
