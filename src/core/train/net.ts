/**
 * A small softmax network on embeddings (multinomial logistic regression, or an MLP with ReLU hidden layers),
 * trained with tfjs (Adam, mini-batches, weighted soft-target cross entropy, L2 on weights) and returned as plain
 * JSON-serialisable numbers so it can travel between threads and be saved in classifier.json.
 *
 * Inputs are standardised with the per-feature mean and scale of the whole embedding matrix (all items, not only
 * the labelled ones), stored in the parameters.
 */
import * as tf from '@tensorflow/tfjs';
import { AbortError } from '../util/progress';
import { Rng, permutation } from '../models/random';

export interface DenseParams {
  inDim: number;
  outDim: number;
  /** Row-major [inDim][outDim]. */
  W: number[];
  b: number[];
}

export interface NetParams {
  mean: number[];
  invStd: number[];
  /** Hidden layers (ReLU) then the output layer (logits). */
  layers: DenseParams[];
}

export interface FitNetOptions {
  X: Float32Array;
  n: number;
  dim: number;
  /** Rows of X to train on. */
  rows: Int32Array;
  /** Targets, rows.length × C (one-hot or soft distributions). */
  targets: Float32Array;
  /** Per-row weights (default 1). */
  weights?: Float32Array;
  nClasses: number;
  /** Hidden layer sizes ([] = logistic regression). */
  hidden?: number[];
  /** L2 penalty on the weight matrices (mean loss + l2·Σw²). */
  l2?: number;
  learningRate?: number;
  batchSize?: number;
  epochs?: number;
  /** At least this many optimiser steps (tiny training sets get more epochs). */
  minSteps?: number;
  /** Standardisation to use (default: computed from all n rows of X). */
  standardize?: { mean: number[]; invStd: number[] };
  seed?: number;
  signal?: AbortSignal;
  onStep?: (step: number, total: number, loss: number) => void;
}

/** Per-feature mean and 1/std over all rows of X (std floored so constant features stay finite). */
export function featureStats(X: Float32Array, n: number, dim: number): { mean: number[]; invStd: number[] } {
  const mean = new Float64Array(dim);
  const sq = new Float64Array(dim);
  for (let i = 0; i < n; i++) {
    const o = i * dim;
    for (let j = 0; j < dim; j++) {
      const v = X[o + j];
      mean[j] += v;
      sq[j] += v * v;
    }
  }
  const m: number[] = [];
  const s: number[] = [];
  for (let j = 0; j < dim; j++) {
    const mu = n ? mean[j] / n : 0;
    const variance = n ? Math.max(0, sq[j] / n - mu * mu) : 0;
    m.push(mu);
    s.push(1 / Math.sqrt(variance + 1e-6));
  }
  return { mean: m, invStd: s };
}

/** Standardised copies of rows[k] (or of rows start+k when `rows` is null), k < count. */
function gatherStandardized(
  X: Float32Array,
  dim: number,
  rows: Int32Array | null,
  count: number,
  st: { mean: number[]; invStd: number[] },
  start = 0,
): Float32Array {
  const out = new Float32Array(count * dim);
  for (let k = 0; k < count; k++) {
    const i = rows ? rows[k] : start + k;
    const o = i * dim;
    const d = k * dim;
    for (let j = 0; j < dim; j++) out[d + j] = (X[o + j] - st.mean[j]) * st.invStd[j];
  }
  return out;
}

/** Trains the network; see FitNetOptions. */
export async function fitNet(o: FitNetOptions): Promise<NetParams> {
  const C = o.nClasses;
  const m = o.rows.length;
  if (m === 0) throw new Error('No training rows.');
  if (o.targets.length !== m * C) throw new Error(`targets must be rows × nClasses (${m}×${C}), got ${o.targets.length}`);
  const seed = o.seed ?? 1;
  const rng = new Rng(seed);
  const hidden = o.hidden ?? [];
  const l2 = o.l2 ?? 1e-3;
  const st = o.standardize ?? featureStats(o.X, o.n, o.dim);
  const xs = gatherStandardized(o.X, o.dim, o.rows, m, st);
  const B = Math.min(o.batchSize ?? 256, m);
  const batches = Math.ceil(m / B);
  const epochs = Math.max(o.epochs ?? 30, Math.ceil((o.minSteps ?? 300) / batches));
  if (!hidden.length) return fitSoftmaxJs(o, xs, m, B, epochs, st, rng, l2);
  const sizes = [o.dim, ...hidden, C];
  const vars: { W: tf.Variable; b: tf.Variable }[] = [];
  for (let l = 0; l + 1 < sizes.length; l++) {
    const std = Math.sqrt((l + 2 < sizes.length ? 2 : 1) / sizes[l]);
    const w0 = tf.randomNormal([sizes[l], sizes[l + 1]], 0, std, 'float32', rng.seed());
    const b0 = tf.zeros([sizes[l + 1]]);
    vars.push({ W: tf.variable(w0), b: tf.variable(b0) });
    w0.dispose();
    b0.dispose();
  }
  const xT = tf.tensor2d(xs, [m, o.dim]);
  const yT = tf.tensor2d(o.targets, [m, C]);
  const w = o.weights ?? new Float32Array(m).fill(1);
  const wT = tf.tensor1d(w);
  const optimizer = tf.train.adam(o.learningRate ?? 3e-3);
  const varList = vars.flatMap((v) => [v.W, v.b]);
  const total = epochs * batches;
  let step = 0;
  try {
    for (let e = 0; e < epochs; e++) {
      const perm = permutation(m, rng);
      for (let bi = 0; bi < batches; bi++) {
        if (o.signal?.aborted) throw new AbortError();
        const idx = tf.tensor1d(perm.subarray(bi * B, Math.min(m, (bi + 1) * B)), 'int32');
        const lossT = optimizer.minimize(
          () => {
            const x = tf.gather(xT, idx);
            const y = tf.gather(yT, idx);
            const wb = tf.gather(wT, idx);
            let h: tf.Tensor = x;
            vars.forEach((v, l) => {
              h = tf.add(tf.matMul(h, v.W), v.b);
              if (l + 1 < vars.length) h = tf.relu(h);
            });
            const logp = tf.logSoftmax(h as tf.Tensor2D);
            const ce = tf.neg(tf.sum(tf.mul(y, logp), 1));
            const data = tf.div(tf.sum(tf.mul(ce, wb)), tf.maximum(tf.sum(wb), 1e-8));
            let reg: tf.Tensor = tf.scalar(0);
            for (const v of vars) reg = tf.add(reg, tf.sum(tf.square(v.W)));
            return tf.add(data, tf.mul(reg, l2)) as tf.Scalar;
          },
          true,
          varList,
        );
        idx.dispose();
        step++;
        if (o.onStep && lossT && (step % 20 === 0 || step === total)) o.onStep(step, total, (await lossT.data())[0]);
        lossT?.dispose();
        if (step % 25 === 0) await new Promise<void>((r) => setImmediate(r));
      }
    }
    const layers: DenseParams[] = [];
    for (let l = 0; l < vars.length; l++) {
      layers.push({ inDim: sizes[l], outDim: sizes[l + 1], W: Array.from(await vars[l].W.data()), b: Array.from(await vars[l].b.data()) });
    }
    return { mean: st.mean, invStd: st.invStd, layers };
  } finally {
    optimizer.dispose();
    xT.dispose();
    yT.dispose();
    wT.dispose();
    for (const v of vars) {
      v.W.dispose();
      v.b.dispose();
    }
  }
}

/**
 * Multinomial logistic regression (no hidden layer) trained in plain JS with the same loss, Adam settings, batches
 * and initialisation scheme as the tfjs path. For a linear model every tfjs step is dominated by per-op overhead
 * (~20–40 ms on wasm for a 512 × 128 batch); here a step costs ~1 ms, so a 600-step fit takes about a second.
 */
async function fitSoftmaxJs(
  o: FitNetOptions,
  xs: Float32Array,
  m: number,
  B: number,
  epochs: number,
  st: { mean: number[]; invStd: number[] },
  rng: Rng,
  l2: number,
): Promise<NetParams> {
  const C = o.nClasses;
  const D = o.dim;
  const lr = o.learningRate ?? 3e-3;
  const [beta1, beta2, eps] = [0.9, 0.999, 1e-7];
  const W = new Float32Array(D * C);
  const b = new Float32Array(C);
  // Glorot-like N(0, 1/D) start, from the seeded generator.
  const std = Math.sqrt(1 / D);
  const init = new Rng(rng.seed());
  for (let q = 0; q < W.length; q++) W[q] = init.normal() * std;
  const mW = new Float32Array(D * C);
  const vW = new Float32Array(D * C);
  const mb = new Float32Array(C);
  const vb = new Float32Array(C);
  const gW = new Float32Array(D * C);
  const gb = new Float32Array(C);
  const z = new Float64Array(C);
  const gz = new Float32Array(C);
  const w = o.weights ?? new Float32Array(m).fill(1);
  const batches = Math.ceil(m / B);
  const total = epochs * batches;
  let step = 0;
  for (let e = 0; e < epochs; e++) {
    const perm = permutation(m, rng);
    for (let bi = 0; bi < batches; bi++) {
      if (o.signal?.aborted) throw new AbortError();
      const lo = bi * B;
      const hi = Math.min(m, lo + B);
      let wsum = 0;
      for (let r = lo; r < hi; r++) wsum += w[perm[r]];
      const inv = 1 / Math.max(wsum, 1e-8);
      gW.fill(0);
      gb.fill(0);
      let loss = 0;
      for (let r = lo; r < hi; r++) {
        const k = perm[r];
        const wk = w[k];
        if (wk === 0) continue;
        const x = k * D;
        for (let c = 0; c < C; c++) z[c] = b[c];
        for (let d = 0; d < D; d++) {
          const v = xs[x + d];
          const row = d * C;
          for (let c = 0; c < C; c++) z[c] += v * W[row + c];
        }
        let mx = -Infinity;
        for (let c = 0; c < C; c++) if (z[c] > mx) mx = z[c];
        let se = 0;
        for (let c = 0; c < C; c++) se += Math.exp(z[c] - mx);
        const lse = mx + Math.log(se);
        let ysum = 0;
        for (let c = 0; c < C; c++) {
          const y = o.targets[k * C + c];
          ysum += y;
          loss -= wk * inv * y * (z[c] - lse);
        }
        for (let c = 0; c < C; c++) {
          const g = wk * inv * (Math.exp(z[c] - lse) * ysum - o.targets[k * C + c]);
          gz[c] = g;
          gb[c] += g;
        }
        for (let d = 0; d < D; d++) {
          const v = xs[x + d];
          if (v === 0) continue;
          const row = d * C;
          for (let c = 0; c < C; c++) gW[row + c] += v * gz[c];
        }
      }
      let reg = 0;
      for (let q = 0; q < W.length; q++) {
        reg += W[q] * W[q];
        gW[q] += 2 * l2 * W[q];
      }
      loss += l2 * reg;
      step++;
      const c1 = 1 - Math.pow(beta1, step);
      const c2 = 1 - Math.pow(beta2, step);
      const a = (lr * Math.sqrt(c2)) / c1;
      for (let q = 0; q < W.length; q++) {
        mW[q] = beta1 * mW[q] + (1 - beta1) * gW[q];
        vW[q] = beta2 * vW[q] + (1 - beta2) * gW[q] * gW[q];
        W[q] -= (a * mW[q]) / (Math.sqrt(vW[q]) + eps);
      }
      for (let c = 0; c < C; c++) {
        mb[c] = beta1 * mb[c] + (1 - beta1) * gb[c];
        vb[c] = beta2 * vb[c] + (1 - beta2) * gb[c] * gb[c];
        b[c] -= (a * mb[c]) / (Math.sqrt(vb[c]) + eps);
      }
      if (o.onStep && (step % 20 === 0 || step === total)) o.onStep(step, total, loss);
      if (step % 50 === 0) await new Promise<void>((r) => setImmediate(r));
    }
  }
  return { mean: st.mean, invStd: st.invStd, layers: [{ inDim: D, outDim: C, W: Array.from(W), b: Array.from(b) }] };
}

/** Logits (n_rows × C) of `rows` of X (all rows when omitted). */
export async function netLogits(p: NetParams, X: Float32Array, n: number, dim: number, rows?: Int32Array): Promise<Float32Array> {
  if (p.mean.length !== dim) throw new Error(`The classifier expects ${p.mean.length}-dim embeddings, got ${dim}: train again.`);
  const count = rows ? rows.length : n;
  const C = p.layers[p.layers.length - 1].outDim;
  const out = new Float32Array(count * C);
  const weights = p.layers.map((l) => ({ W: tf.tensor2d(l.W, [l.inDim, l.outDim]), b: tf.tensor1d(l.b) }));
  const chunk = 4096;
  try {
    for (let s = 0; s < count; s += chunk) {
      const b = Math.min(chunk, count - s);
      const xs = gatherStandardized(X, dim, rows ? rows.subarray(s, s + b) : null, b, p, s);
      const y = tf.tidy(() => {
        let h: tf.Tensor = tf.tensor2d(xs, [b, dim]);
        weights.forEach((v, l) => {
          h = tf.add(tf.matMul(h, v.W), v.b);
          if (l + 1 < weights.length) h = tf.relu(h);
        });
        return h;
      });
      out.set(await y.data(), s * C);
      y.dispose();
    }
  } finally {
    for (const v of weights) {
      v.W.dispose();
      v.b.dispose();
    }
  }
  return out;
}

/** Same as netLogits, in plain JS (synchronous; fine for linear models and small MLPs). */
export function netLogitsSync(p: NetParams, X: Float32Array, n: number, dim: number, rows?: Int32Array): Float32Array {
  if (p.mean.length !== dim) throw new Error(`The classifier expects ${p.mean.length}-dim embeddings, got ${dim}: train again.`);
  const count = rows ? rows.length : n;
  const C = p.layers[p.layers.length - 1].outDim;
  const out = new Float32Array(count * C);
  const Ws = p.layers.map((l) => Float32Array.from(l.W));
  const bs = p.layers.map((l) => Float32Array.from(l.b));
  const maxWidth = Math.max(dim, ...p.layers.map((l) => l.outDim));
  let h = new Float32Array(maxWidth);
  let g = new Float32Array(maxWidth);
  for (let k = 0; k < count; k++) {
    const i = rows ? rows[k] : k;
    const o = i * dim;
    for (let j = 0; j < dim; j++) h[j] = (X[o + j] - p.mean[j]) * p.invStd[j];
    for (let l = 0; l < p.layers.length; l++) {
      const { inDim, outDim } = p.layers[l];
      const W = Ws[l];
      g.set(bs[l]);
      for (let a = 0; a < inDim; a++) {
        const v = h[a];
        if (v === 0) continue;
        const r = a * outDim;
        for (let c = 0; c < outDim; c++) g[c] += v * W[r + c];
      }
      if (l + 1 < p.layers.length) for (let c = 0; c < outDim; c++) if (g[c] < 0) g[c] = 0;
      const t = h;
      h = g;
      g = t;
    }
    out.set(h.subarray(0, C), k * C);
  }
  return out;
}
