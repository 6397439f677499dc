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
 */

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
