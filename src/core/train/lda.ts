/**
 * Linear discriminant directions from a few labelled rows (plain JS, no tfjs): the rows are whitened by their
 * within-class scatter, shrunk toward its mean variance, and projected on the directions that spread the class
 * means apart (at most C − 1). Neighbours in that space share a class where neighbours in the raw features share a
 * nuisance: audio-speakers' voice features, 10 labels a speaker, kNN label spreading 65.8% of the pool right in the
 * raw features, 85.5% in this projection (research/audio/whiten.ts; BENCHMARKS.md "Session 37").
 *
 *   ldaProjection(X, dim, rows, y, C, shrink) → {W: dim × out, out}
 *   projectRows(X, n, dim, p) → n × out, unit rows
 *
 * The cost is a Cholesky of dim × dim and an eigen-decomposition of C × C: milliseconds for hundreds of features.
 */
import { cholesky, solveLower, solveLowerTransposed, symmetricEigen } from '../util/linalg';

export interface Projection {
  dim: number;
  out: number;
  /** dim × out, row-major: a row's projection is xᵀW. */
  W: Float64Array;
}

/** Shrinkage of the within-class scatter toward its mean variance (research/audio/whiten.ts: 0.1–0.6 within 1 point). */
export const LDA_SHRINK = 0.3;

/**
 * The LDA projection of the rows `rows` of X (n × dim, row-major) with classes `y` (same length) in 0..C−1. Classes
 * without a row are left out; with fewer than two classes there is no direction and `out` is 0.
 */
export function ldaProjection(
  X: ArrayLike<number>,
  dim: number,
  rows: ArrayLike<number>,
  y: ArrayLike<number>,
  C: number,
  shrink = LDA_SHRINK,
): Projection {
  if (rows.length !== y.length) throw new Error(`lda: ${rows.length} rows, ${y.length} labels`);
  if (!(shrink > 0 && shrink <= 1)) throw new Error(`lda: shrink must be in (0, 1], got ${shrink}`);
  const mu = new Float64Array(C * dim);
  const count = new Float64Array(C);
  for (let k = 0; k < rows.length; k++) {
    const c = y[k];
    if (!(c >= 0 && c < C)) throw new Error(`lda: label ${c} outside 0..${C - 1}`);
    count[c]++;
    const o = rows[k] * dim;
    for (let d = 0; d < dim; d++) mu[c * dim + d] += X[o + d];
  }
  const present: number[] = [];
  for (let c = 0; c < C; c++) {
    if (!count[c]) continue;
    present.push(c);
    for (let d = 0; d < dim; d++) mu[c * dim + d] /= count[c];
  }
  if (present.length < 2) return { dim, out: 0, W: new Float64Array(0) };
  // Within-class scatter (lower triangle), shrunk.
  const S = new Float64Array(dim * dim);
  const r = new Float64Array(dim);
  for (let k = 0; k < rows.length; k++) {
    const o = rows[k] * dim;
    for (let d = 0; d < dim; d++) r[d] = X[o + d] - mu[y[k] * dim + d];
    for (let a = 0; a < dim; a++) {
      const ra = r[a];
      if (ra === 0) continue;
      for (let b = 0; b <= a; b++) S[a * dim + b] += ra * r[b];
    }
  }
  let trace = 0;
  for (let a = 0; a < dim; a++) trace += S[a * dim + a];
  const ridge = Math.max((shrink * trace) / dim, 1e-9);
  for (let a = 0; a < dim; a++) {
    for (let b = 0; b < a; b++) S[a * dim + b] *= 1 - shrink;
    S[a * dim + a] = (1 - shrink) * S[a * dim + a] + ridge;
  }
  const L = cholesky(S, dim);
  // Whitened class means L⁻¹μ, centred on their mean.
  const P = present.length;
  const M = new Float64Array(P * dim);
  present.forEach((c, j) => solveLower(L, dim, mu.subarray(c * dim, (c + 1) * dim), M.subarray(j * dim, (j + 1) * dim)));
  for (let d = 0; d < dim; d++) {
    let s = 0;
    for (let j = 0; j < P; j++) s += M[j * dim + d];
    for (let j = 0; j < P; j++) M[j * dim + d] -= s / P;
  }
  // Between-class directions from the P × P Gram of the means: v = Mᵀu / √λ.
  const G = new Float64Array(P * P);
  for (let a = 0; a < P; a++)
    for (let b = 0; b <= a; b++) {
      let s = 0;
      for (let d = 0; d < dim; d++) s += M[a * dim + d] * M[b * dim + d];
      G[a * P + b] = G[b * P + a] = s;
    }
  const { values, vectors } = symmetricEigen(G, P);
  const keep: number[] = [];
  for (let k = 0; k < P - 1; k++) if (values[k] > 1e-9 * Math.max(values[0], 1e-300)) keep.push(k);
  const out = keep.length;
  const W = new Float64Array(dim * out);
  const v = new Float64Array(dim);
  const w = new Float64Array(dim);
  keep.forEach((k, j) => {
    const inv = 1 / Math.sqrt(values[k]);
    v.fill(0);
    for (let a = 0; a < P; a++) {
      const u = vectors[a * P + k] * inv;
      for (let d = 0; d < dim; d++) v[d] += M[a * dim + d] * u;
    }
    solveLowerTransposed(L, dim, v, w); // W's column: L⁻ᵀv, so that xᵀW = (L⁻¹x)ᵀv
    for (let d = 0; d < dim; d++) W[d * out + j] = w[d];
  });
  return { dim, out, W };
}

/** The n rows of X projected by p, each scaled to unit length (a zero row stays zero). */
export function projectRows(X: ArrayLike<number>, n: number, dim: number, p: Projection): Float32Array {
  if (dim !== p.dim) throw new Error(`lda: the projection reads ${p.dim} features, the rows have ${dim}`);
  const { out, W } = p;
  const Z = new Float32Array(n * out);
  const z = new Float64Array(out);
  for (let i = 0; i < n; i++) {
    z.fill(0);
    const o = i * dim;
    for (let d = 0; d < dim; d++) {
      const x = X[o + d];
      if (x === 0) continue;
      for (let k = 0; k < out; k++) z[k] += x * W[d * out + k];
    }
    let s = 0;
    for (let k = 0; k < out; k++) s += z[k] * z[k];
    const inv = s > 0 ? 1 / Math.sqrt(s) : 0;
    for (let k = 0; k < out; k++) Z[i * out + k] = z[k] * inv;
  }
  return Z;
}
