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
 *
 * Pure functions over typed arrays: no tensors, no files. The out-of-fold probabilities are made by the worker job
 * that fits the current head (see src/core/project/review.ts); this file only judges them.
 */
import type { Disagreement } from '../types';

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
}

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

/** The labelled rows the confident joint puts off its diagonal, most likely wrong first (see the module comment). */
export function findLabelIssues(o: LabelIssueOptions): LabelIssue[] {
  check(o);
  const { probs, given, m, nClasses: C } = o;
  const t = classThresholds(probs, given, m, C);
  const out: LabelIssue[] = [];
  for (let k = 0; k < m; k++) {
    let best = -1;
    for (let j = 0; j < C; j++) {
      const p = probs[k * C + j];
      // A class nobody gave has no threshold: it cannot be the confident class.
      if (Number.isNaN(t[j]) || !(p >= t[j])) continue;
      if (best < 0 || p > probs[k * C + best]) best = j;
    }
    const y = given[k];
    if (best < 0 || best === y) continue;
    const self = probs[k * C + y];
    out.push({ index: k, given: y, predicted: best, selfConfidence: self, confidence: probs[k * C + best], score: 1 - self });
  }
  return out.sort((a, b) => b.score - a.score || a.index - b.index);
}

/**
 * The label issues of named rows: `rows[k].at` is the row of `probs` (m' × C, e.g. a head's kept `oof.probs`) holding
 * item k's out-of-fold probabilities, `rows[k].label` its given label (a name in `classes`). Most likely wrong first.
 */
export function labelIssues(
  probs: ArrayLike<number>,
  rows: readonly { item: string; label: string; at: number }[],
  classes: readonly string[],
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
  return findLabelIssues({ probs: P, given, m, nClasses: C }).map((x) => ({
    item: rows[x.index].item,
    label: classes[x.given],
    predicted: classes[x.predicted],
    confidence: x.confidence,
    selfConfidence: x.selfConfidence,
    score: x.score,
  }));
}
