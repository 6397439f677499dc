/**
 * A kNN graph built in parts, one per worker (src/core/project/embeddings.ts knnGraph): the row ranges of the parts and
 * the graph put together from them. Kept apart from graph.ts so that the host side does not load tfjs.
 */
import type { KnnGraph } from './graph';

/** Row ranges [from, to) that split n rows into `parts` near-equal parts (fewer when n is small), in order. */
export function graphRowParts(n: number, parts: number): { from: number; to: number }[] {
  const p = Math.max(1, Math.min(parts, n));
  return Array.from({ length: p }, (_, i) => ({ from: Math.floor((i * n) / p), to: Math.floor(((i + 1) * n) / p) }));
}

/** The graph of all rows from its parts (graph.ts buildKnnGraph with `rows`), given in row order and covering 0..n. */
export function joinGraphRows(parts: readonly KnnGraph[], n: number): KnnGraph {
  const k = parts[0]?.k ?? 0;
  const rows = parts.reduce((a, g) => a + g.n, 0);
  if (rows !== n || parts.some((g) => g.k !== k)) {
    throw new Error(`graph parts hold ${rows} rows with k ${parts.map((g) => g.k).join('/')}, need ${n} rows with one k`);
  }
  const idx = new Int32Array(n * k);
  const sim = new Float32Array(n * k);
  let o = 0;
  for (const g of parts) {
    idx.set(g.idx.subarray(0, g.n * k), o);
    sim.set(g.sim.subarray(0, g.n * k), o);
    o += g.n * k;
  }
  return { n, k, idx, sim };
}
