/**
 * Class priors of an unlabelled pool, estimated by EM on a classifier's predicted probabilities (Saerens, Latinne &
 * Decaestecker 2002, "Adjusting the outputs of a classifier to new a priori probabilities"). The human labels are
 * often balanced by construction (a few of each class) while the pool is not; a head trained on them predicts with
 * the training priors. EM alternates: re-weight every row's probabilities by (pool prior / training prior) and
 * renormalise; the pool priors are the mean of the re-weighted rows.
 *
 *   trainingPriors(y, weight, C) → the labels' class frequencies (weighted, Laplace-smoothed)
 *   estimatePoolPriors(probs, n, C, train, {maxIter, tol, floor}) → {priors, weights (prior ratio per class), iterations}
 *   applyPriorWeights(probs, n, C, weights) → re-weighted, renormalised probabilities (a new array)
 *   bbsePriors(oof, y, probs, n, C, {soft}) → the priors from the held-out confusions (Lipton et al. 2018), for a
 *                                             model too weak for its probabilities to be trusted by EM
 *   baggedBbsePriors(oof, y, probs, n, C) → the mean of BBSE over resamplings of the held-out labels
 *   priorShiftEvidence(oof, y, probs, n, C, train) → {chi2, threshold, shifted}: whether the pool's predicted classes
 *                                             depart from the training priors beyond the held-out labels' noise
 */
import { argmaxRow } from '../util/math';

export interface PoolPriors {
  /** Estimated class priors of the pool (sum 1). */
  priors: number[];
  /** Per class: pool prior / training prior, the factor each row's probability is multiplied by before renormalising. */
  weights: number[];
  iterations: number;
}

/** The class frequencies of training labels y (with weights), Laplace-smoothed so no class has prior 0. */
export function trainingPriors(y: ArrayLike<number>, weight: ArrayLike<number> | undefined, C: number): number[] {
  const counts = new Array<number>(C).fill(1);
  let total = C;
  for (let k = 0; k < y.length; k++) {
    const w = weight ? weight[k] : 1;
    if (!(y[k] >= 0 && y[k] < C)) throw new Error(`class ${y[k]} is not one of the ${C} classes`);
    counts[y[k]] += w;
    total += w;
  }
  return counts.map((c) => c / total);
}

/** Multiplies each row's probabilities by weights[c] and renormalises (rows summing to 0 stay uniform). */
export function applyPriorWeights(probs: Float32Array, n: number, C: number, weights: ArrayLike<number>): Float32Array {
  if (probs.length < n * C) throw new Error(`probs hold ${probs.length} values, need n·C = ${n * C}`);
  if (weights.length !== C) throw new Error(`${weights.length} weights for ${C} classes`);
  const out = new Float32Array(n * C);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let c = 0; c < C; c++) s += out[i * C + c] = probs[i * C + c] * weights[c];
    for (let c = 0; c < C; c++) out[i * C + c] = s > 0 ? out[i * C + c] / s : 1 / C;
  }
  return out;
}

/**
 * EM estimate of the pool's class priors from n × C probabilities made under `train` priors. `floor` bounds every
 * prior from below (default 0.1 / C: a class the labels show is never estimated away).
 */
export function estimatePoolPriors(
  probs: Float32Array,
  n: number,
  C: number,
  train: number[],
  o: { maxIter?: number; tol?: number; floor?: number } = {},
): PoolPriors {
  if (train.length !== C) throw new Error(`${train.length} training priors for ${C} classes`);
  if (!train.every((p) => p > 0)) throw new Error('training priors must be > 0');
  const floor = o.floor ?? 0.1 / C;
  const maxIter = o.maxIter ?? 100;
  const tol = o.tol ?? 1e-6;
  let priors = train.slice();
  let weights = train.map(() => 1);
  let it = 0;
  if (n === 0) return { priors, weights, iterations: 0 };
  for (; it < maxIter; it++) {
    const q = applyPriorWeights(probs, n, C, weights);
    const next = new Array<number>(C).fill(0);
    for (let i = 0; i < n; i++) for (let c = 0; c < C; c++) next[c] += q[i * C + c] / n;
    const clamped = next.map((p) => Math.max(floor, p));
    const s = clamped.reduce((a, b) => a + b, 0);
    const norm = clamped.map((p) => p / s);
    const delta = Math.max(...norm.map((p, c) => Math.abs(p - priors[c])));
    priors = norm;
    weights = priors.map((p, c) => p / train[c]);
    if (delta < tol) {
      it++;
      break;
    }
  }
  return { priors, weights, iterations: it };
}

/** The Euclidean projection of v onto the probability simplex (Duchi et al. 2008). */
function projectSimplex(v: number[]): number[] {
  const u = [...v].sort((a, b) => b - a);
  let css = 0;
  let theta = 0;
  for (let k = 0; k < u.length; k++) {
    css += u[k];
    const t = (css - 1) / (k + 1);
    if (u[k] - t > 0) theta = t;
  }
  return v.map((x) => Math.max(0, x - theta));
}

/** Row i of n × C probabilities as a distribution: itself (`soft`) or one-hot on its top class. */
function rowShares(p: ArrayLike<number>, i: number, C: number, soft: boolean): number[] {
  if (soft) return Array.from({ length: C }, (_, c) => p[i * C + c]);
  const best = argmaxRow(p, i, C);
  return Array.from({ length: C }, (_, c) => (c === best ? 1 : 0));
}

/**
 * The held-out confusions: M[i][j] = the share of class-j labels (`y`, their out-of-fold probabilities `oof`) the
 * model gives class i (top class, or probabilities with `soft`), and how many labels each class has.
 */
function heldOutConfusions(oof: ArrayLike<number>, y: ArrayLike<number>, C: number, soft: boolean): { M: number[][]; count: number[] } {
  const m = y.length;
  if (oof.length !== m * C) throw new Error(`held-out probabilities: need ${m} × ${C} values, got ${oof.length}`);
  const M = Array.from({ length: C }, () => new Array<number>(C).fill(0));
  const count = new Array<number>(C).fill(0);
  for (let k = 0; k < m; k++) {
    const d = rowShares(oof, k, C, soft);
    count[y[k]]++;
    for (let i = 0; i < C; i++) M[i][y[k]] += d[i];
  }
  return { M, count };
}

/** The pool's predicted-class shares μ (top class, or the mean probabilities with `soft`). */
function predictedShares(probs: ArrayLike<number>, n: number, C: number, soft: boolean): number[] {
  const mu = new Array<number>(C).fill(0);
  for (let r = 0; r < n; r++) {
    const d = rowShares(probs, r, C, soft);
    for (let i = 0; i < C; i++) mu[i] += d[i] / n;
  }
  return mu;
}

/** The point q of the simplex nearest to solving M q = μ (projected gradient), floored and renormalised. */
function solveShift(M: number[][], mu: number[], C: number, iterations: number, floor: number): number[] {
  // Step 1 / L, L = the largest eigenvalue of MᵀM ≤ its Frobenius norm squared.
  let L = 0;
  for (let i = 0; i < C; i++) for (let j = 0; j < C; j++) L += M[i][j] * M[i][j];
  const step = 1 / Math.max(L, 1e-9);
  let q = new Array<number>(C).fill(1 / C);
  for (let it = 0; it < iterations; it++) {
    const r = mu.map((v, i) => M[i].reduce((s, mij, j) => s + mij * q[j], 0) - v);
    const g = q.map((_, j) => M.reduce((s, Mi, i) => s + Mi[j] * r[i], 0));
    q = projectSimplex(q.map((v, j) => v - step * g[j]));
  }
  const clamped = q.map((v) => Math.max(floor, v));
  const s = clamped.reduce((a, b) => a + b, 0);
  return clamped.map((v) => v / s);
}

/**
 * M with each class's column divided by its label count; a class without labels gets the identity's column
 * (`empty` 'identity': BBSE takes its predictions at their word) or zeros ('zero': the shift test expects nothing of it).
 */
function columnShares(M: number[][], count: number[], empty: 'identity' | 'zero'): number[][] {
  return M.map((row, i) => row.map((v, j) => (count[j] ? v / count[j] : empty === 'identity' && i === j ? 1 : 0)));
}

/**
 * Black-box shift estimation of the pool's class priors (Lipton, Wang & Smola 2018): M[i][j], the chance that the
 * model predicts class i for an item of class j, is measured on held-out labels (`oof`: their out-of-fold
 * probabilities, `y`: their classes); the pool's predicted-class distribution μ is M q, so q is the point of the
 * simplex that minimises ‖M q − μ‖² (projected gradient). `soft`: probabilities instead of the top class, for both
 * M and μ. Unlike EM it does not trust the probabilities' calibration, only the held-out confusions.
 */
export function bbsePriors(
  oof: ArrayLike<number>,
  y: ArrayLike<number>,
  probs: Float32Array,
  n: number,
  C: number,
  o: { soft?: boolean; floor?: number; iterations?: number; shares?: number[] } = {},
): number[] {
  const soft = o.soft ?? true;
  const { M, count } = heldOutConfusions(oof, y, C, soft);
  const mu = o.shares ?? predictedShares(probs, n, C, soft);
  return solveShift(columnShares(M, count, 'identity'), mu, C, o.iterations ?? 2000, o.floor ?? 0.1 / C);
}

/**
 * BBSE averaged over `bags` resamplings of the held-out labels (each class's labels drawn with replacement, a fixed
 * seed): with 10 labels a class the confusion matrix is noisy and one estimate swings between seeds; the mean of
 * the resampled estimates moves less where the labels do not support a shift (BENCHMARKS.md "Session 19").
 */
export function baggedBbsePriors(
  oof: ArrayLike<number>,
  y: ArrayLike<number>,
  probs: Float32Array,
  n: number,
  C: number,
  o: { bags?: number; seed?: number } = {},
): number[] {
  const bags = o.bags ?? 40;
  const m = y.length;
  const byClass = Array.from({ length: C }, () => [] as number[]);
  for (let k = 0; k < m; k++) byClass[y[k]].push(k);
  let state = (o.seed ?? 1) >>> 0 || 1;
  // xorshift32: deterministic draws, so a train with the same inputs makes the same estimate.
  const rand = () => {
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    return state / 4294967296;
  };
  const mean = new Array<number>(C).fill(0);
  // The pool's shares do not depend on the resampling: once.
  const shares = predictedShares(probs, n, C, false);
  for (let b = 0; b < bags; b++) {
    const ks = byClass.flatMap((rows) => rows.map(() => rows[Math.floor(rand() * rows.length)]));
    const o2 = new Float32Array(ks.length * C);
    const y2 = new Int32Array(ks.length);
    ks.forEach((k, j) => {
      for (let c = 0; c < C; c++) o2[j * C + c] = oof[k * C + c];
      y2[j] = y[k];
    });
    const q = bbsePriors(o2, y2, probs, n, C, { soft: false, iterations: 500, shares });
    for (let c = 0; c < C; c++) mean[c] += q[c] / bags;
  }
  return mean;
}

/** The q-quantile of χ² with k degrees of freedom (Wilson–Hilferty; z = the normal quantile of q). */
export function chiSquareQuantile(k: number, z: number): number {
  const a = 2 / (9 * k);
  return k * (1 - a + z * Math.sqrt(a)) ** 3;
}

/**
 * The normal quantile of 0.95: the shift test's level. On 15 balanced subsets of the icons pools (df 6) the statistic
 * stayed at 1.0–9.2, under the 12.6 it sets; the imbalanced icons pools gave 4.5, 13.5 and 9.0 (seeds 1–3).
 */
const Z_95 = 1.6449;

/**
 * Whether the pool's predicted classes show a shift from the labels' priors that their noise does not explain: a χ²
 * test of the pool's predicted-class shares μ against M · train (what they would be under the training priors, M =
 * the held-out confusions, hard), each share's variance from M's sampling (m_j labels of class j) and the pool's. With
 * 10 labels a class BBSE's estimate swings even on a balanced pool (MNIST-2k, 5 labels a class: −2.7 points); the
 * test (at 5%) lets it act only where the predictions are lopsided beyond that noise (BENCHMARKS.md "Session 19 — images").
 */
export function priorShiftEvidence(
  oof: ArrayLike<number>,
  y: ArrayLike<number>,
  probs: Float32Array,
  n: number,
  C: number,
  train: number[],
): { chi2: number; df: number; threshold: number; shifted: boolean } {
  const { M: counts, count } = heldOutConfusions(oof, y, C, false);
  const M = columnShares(counts, count, 'zero');
  const mu = predictedShares(probs, n, C, false);
  let chi2 = 0;
  for (let i = 0; i < C; i++) {
    let e = 0;
    let v = 0;
    for (let j = 0; j < C; j++) {
      if (!count[j]) continue;
      e += M[i][j] * train[j];
      // Pearson's (Poisson) variance, so that the sum over the C classes is χ² with C − 1 degrees of freedom; a
      // share measured 0 on m labels still counts as 1/(m + 2) (Laplace).
      v += (train[j] ** 2 * Math.max(M[i][j], 1 / (count[j] + 2))) / count[j];
    }
    v += Math.max(e, 1e-3) / Math.max(1, n);
    chi2 += (mu[i] - e) ** 2 / v;
  }
  const df = C - 1;
  const threshold = chiSquareQuantile(df, Z_95);
  return { chi2, df, threshold, shifted: chi2 > threshold };
}
