/**
 * Multinomial logistic regression on sparse rows (./tfidf.ts `SparseRow`), trained with AdaGrad on shuffled
 * mini-batches of one row, L2-regularised (lazily, per touched weight), with per-row weights — the discriminative
 * text head fitted on human labels plus spread/pseudo labels.
 *
 *   fitSparseLinear({rows, index, y, weight, nClasses, buckets, ...}) → LinearModel
 *   linearLogits(model, rows) → n × C logits
 */
import { Rng } from '../../src/core/models/random';
import type { SparseRow } from '../../src/core/text/tfidf';

export interface LinearModel {
  nClasses: number;
  buckets: number;
  /** Feature ids with non-zero weights, ascending. */
  ids: Int32Array;
  /** Weights, ids.length × C row-major. */
  W: Float32Array;
  bias: Float32Array;
}

export interface FitLinearOptions {
  rows: readonly SparseRow[];
  /** Rows to train on (indices into rows), their classes and weights. */
  index: Int32Array;
  y: Int32Array;
  weight?: Float32Array;
  nClasses: number;
  buckets: number;
  /** L2 penalty per unit of row weight (default 1e-4). */
  l2?: number;
  epochs?: number;
  /** AdaGrad learning rate (default 0.5). */
  lr?: number;
  seed?: number;
  signal?: AbortSignal;
}

export const LINEAR_DEFAULTS = { l2: 1e-4, epochs: 10, lr: 0.5 };

export function fitSparseLinear(o: FitLinearOptions): LinearModel {
  const C = o.nClasses;
  const B = o.buckets;
  const m = o.index.length;
  if (!m) throw new Error('No rows to train on.');
  if (o.y.length !== m || (o.weight && o.weight.length !== m)) throw new Error('index, y and weight must have the same length');
  const l2 = o.l2 ?? LINEAR_DEFAULTS.l2;
  const lr = o.lr ?? LINEAR_DEFAULTS.lr;
  const epochs = o.epochs ?? LINEAR_DEFAULTS.epochs;
  const W = new Float32Array(B * C);
  const G = new Float32Array(B * C).fill(1e-8);
  const b = new Float64Array(C);
  const gb = new Float64Array(C).fill(1e-8);
  const rng = new Rng(o.seed ?? 1);
  const order = Int32Array.from({ length: m }, (_, k) => k);
  const z = new Float64Array(C);
  let wsum = 0;
  for (let k = 0; k < m; k++) wsum += o.weight ? o.weight[k] : 1;
  const lam = l2 * (wsum / m);
  for (let e = 0; e < epochs; e++) {
    if (o.signal?.aborted) throw Object.assign(new Error('cancelled'), { name: 'AbortError' });
    rng.shuffle(order);
    for (const k of order) {
      const r = o.rows[o.index[k]];
      const wt = o.weight ? o.weight[k] : 1;
      if (wt <= 0) continue;
      for (let c = 0; c < C; c++) z[c] = b[c];
      for (let j = 0; j < r.ids.length; j++) {
        const base = r.ids[j] * C;
        const x = r.w[j];
        for (let c = 0; c < C; c++) z[c] += x * W[base + c];
      }
      let mx = -Infinity;
      for (let c = 0; c < C; c++) mx = Math.max(mx, z[c]);
      let s = 0;
      for (let c = 0; c < C; c++) {
        z[c] = Math.exp(z[c] - mx);
        s += z[c];
      }
      const yk = o.y[k];
      for (let c = 0; c < C; c++) {
        const g = wt * (z[c] / s - (c === yk ? 1 : 0));
        gb[c] += g * g;
        b[c] -= (lr * g) / Math.sqrt(gb[c]);
        z[c] = g;
      }
      for (let j = 0; j < r.ids.length; j++) {
        const base = r.ids[j] * C;
        const x = r.w[j];
        for (let c = 0; c < C; c++) {
          const q = base + c;
          const g = z[c] * x + lam * W[q];
          G[q] += g * g;
          W[q] -= (lr * g) / Math.sqrt(G[q]);
        }
      }
    }
  }
  let nz = 0;
  for (let v = 0; v < B; v++) {
    let any = false;
    for (let c = 0; c < C; c++) if (W[v * C + c] !== 0) any = true;
    if (any) nz++;
  }
  const ids = new Int32Array(nz);
  const Wc = new Float32Array(nz * C);
  for (let v = 0, r = 0; v < B; v++) {
    let any = false;
    for (let c = 0; c < C; c++) if (W[v * C + c] !== 0) any = true;
    if (!any) continue;
    ids[r] = v;
    for (let c = 0; c < C; c++) Wc[r * C + c] = W[v * C + c];
    r++;
  }
  return { nClasses: C, buckets: B, ids, W: Wc, bias: Float32Array.from(b) };
}

/** Logits (n × C row-major) of rows under a model. */
export function linearLogits(model: LinearModel, rows: readonly SparseRow[]): Float32Array {
  const C = model.nClasses;
  const rowOf = new Map<number, number>();
  model.ids.forEach((id, r) => rowOf.set(id, r));
  const out = new Float32Array(rows.length * C);
  rows.forEach((r, i) => {
    for (let c = 0; c < C; c++) out[i * C + c] = model.bias[c];
    for (let j = 0; j < r.ids.length; j++) {
      const q = rowOf.get(r.ids[j]);
      if (q === undefined) continue;
      for (let c = 0; c < C; c++) out[i * C + c] += r.w[j] * model.W[q * C + c];
    }
  });
  return out;
}
