/**
 * TF-IDF over sparse hashed documents (./features.ts) and the exact cosine k-nearest-neighbour graph of a pool of
 * them, for label spreading (src/core/train/graph.ts `spreadLabels` takes the same KnnGraph as the dense builder).
 *
 *   idfOf(docs, buckets) → Float32Array idf per bucket (ln((1+n)/(1+df)) + 1)
 *   tfidfRows(docs, idf) → rows with weights (1 + ln tf)·idf, L2-normalised
 *   sparseKnnGraph({rows, k, maxDf}) → KnnGraph (cosine; self excluded)
 *
 * The graph uses an inverted index: cost Σ_f df_f² over the features kept. Features in more than `maxDf` of the
 * documents (default 10%) are left out of the similarity (their idf is low, and they would dominate the cost); the
 * rows are re-normalised over the kept features, so similarities are cosines of the pruned vectors.
 */
import type { KnnGraph } from '../../../train/graph';
import type { SparseDoc } from './features';

export interface SparseRow {
  ids: Int32Array;
  w: Float32Array;
}

export function idfOf(docs: readonly SparseDoc[], buckets: number): Float32Array {
  const df = new Float32Array(buckets);
  for (const d of docs) for (const id of d.ids) df[id]++;
  const n = docs.length;
  const idf = new Float32Array(buckets);
  for (let v = 0; v < buckets; v++) idf[v] = Math.log((1 + n) / (1 + df[v])) + 1;
  return idf;
}

export function tfidfRows(docs: readonly SparseDoc[], idf: Float32Array): SparseRow[] {
  return docs.map((d) => {
    const w = new Float32Array(d.ids.length);
    let s = 0;
    for (let j = 0; j < w.length; j++) {
      w[j] = (1 + Math.log(d.counts[j])) * idf[d.ids[j]];
      s += w[j] * w[j];
    }
    const k = s > 0 ? 1 / Math.sqrt(s) : 0;
    for (let j = 0; j < w.length; j++) w[j] *= k;
    return { ids: d.ids, w };
  });
}

export interface SparseKnnOptions {
  rows: readonly SparseRow[];
  buckets: number;
  k: number;
  /** Fraction of documents above which a feature is ignored by the similarity (default 0.1). */
  maxDf?: number;
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
}

/** Exact cosine kNN graph of sparse rows (self excluded; ties broken by index). */
export function sparseKnnGraph(o: SparseKnnOptions): KnnGraph {
  const n = o.rows.length;
  const k = Math.min(o.k, n - 1);
  if (k < 1) throw new Error(`A kNN graph needs at least 2 items, got ${n}.`);
  const B = o.buckets;
  const maxDf = Math.max(2, Math.floor((o.maxDf ?? 0.1) * n));
  const df = new Int32Array(B);
  for (const r of o.rows) for (const id of r.ids) df[id]++;
  // Pruned, re-normalised rows; postings lists (CSR by feature).
  const start = new Int32Array(B + 1);
  for (let v = 0; v < B; v++) start[v + 1] = start[v] + (df[v] <= maxDf ? df[v] : 0);
  const postDoc = new Int32Array(start[B]);
  const postW = new Float32Array(start[B]);
  const fill = start.slice(0, B);
  const pruned: SparseRow[] = o.rows.map((r, i) => {
    const keep: number[] = [];
    let s = 0;
    for (let j = 0; j < r.ids.length; j++) {
      if (df[r.ids[j]] <= maxDf) {
        keep.push(j);
        s += r.w[j] * r.w[j];
      }
    }
    const inv = s > 0 ? 1 / Math.sqrt(s) : 0;
    const ids = Int32Array.from(keep, (j) => r.ids[j]);
    const w = Float32Array.from(keep, (j) => r.w[j] * inv);
    for (let j = 0; j < ids.length; j++) {
      const p = fill[ids[j]]++;
      postDoc[p] = i;
      postW[p] = w[j];
    }
    return { ids, w };
  });
  const idx = new Int32Array(n * k);
  const sim = new Float32Array(n * k);
  const acc = new Float32Array(n);
  const touched = new Int32Array(n);
  const heapI = new Int32Array(k);
  const heapS = new Float32Array(k);
  for (let i = 0; i < n; i++) {
    if (o.signal?.aborted) throw Object.assign(new Error('cancelled'), { name: 'AbortError' });
    let nt = 0;
    const r = pruned[i];
    for (let j = 0; j < r.ids.length; j++) {
      const f = r.ids[j];
      const wf = r.w[j];
      for (let p = start[f]; p < start[f + 1]; p++) {
        const d = postDoc[p];
        if (acc[d] === 0) touched[nt++] = d;
        acc[d] += wf * postW[p];
      }
    }
    // Top k by similarity (a simple selection over the touched documents; then sort).
    let h = 0;
    let minPos = 0;
    for (let t = 0; t < nt; t++) {
      const d = touched[t];
      const s = acc[d];
      acc[d] = 0;
      if (d === i) continue;
      if (h < k) {
        heapI[h] = d;
        heapS[h] = s;
        h++;
        if (h === k) {
          minPos = 0;
          for (let q = 1; q < k; q++) if (heapS[q] < heapS[minPos] || (heapS[q] === heapS[minPos] && heapI[q] > heapI[minPos])) minPos = q;
        }
      } else if (s > heapS[minPos] || (s === heapS[minPos] && d < heapI[minPos])) {
        heapI[minPos] = d;
        heapS[minPos] = s;
        minPos = 0;
        for (let q = 1; q < k; q++) if (heapS[q] < heapS[minPos] || (heapS[q] === heapS[minPos] && heapI[q] > heapI[minPos])) minPos = q;
      }
    }
    const order = Array.from({ length: h }, (_, q) => q).sort((a, b) => heapS[b] - heapS[a] || heapI[a] - heapI[b]);
    // Fewer than k documents share a feature with i: pad with the lowest-index others at similarity 0.
    let pad = 0;
    for (let q = 0; q < k; q++) {
      if (q < h) {
        idx[i * k + q] = heapI[order[q]];
        sim[i * k + q] = heapS[order[q]];
      } else {
        while (pad === i || order.some((z) => heapI[z] === pad)) pad++;
        idx[i * k + q] = pad++;
        sim[i * k + q] = 0;
      }
    }
    if (o.onProgress && i % 256 === 255) o.onProgress(i + 1, n);
  }
  return { n, k, idx, sim };
}
