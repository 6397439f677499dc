/**
 * Semi-supervised multinomial naive Bayes with EM over the unlabelled pool (Nigam, McCallum, Thrun & Mitchell 2000),
 * on the sparse hashed features of ./features.ts — a generic text head for few labels.
 *
 *   fitNbEm({docs, nClasses, labelled: {index, y, weight}, ...}) → NbModel
 *   nbLogLikelihoods(model, doc) → per-class log joint (prior + Σ tf·log p(w|c)), up to a constant
 *
 * E-step: class posteriors of every unlabelled document; M-step: word counts of labelled documents (weight 1) plus
 * unlabelled ones weighted by `lambda` × posterior. Counts are sublinear (1 + ln tf) and every document is
 * length-normalised to `docLength` total mass, so a long message does not outvote many short ones. Class priors
 * are kept uniform-ish (`priorFromData` false) unless asked, since a handful of seed labels says little about them.
 */

import type { SparseDoc } from './features';
import { softmaxRow64 } from '../../../util/math';

export interface NbModel {
  version: 1;
  kind: 'nb-em';
  nClasses: number;
  buckets: number;
  /** Feature ids with a model entry, ascending (features never seen in the pool fall back to `unseen`). */
  ids: Int32Array;
  /** log p(id | c), row-major ids.length × C. */
  logp: Float32Array;
  /** log p(unseen id | c), per class. */
  unseen: Float32Array;
  /** log prior per class. */
  logPrior: Float32Array;
}

export interface NbEmOptions {
  docs: SparseDoc[];
  nClasses: number;
  buckets: number;
  labelled: { index: Int32Array; y: Int32Array; weight?: Float32Array };
  /** Dirichlet smoothing per feature (default 0.1). */
  alpha?: number;
  /** Weight of an unlabelled document relative to a labelled one (default 0.1). */
  lambda?: number;
  /** EM iterations (default 10; 0 = labelled documents only). */
  iters?: number;
  /** Total mass of a document's (sublinear) counts (default 1 = each document counts once; ≤ 0: not normalised). */
  docLength?: number;
  /** Estimate class priors from the (soft) counts (default false: uniform). */
  priorFromData?: boolean;
  /** Posterior temperature in the E-step: log joints are divided by it (default 1). */
  temperature?: number;
  signal?: AbortSignal;
  onIteration?: (iter: number, total: number) => void;
}

export const NB_DEFAULTS = { alpha: 0.1, lambda: 0.1, iters: 10, docLength: 1, temperature: 1 };

/** Sublinear, length-normalised weights of a document's counts. */
function docWeights(d: SparseDoc, docLength: number): Float32Array {
  const w = new Float32Array(d.counts.length);
  let s = 0;
  for (let j = 0; j < w.length; j++) {
    w[j] = 1 + Math.log(d.counts[j]);
    s += w[j];
  }
  const k = docLength <= 0 ? 1 : s > 0 ? docLength / s : 0;
  for (let j = 0; j < w.length; j++) w[j] *= k;
  return w;
}

/** Per-class log joint of a document under the model (dense model arrays, see `denseLogp`). */
function scoreDense(dense: Float32Array, logPrior: Float32Array | Float64Array, C: number, d: SparseDoc, w: Float32Array): Float64Array {
  const s = new Float64Array(C);
  for (let c = 0; c < C; c++) s[c] = logPrior[c];
  for (let j = 0; j < d.ids.length; j++) {
    const o = d.ids[j] * C;
    const x = w[j];
    for (let c = 0; c < C; c++) s[c] += x * dense[o + c];
  }
  return s;
}

/** Fits NB-EM; see the module comment. */
export function fitNbEm(o: NbEmOptions): NbModel {
  const C = o.nClasses;
  const B = o.buckets;
  const n = o.docs.length;
  const alpha = o.alpha ?? NB_DEFAULTS.alpha;
  const lambda = o.lambda ?? NB_DEFAULTS.lambda;
  const iters = o.iters ?? NB_DEFAULTS.iters;
  const docLength = o.docLength ?? NB_DEFAULTS.docLength;
  const temperature = o.temperature ?? NB_DEFAULTS.temperature;
  if (!Number.isInteger(C) || C < 2) throw new Error(`Need at least 2 classes, got ${C}`);
  const L = o.labelled;
  if (L.index.length !== L.y.length) throw new Error('labelled.index and labelled.y must have the same length');
  if (!L.index.length) throw new Error('No labelled documents.');
  for (let k = 0; k < L.index.length; k++) {
    if (L.index[k] < 0 || L.index[k] >= n) throw new Error(`labelled index ${L.index[k]} out of range`);
    if (L.y[k] < 0 || L.y[k] >= C) throw new Error(`label ${L.y[k]} out of range`);
  }
  const W = o.docs.map((d) => docWeights(d, docLength));
  // Soft labels: labelled rows fixed, the rest re-estimated each iteration.
  const resp = new Float64Array(n * C);
  const mass = new Float64Array(n);
  const isLab = new Uint8Array(n);
  for (let k = 0; k < L.index.length; k++) {
    const i = L.index[k];
    resp[i * C + L.y[k]] += L.weight ? L.weight[k] : 1;
    mass[i] = 1;
    isLab[i] = 1;
  }
  const counts = new Float64Array(B * C);
  const dense = new Float32Array(B * C);
  const logPrior = new Float64Array(C);
  const mstep = () => {
    counts.fill(0);
    const prior = new Float64Array(C).fill(1);
    for (let i = 0; i < n; i++) {
      if (!mass[i]) continue;
      const d = o.docs[i];
      const w = W[i];
      for (let c = 0; c < C; c++) {
        const r = resp[i * C + c] * mass[i];
        if (!r) continue;
        prior[c] += r;
        for (let j = 0; j < d.ids.length; j++) counts[d.ids[j] * C + c] += r * w[j];
      }
    }
    const tot = new Float64Array(C);
    for (let v = 0; v < B; v++) for (let c = 0; c < C; c++) tot[c] += counts[v * C + c];
    for (let c = 0; c < C; c++) tot[c] += alpha * B;
    for (let v = 0; v < B; v++) for (let c = 0; c < C; c++) dense[v * C + c] = Math.log((counts[v * C + c] + alpha) / tot[c]);
    let ps = 0;
    for (let c = 0; c < C; c++) ps += prior[c];
    for (let c = 0; c < C; c++) logPrior[c] = o.priorFromData ? Math.log(prior[c] / ps) : -Math.log(C);
  };
  mstep();
  for (let it = 0; it < iters; it++) {
    if (o.signal?.aborted) throw Object.assign(new Error('cancelled'), { name: 'AbortError' });
    for (let i = 0; i < n; i++) {
      if (isLab[i]) continue;
      const p = softmaxRow64(scoreDense(dense, logPrior, C, o.docs[i], W[i]), C, temperature);
      for (let c = 0; c < C; c++) resp[i * C + c] = p[c];
      mass[i] = lambda;
    }
    mstep();
    o.onIteration?.(it + 1, iters);
  }
  // Keep only the ids that occur in the pool.
  const seen = new Uint8Array(B);
  for (const d of o.docs) for (const id of d.ids) seen[id] = 1;
  let m = 0;
  for (let v = 0; v < B; v++) m += seen[v];
  const ids = new Int32Array(m);
  const logp = new Float32Array(m * C);
  const unseen = new Float32Array(C);
  const tot = new Float64Array(C);
  for (let v = 0; v < B; v++) for (let c = 0; c < C; c++) tot[c] += counts[v * C + c];
  for (let c = 0; c < C; c++) unseen[c] = Math.log(alpha / (tot[c] + alpha * B));
  for (let v = 0, r = 0; v < B; v++) {
    if (!seen[v]) continue;
    ids[r] = v;
    for (let c = 0; c < C; c++) logp[r * C + c] = dense[v * C + c];
    r++;
  }
  return { version: 1, kind: 'nb-em', nClasses: C, buckets: B, ids, logp, unseen, logPrior: Float32Array.from(logPrior) };
}

/** Per-class log joints (n × C, row-major) of documents under a fitted model (same feature options as the fit). */
export function nbLogJoint(model: NbModel, docs: SparseDoc[], docLength = NB_DEFAULTS.docLength): Float64Array {
  const C = model.nClasses;
  const row = new Map<number, number>();
  model.ids.forEach((id, r) => row.set(id, r));
  const out = new Float64Array(docs.length * C);
  docs.forEach((d, i) => {
    const w = docWeights(d, docLength);
    for (let c = 0; c < C; c++) out[i * C + c] = model.logPrior[c];
    for (let j = 0; j < d.ids.length; j++) {
      const r = row.get(d.ids[j]);
      for (let c = 0; c < C; c++) out[i * C + c] += w[j] * (r === undefined ? model.unseen[c] : model.logp[r * C + c]);
    }
  });
  return out;
}
