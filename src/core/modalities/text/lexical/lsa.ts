/**
 * Latent semantic analysis of the pool: the top right singular vectors of its tf-idf matrix (rows ./tfidf.ts
 * SparseRow, L2-normalised), by a randomized range finder (Halko, Martinsson & Tropp 2011: Gaussian test matrix,
 * `powerIters` power iterations with re-orthonormalisation, then the SVD of the small projected matrix through the
 * eigen-decomposition of its Gram matrix). Words that occur in the same documents get close directions, so a
 * classifier fitted on a few labelled rows also reads the words those rows lack (the whole pool teaches which words
 * go together; no label is used).
 *
 *   fitLsa({rows, dim, seed, minDf?, maxFeatures?, oversample?, powerIters?}) → {ids, V, sigma}: feature ids
 *     (ascending: the maxFeatures most frequent of those in ≥ minDf rows), V (ids × dim, row-major: the singular directions), sigma (dim, descending)
 *   lsaProject(lsa, row) → the row's coordinates (x·V, dim)
 *
 * Pure JS, deterministic for a seed. Cost ≈ nnz · (dim + oversample) · (2·powerIters + 3) multiply-adds.
 */
import { Rng } from '../../../models/random';
import { orthonormalizeColumns, symmetricEigen } from '../../../util/linalg';
import type { SparseRow } from './tfidf';

export interface LsaOptions {
  rows: readonly SparseRow[];
  /** Singular directions kept. */
  dim: number;
  seed?: number;
  /** Features in fewer rows than this take no part (they co-occur with nothing; default 2). */
  minDf?: number;
  /** At most this many features take part, the most frequent (default 20,000: keeps the state and the cost small). */
  maxFeatures?: number;
  /** Extra random directions of the range finder (default 10). */
  oversample?: number;
  /** Power iterations (default 2). */
  powerIters?: number;
  signal?: AbortSignal;
}

export interface Lsa {
  /** Feature ids with a direction, ascending. */
  ids: Int32Array;
  /** ids.length × dim, row-major. */
  V: Float32Array;
  sigma: Float32Array;
  dim: number;
}

export const LSA_DEFAULTS = { minDf: 2, maxFeatures: 20_000, oversample: 10, powerIters: 2 };

function abortIf(signal?: AbortSignal): void {
  if (signal?.aborted) throw Object.assign(new Error('cancelled'), { name: 'AbortError' });
}

/** Fits the LSA directions of the rows; see the module comment. */
export function fitLsa(o: LsaOptions): Lsa {
  const n = o.rows.length;
  const minDf = o.minDf ?? LSA_DEFAULTS.minDf;
  const df = new Map<number, number>();
  for (const r of o.rows) for (const id of r.ids) df.set(id, (df.get(id) ?? 0) + 1);
  const kept = [...df].filter(([, f]) => f >= minDf).sort((a, b) => b[1] - a[1] || a[0] - b[0]);
  const ids = Int32Array.from(kept.slice(0, o.maxFeatures ?? LSA_DEFAULTS.maxFeatures), ([id]) => id).sort();
  const D = ids.length;
  const dim = Math.max(1, Math.min(o.dim, n, D));
  const k = Math.min(dim + (o.oversample ?? LSA_DEFAULTS.oversample), n, D);
  if (n < 2 || D < 1) return { ids: new Int32Array(0), V: new Float32Array(0), sigma: new Float32Array(0), dim: 0 };
  const col = new Map<number, number>();
  ids.forEach((id, j) => col.set(id, j));
  // Rows over the kept features (compact column index).
  const cols: Int32Array[] = [];
  const vals: Float32Array[] = [];
  for (const r of o.rows) {
    const c: number[] = [];
    const w: number[] = [];
    for (let j = 0; j < r.ids.length; j++) {
      const q = col.get(r.ids[j]);
      if (q !== undefined) {
        c.push(q);
        w.push(r.w[j]);
      }
    }
    cols.push(Int32Array.from(c));
    vals.push(Float32Array.from(w));
  }
  /** Y (n × k) = A · Z (D × k). */
  const times = (Z: Float64Array, Y: Float64Array) => {
    Y.fill(0);
    for (let i = 0; i < n; i++) {
      const c = cols[i];
      const w = vals[i];
      const oi = i * k;
      for (let j = 0; j < c.length; j++) {
        const oz = c[j] * k;
        const x = w[j];
        for (let q = 0; q < k; q++) Y[oi + q] += x * Z[oz + q];
      }
    }
  };
  /** Z (D × k) = Aᵀ · Y (n × k). */
  const timesT = (Y: Float64Array, Z: Float64Array) => {
    Z.fill(0);
    for (let i = 0; i < n; i++) {
      const c = cols[i];
      const w = vals[i];
      const oi = i * k;
      for (let j = 0; j < c.length; j++) {
        const oz = c[j] * k;
        const x = w[j];
        for (let q = 0; q < k; q++) Z[oz + q] += x * Y[oi + q];
      }
    }
  };
  const rng = new Rng(o.seed ?? 1);
  const Z = new Float64Array(D * k);
  for (let q = 0; q < Z.length; q++) Z[q] = rng.normal();
  const Y = new Float64Array(n * k);
  times(Z, Y);
  orthonormalizeColumns(Y, n, k);
  for (let it = 0; it < (o.powerIters ?? LSA_DEFAULTS.powerIters); it++) {
    abortIf(o.signal);
    timesT(Y, Z);
    times(Z, Y);
    orthonormalizeColumns(Y, n, k);
  }
  abortIf(o.signal);
  // B = Qᵀ A (k × D) is Zᵀ with Z = Aᵀ Q; G = B Bᵀ = Zᵀ Z (k × k) = W S² Wᵀ; V = Bᵀ W S⁻¹ = Z W S⁻¹.
  timesT(Y, Z);
  const G = new Float64Array(k * k);
  for (let r = 0; r < D; r++) {
    const o2 = r * k;
    for (let p = 0; p < k; p++) {
      const zp = Z[o2 + p];
      if (!zp) continue;
      for (let q = p; q < k; q++) G[p * k + q] += zp * Z[o2 + q];
    }
  }
  for (let p = 0; p < k; p++) for (let q = 0; q < p; q++) G[p * k + q] = G[q * k + p];
  const { values, vectors } = symmetricEigen(G, k);
  const sigma = new Float32Array(dim);
  const V = new Float32Array(D * dim);
  const scale = new Float64Array(dim);
  for (let j = 0; j < dim; j++) {
    const s = Math.sqrt(Math.max(values[j], 0));
    sigma[j] = s;
    scale[j] = s > 1e-12 ? 1 / s : 0;
  }
  for (let r = 0; r < D; r++) {
    for (let j = 0; j < dim; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) s += Z[r * k + p] * vectors[p * k + j];
      V[r * dim + j] = s * scale[j];
    }
  }
  return { ids, V, sigma, dim };
}

/** Coordinates x·V (dim) of a sparse row in the LSA directions (features without a direction count 0). */
export function lsaProject(lsa: Pick<Lsa, 'ids' | 'V' | 'dim'>, row: SparseRow, at?: Map<number, number>): Float32Array {
  const map = at ?? lsaIndex(lsa);
  const out = new Float32Array(lsa.dim);
  for (let j = 0; j < row.ids.length; j++) {
    const r = map.get(row.ids[j]);
    if (r === undefined) continue;
    const x = row.w[j];
    const o = r * lsa.dim;
    for (let q = 0; q < lsa.dim; q++) out[q] += x * lsa.V[o + q];
  }
  return out;
}

/** Feature id → row of V, for repeated lsaProject calls. */
export function lsaIndex(lsa: Pick<Lsa, 'ids'>): Map<number, number> {
  const m = new Map<number, number>();
  lsa.ids.forEach((id, r) => m.set(id, r));
  return m;
}
