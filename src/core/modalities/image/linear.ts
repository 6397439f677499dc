/**
 * Linear models on raw features, in TypeScript, deterministic (seeded), no tfjs — the image modality's pixel
 * candidate (./pixels.ts) and the bench's plain baselines (src/bench/baselines/linear.ts re-exports this module):
 * - `fitPca` / `pcaTransform`: PCA by randomized subspace iteration (Halko et al. 2011) with a Rayleigh–Ritz step
 *   (Jacobi eigen-decomposition of the small projected matrix), components sorted by variance, signs fixed;
 * - `fitLogReg` / `predictLogReg`: multinomial logistic regression, mean cross-entropy + (λ/2)‖W‖² (bias not
 *   penalised), full-batch Nesterov accelerated gradient with the step 1/L from a bound of the Lipschitz constant,
 *   on dense rows or sparse rows (TF-IDF). λ = 1/(C·n) with C = 1 is scikit-learn's default LogisticRegression.
 */
import { argmaxRows as argmaxOfRows } from '../../util/math';
import { mulberry32 } from '../../models/random';
import { orthonormalizeColumns, symmetricEigen } from '../../util/linalg';

/** Rows for the classifier: dense (n × dim) or sparse (per row: column indices and values). */
export type Rows =
  | { kind: 'dense'; X: Float32Array | Float64Array; n: number; dim: number }
  | { kind: 'sparse'; idx: Int32Array[]; val: Float32Array[]; n: number; dim: number };

export interface Pca {
  mean: Float64Array;
  /** k × dim, row-major, orthonormal rows. */
  components: Float64Array;
  /** Variance (unbiased) of the data along each component. */
  variance: Float64Array;
  k: number;
  dim: number;
}

function gaussian(rand: () => number): number {
  const u = Math.max(rand(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rand());
}

/**
 * PCA of the n rows of X (n × dim) keeping k components. Randomized subspace iteration with `oversample` extra
 * directions and `iterations` power iterations; exact when k + oversample ≥ rank. Seeded: the same call gives the
 * same components.
 */
export function fitPca(
  X: Float32Array | Float64Array,
  n: number,
  dim: number,
  k: number,
  o: { seed?: number; oversample?: number; iterations?: number } = {},
): Pca {
  if (n < 2) throw new Error('PCA needs at least 2 rows');
  k = Math.max(1, Math.min(k, dim, n - 1));
  const l = Math.min(dim, n, k + (o.oversample ?? 10));
  const iters = o.iterations ?? 3;
  const mean = new Float64Array(dim);
  for (let i = 0; i < n; i++) for (let d = 0; d < dim; d++) mean[d] += X[i * dim + d];
  for (let d = 0; d < dim; d++) mean[d] /= n;
  const rand = mulberry32(o.seed ?? 1);
  const Q = new Float64Array(dim * l);
  for (let q = 0; q < Q.length; q++) Q[q] = gaussian(rand);
  orthonormalizeColumns(Q, dim, l);
  const B = new Float64Array(n * l); // centred X · Q
  const project = () => {
    B.fill(0);
    const row = new Float64Array(dim);
    for (let i = 0; i < n; i++) {
      for (let d = 0; d < dim; d++) row[d] = X[i * dim + d] - mean[d];
      for (let d = 0; d < dim; d++) {
        const x = row[d];
        if (x === 0) continue;
        for (let j = 0; j < l; j++) B[i * l + j] += x * Q[d * l + j];
      }
    }
  };
  for (let it = 0; it < iters; it++) {
    project();
    // Q ← orth(Xcᵀ B)
    Q.fill(0);
    for (let i = 0; i < n; i++) {
      for (let d = 0; d < dim; d++) {
        const x = X[i * dim + d] - mean[d];
        if (x === 0) continue;
        for (let j = 0; j < l; j++) Q[d * l + j] += x * B[i * l + j];
      }
    }
    orthonormalizeColumns(Q, dim, l);
  }
  project();
  const M = new Float64Array(l * l);
  for (let i = 0; i < n; i++) for (let a = 0; a < l; a++) for (let b = a; b < l; b++) M[a * l + b] += B[i * l + a] * B[i * l + b];
  for (let a = 0; a < l; a++) for (let b = 0; b < a; b++) M[a * l + b] = M[b * l + a];
  const { values, vectors } = symmetricEigen(M, l);
  const order = [...values.keys()].sort((a, b) => values[b] - values[a] || a - b).slice(0, k);
  const components = new Float64Array(k * dim);
  const variance = new Float64Array(k);
  order.forEach((e, c) => {
    variance[c] = Math.max(0, values[e]) / (n - 1);
    let big = 0;
    for (let d = 0; d < dim; d++) {
      let s = 0;
      for (let j = 0; j < l; j++) s += Q[d * l + j] * vectors[j * l + e];
      components[c * dim + d] = s;
      if (Math.abs(s) > Math.abs(big) + 1e-12) big = s;
    }
    if (big < 0) for (let d = 0; d < dim; d++) components[c * dim + d] = -components[c * dim + d];
  });
  return { mean, components, variance, k, dim };
}

/** Projects the n rows of X onto the PCA components → n × k. */
export function pcaTransform(p: Pca, X: Float32Array | Float64Array, n: number): Float64Array {
  const out = new Float64Array(n * p.k);
  const row = new Float64Array(p.dim);
  for (let i = 0; i < n; i++) {
    for (let d = 0; d < p.dim; d++) row[d] = X[i * p.dim + d] - p.mean[d];
    for (let c = 0; c < p.k; c++) {
      let s = 0;
      for (let d = 0; d < p.dim; d++) s += row[d] * p.components[c * p.dim + d];
      out[i * p.k + c] = s;
    }
  }
  return out;
}

export interface LogReg {
  /** dim × C weights (row-major) and C biases. */
  W: Float64Array;
  b: Float64Array;
  dim: number;
  C: number;
  iterations: number;
}

/** Logits of row i (dense or sparse) into `out`. */
function logitsOf(rows: Rows, i: number, W: Float64Array, b: Float64Array, C: number, out: Float64Array): void {
  for (let c = 0; c < C; c++) out[c] = b[c];
  if (rows.kind === 'dense') {
    const { X, dim } = rows;
    for (let d = 0; d < dim; d++) {
      const x = X[i * dim + d];
      if (x !== 0) for (let c = 0; c < C; c++) out[c] += x * W[d * C + c];
    }
  } else {
    const ix = rows.idx[i];
    const vx = rows.val[i];
    for (let q = 0; q < ix.length; q++) for (let c = 0; c < C; c++) out[c] += vx[q] * W[ix[q] * C + c];
  }
}

function softmaxInPlace(z: Float64Array): void {
  let m = -Infinity;
  for (const v of z) if (v > m) m = v;
  let s = 0;
  for (let c = 0; c < z.length; c++) s += z[c] = Math.exp(z[c] - m);
  for (let c = 0; c < z.length; c++) z[c] /= s;
}

/**
 * Multinomial logistic regression on the rows listed in `train` (indices into `rows`) with classes `y` (0..C-1).
 * lambda defaults to 1/n (scikit-learn's C = 1). Deterministic: starts from zero, full-batch.
 */
export function fitLogReg(
  rows: Rows,
  train: ArrayLike<number>,
  y: ArrayLike<number>,
  C: number,
  o: { lambda?: number; maxIterations?: number; tolerance?: number } = {},
): LogReg {
  const m = train.length;
  if (m < 1) throw new Error('logistic regression needs at least one labelled row');
  const dim = rows.dim;
  const lambda = o.lambda ?? 1 / m;
  const maxIt = o.maxIterations ?? 1000;
  const tol = o.tolerance ?? 1e-6;
  // L ≤ ½ · mean ‖[x, 1]‖² + λ (the softmax Hessian in the logits is ≤ ½ I).
  let sq = 0;
  for (let k = 0; k < m; k++) {
    const i = train[k];
    sq += 1;
    if (rows.kind === 'dense') for (let d = 0; d < dim; d++) sq += rows.X[i * dim + d] ** 2;
    else for (const v of rows.val[i]) sq += v * v;
  }
  const L = 0.5 * (sq / m) + lambda;
  const step = 1 / L;
  let W = new Float64Array(dim * C);
  let b = new Float64Array(C);
  let Wprev = new Float64Array(dim * C);
  let bprev = new Float64Array(C);
  const Wy = new Float64Array(dim * C);
  const by = new Float64Array(C);
  const gW = new Float64Array(dim * C);
  const gb = new Float64Array(C);
  const z = new Float64Array(C);
  let it = 0;
  for (; it < maxIt; it++) {
    const mom = it / (it + 3);
    for (let q = 0; q < W.length; q++) Wy[q] = W[q] + mom * (W[q] - Wprev[q]);
    for (let c = 0; c < C; c++) by[c] = b[c] + mom * (b[c] - bprev[c]);
    gW.fill(0);
    gb.fill(0);
    for (let k = 0; k < m; k++) {
      const i = train[k];
      logitsOf(rows, i, Wy, by, C, z);
      softmaxInPlace(z);
      z[y[k]] -= 1;
      for (let c = 0; c < C; c++) gb[c] += z[c] / m;
      if (rows.kind === 'dense') {
        for (let d = 0; d < dim; d++) {
          const x = rows.X[i * dim + d] / m;
          if (x !== 0) for (let c = 0; c < C; c++) gW[d * C + c] += x * z[c];
        }
      } else {
        const ix = rows.idx[i];
        const vx = rows.val[i];
        for (let q = 0; q < ix.length; q++) for (let c = 0; c < C; c++) gW[ix[q] * C + c] += (vx[q] / m) * z[c];
      }
    }
    let gnorm = 0;
    for (let q = 0; q < gW.length; q++) {
      gW[q] += lambda * Wy[q];
      gnorm += gW[q] ** 2;
    }
    for (const g of gb) gnorm += g * g;
    const nextW = Wprev;
    const nextb = bprev;
    for (let q = 0; q < W.length; q++) nextW[q] = Wy[q] - step * gW[q];
    for (let c = 0; c < C; c++) nextb[c] = by[c] - step * gb[c];
    Wprev = W;
    bprev = b;
    W = nextW;
    b = nextb;
    if (Math.sqrt(gnorm) < tol) {
      it++;
      break;
    }
  }
  return { W, b, dim, C, iterations: it };
}

/** Logits (rows.length × C) of the listed rows. */
export function logitsLogReg(model: LogReg, rows: Rows, list: ArrayLike<number>): Float32Array {
  const out = new Float32Array(list.length * model.C);
  const z = new Float64Array(model.C);
  for (let j = 0; j < list.length; j++) {
    logitsOf(rows, list[j], model.W, model.b, model.C, z);
    for (let c = 0; c < model.C; c++) out[j * model.C + c] = z[c];
  }
  return out;
}

/** Class probabilities (n × C) of every row. */
export function predictLogReg(model: LogReg, rows: Rows): Float64Array {
  const out = new Float64Array(rows.n * model.C);
  const z = new Float64Array(model.C);
  for (let i = 0; i < rows.n; i++) {
    logitsOf(rows, i, model.W, model.b, model.C, z);
    softmaxInPlace(z);
    out.set(z, i * model.C);
  }
  return out;
}

/** Index of the largest probability of each row. */
export function argmaxRows(P: Float64Array, n: number, C: number): Int32Array {
  return argmaxOfRows(P, n, C).labels;
}
