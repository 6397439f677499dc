/**
 * 2-D layouts of the items' embeddings for the embedding map: PCA (two leading principal components by power
 * iteration — a fraction of a second for 60,000 × 256, shown at once) and UMAP (umap-js on the items' cached kNN
 * graph, initialised from the PCA layout, seeded). Both return n × 2 coordinates scaled into [-1, 1] (centred, the
 * larger spread fills the box, the aspect kept), so the webview can swap one for the other without a jump in scale.
 * Pure functions: the worker's `mapPca` / `mapUmap` jobs call them (src/worker/jobs.ts).
 */
import { UMAP } from 'umap-js';
import type { Progress } from '../types';
import { Rng } from '../models/random';
import { AbortError } from '../util/progress';

/** Centres the n × 2 layout and scales it so that the largest |coordinate| is 1 (in place). */
export function normalizeLayout(xy: Float32Array, n: number): Float32Array {
  let mx = 0;
  let my = 0;
  for (let i = 0; i < n; i++) {
    mx += xy[2 * i];
    my += xy[2 * i + 1];
  }
  mx /= Math.max(1, n);
  my /= Math.max(1, n);
  let m = 0;
  for (let i = 0; i < n; i++) {
    xy[2 * i] -= mx;
    xy[2 * i + 1] -= my;
    m = Math.max(m, Math.abs(xy[2 * i]), Math.abs(xy[2 * i + 1]));
  }
  const s = m > 0 ? 1 / m : 1;
  for (let i = 0; i < 2 * n; i++) xy[i] *= s;
  return xy;
}

/**
 * The n rows of X projected on their two leading principal components (power iteration with deflation on the
 * covariance, never formed: each step is two passes over X). Deterministic for a seed: the start vectors come from
 * it, and each component's sign is fixed (its largest entry positive).
 */
export function pca2d(X: Float32Array, n: number, dim: number, seed = 0, iterations = 60): Float32Array {
  if (n < 1 || dim < 1) return new Float32Array(2 * Math.max(0, n));
  const mean = new Float64Array(dim);
  for (let i = 0; i < n; i++) for (let d = 0; d < dim; d++) mean[d] += X[i * dim + d];
  for (let d = 0; d < dim; d++) mean[d] /= n;
  const rng = new Rng(seed);
  const comps: Float64Array[] = [];
  const proj = new Float64Array(n);
  for (let c = 0; c < 2; c++) {
    let v = new Float64Array(dim);
    for (let d = 0; d < dim; d++) v[d] = rng.normal();
    for (let it = 0; it < iterations; it++) {
      for (const u of comps) orthogonalize(v, u);
      normalize(v);
      // w = Cov · v = Xcᵀ (Xc v) / n
      for (let i = 0; i < n; i++) {
        let s = 0;
        const o = i * dim;
        for (let d = 0; d < dim; d++) s += (X[o + d] - mean[d]) * v[d];
        proj[i] = s;
      }
      const w = new Float64Array(dim);
      for (let i = 0; i < n; i++) {
        const o = i * dim;
        const p = proj[i];
        for (let d = 0; d < dim; d++) w[d] += (X[o + d] - mean[d]) * p;
      }
      v = w;
    }
    for (const u of comps) orthogonalize(v, u);
    if (normalize(v) === 0) v.fill(0);
    let big = 0;
    for (let d = 0; d < dim; d++) if (Math.abs(v[d]) > Math.abs(v[big])) big = d;
    if (v[big] < 0) for (let d = 0; d < dim; d++) v[d] = -v[d];
    comps.push(v);
  }
  const xy = new Float32Array(2 * n);
  for (let i = 0; i < n; i++) {
    const o = i * dim;
    let a = 0;
    let b = 0;
    for (let d = 0; d < dim; d++) {
      const x = X[o + d] - mean[d];
      a += x * comps[0][d];
      b += x * comps[1][d];
    }
    xy[2 * i] = a;
    xy[2 * i + 1] = b;
  }
  return normalizeLayout(xy, n);
}

function normalize(v: Float64Array): number {
  let s = 0;
  for (let d = 0; d < v.length; d++) s += v[d] * v[d];
  const norm = Math.sqrt(s);
  if (norm > 0) for (let d = 0; d < v.length; d++) v[d] /= norm;
  return norm;
}

function orthogonalize(v: Float64Array, u: Float64Array): void {
  let s = 0;
  for (let d = 0; d < v.length; d++) s += v[d] * u[d];
  for (let d = 0; d < v.length; d++) v[d] -= s * u[d];
}

export interface UmapOptions {
  /** The kNN graph of the items (cosine similarities, self excluded), e.g. the cached label-spreading graph. */
  graph: { n: number; k: number; idx: Int32Array; sim: Float32Array };
  /** Starting layout (n × 2, e.g. the PCA one); random in [-10, 10] without it. */
  init?: Float32Array;
  seed?: number;
  /** Optimisation epochs (UMAP's default: 200 for large data, 500 for small). */
  epochs?: number;
  minDist?: number;
  signal?: AbortSignal;
  onProgress?: (p: Progress) => void;
}

/** UMAP of the items from their kNN graph (umap-js with the graph precomputed), n × 2 in [-1, 1]. */
export function umap2d(o: UmapOptions): Float32Array {
  const { n, k, idx, sim } = o.graph;
  if (n < 3 || k < 1) throw new Error(`UMAP needs at least 3 items and a kNN graph, got ${n} items, k = ${k}`);
  const epochs = o.epochs ?? (n > 10_000 ? 200 : 500);
  const rng = new Rng(o.seed ?? 0);
  const umap = new UMAP({ nComponents: 2, nNeighbors: k, nEpochs: epochs, minDist: o.minDist ?? 0.1, random: () => rng.next() });
  const knnIdx: number[][] = new Array(n);
  const knnDist: number[][] = new Array(n);
  for (let i = 0; i < n; i++) {
    const ri = new Array<number>(k);
    const rd = new Array<number>(k);
    for (let j = 0; j < k; j++) {
      ri[j] = idx[i * k + j];
      // Cosine distance; umap-js ignores zero distances in its search graph, so keep identical items apart by ε.
      rd[j] = Math.max(1e-6, 1 - sim[i * k + j]);
    }
    knnIdx[i] = ri;
    knnDist[i] = rd;
  }
  umap.setPrecomputedKNN(knnIdx, knnDist);
  // With the graph given, umap-js reads X only for its length: empty rows do.
  const rows: number[][] = Array.from({ length: n }, () => []);
  const total = umap.initializeFit(rows);
  if (o.init) {
    const emb = umap.getEmbedding();
    for (let i = 0; i < n; i++) {
      emb[i][0] = 10 * o.init[2 * i];
      emb[i][1] = 10 * o.init[2 * i + 1];
    }
  }
  const t0 = Date.now();
  let last = 0;
  for (let e = 0; e < total; e++) {
    if (o.signal?.aborted) throw new AbortError();
    umap.step();
    const now = Date.now();
    if (o.onProgress && now - last > 250) {
      last = now;
      const rate = (e + 1) / Math.max(1e-3, (now - t0) / 1000);
      o.onProgress({ stage: 'embed', done: e + 1, total, etaSeconds: (total - e - 1) / rate, message: 'map: UMAP' });
    }
  }
  const emb = umap.getEmbedding();
  const xy = new Float32Array(2 * n);
  for (let i = 0; i < n; i++) {
    xy[2 * i] = emb[i][0];
    xy[2 * i + 1] = emb[i][1];
  }
  return normalizeLayout(xy, n);
}
