/**
 * Speakers from 10 labels a class: the head's voice features reach 96.5% test with every pool label (logistic
 * regression) and 81.5% with 10 a class, and label spreading over their kNN graph loses (neighbours say the same word,
 * not the same voice). Here the features are first whitened by the labelled clips' within-class scatter (shrunk toward
 * its diagonal by ALPHA), optionally projected on the LDA directions, and only then spread over a kNN graph; logistic
 * regression on the spread labels predicts the test. Research only.
 *   SELFLABEL_AUDIO_DATA=.bench/data node --import tsx research/audio/whiten.ts [audio-speakers] [seeds=1,2,3]
 * env: ALPHAS (0.1,0.3,0.6), K (10)
 */
import { accuracyOf, headStudy, knnGraph, seedLabels, spreadFrom } from './data';
import { fitLogReg, predictLogReg } from '../../src/bench/baselines/linear';
import { symmetricEigen } from '../../src/core/util/linalg';

/** W (d × d) whitening the within-class scatter of the labelled rows, shrunk by alpha; with lda > 0, W·(top lda LDA directions). */
function whitener(
  X: Float32Array,
  d: number,
  lab: number[],
  ly: Int32Array,
  C: number,
  alpha: number,
  lda: number,
): { W: Float64Array; out: number } {
  const mu = new Float64Array(C * d);
  const cnt = new Float64Array(C);
  lab.forEach((i, k) => {
    cnt[ly[k]]++;
    for (let q = 0; q < d; q++) mu[ly[k] * d + q] += X[i * d + q];
  });
  for (let c = 0; c < C; c++) for (let q = 0; q < d; q++) mu[c * d + q] /= Math.max(1, cnt[c]);
  const S = new Float64Array(d * d);
  const r = new Float64Array(d);
  lab.forEach((i, k) => {
    for (let q = 0; q < d; q++) r[q] = X[i * d + q] - mu[ly[k] * d + q];
    for (let a = 0; a < d; a++) for (let b = 0; b < d; b++) S[a * d + b] += r[a] * r[b];
  });
  let tr = 0;
  for (let a = 0; a < d; a++) tr += S[a * d + a];
  for (let a = 0; a < d; a++) for (let b = 0; b < d; b++) S[a * d + b] = (1 - alpha) * S[a * d + b] + (a === b ? (alpha * tr) / d : 0);
  const { values, vectors } = symmetricEigen(S, d);
  // W = V Λ^{-1/2} (d × d): rows of X times W whiten.
  const W = new Float64Array(d * d);
  for (let a = 0; a < d; a++) for (let j = 0; j < d; j++) W[a * d + j] = vectors[a * d + j] / Math.sqrt(Math.max(values[j], 1e-9));
  if (!lda) return { W, out: d };
  // Between-class scatter of the whitened class means, its top `lda` directions.
  const m = new Float64Array(C * d);
  for (let c = 0; c < C; c++)
    for (let j = 0; j < d; j++) {
      let s = 0;
      for (let a = 0; a < d; a++) s += mu[c * d + a] * W[a * d + j];
      m[c * d + j] = s;
    }
  const g = new Float64Array(d);
  for (let c = 0; c < C; c++) for (let j = 0; j < d; j++) g[j] += m[c * d + j] / C;
  const B = new Float64Array(d * d);
  for (let c = 0; c < C; c++)
    for (let a = 0; a < d; a++) for (let b = 0; b < d; b++) B[a * d + b] += (m[c * d + a] - g[a]) * (m[c * d + b] - g[b]);
  const e = symmetricEigen(B, d);
  const W2 = new Float64Array(d * lda);
  for (let a = 0; a < d; a++)
    for (let k = 0; k < lda; k++) {
      let s = 0;
      for (let j = 0; j < d; j++) s += W[a * d + j] * e.vectors[j * d + k];
      W2[a * lda + k] = s;
    }
  return { W: W2, out: lda };
}

function apply(X: Float32Array, n: number, d: number, W: Float64Array, out: number, unit: boolean): Float32Array {
  const Y = new Float32Array(n * out);
  for (let i = 0; i < n; i++) {
    let nn = 0;
    for (let k = 0; k < out; k++) {
      let s = 0;
      for (let a = 0; a < d; a++) s += X[i * d + a] * W[a * out + k];
      Y[i * out + k] = s;
      nn += s * s;
    }
    if (unit) for (let k = 0; k < out; k++) Y[i * out + k] /= Math.sqrt(nn) || 1;
  }
  return Y;
}

async function main(): Promise<void> {
  const { set, seeds, pool, test, C, Xp: Hp, Xt: Ht, dim: d } = await headStudy(process.argv.slice(2));
  const K = Number(process.env.K ?? 10);
  const res = new Map<string, number[]>();
  const add = (k: string, v: number) => res.set(k, [...(res.get(k) ?? []), v]);
  for (const seed of seeds) {
    const { lab, ly } = seedLabels(pool.y, C, 10, seed);
    const lr = (Xp: Float32Array, Xt: Float32Array, dim: number, l: number[], y: Int32Array) =>
      accuracyOf(
        predictLogReg(fitLogReg({ kind: 'dense', X: Xp, n: pool.n, dim }, l, y, C, { lambda: 1e-3, maxIterations: 400 }), {
          kind: 'dense',
          X: Xt,
          n: test.n,
          dim,
        }),
        test.y,
        C,
      );
    const spread = (Xp: Float32Array, Xt: Float32Array, dim: number, name: string) => {
      const g = knnGraph(Xp, pool.n, dim, K);
      const { F, labels } = spreadFrom(g, C, lab, ly);
      add(`${name} spread (pool)`, accuracyOf(F, pool.y, C));
      add(`${name} spread → LR`, lr(Xp, Xt, dim, Array.from(labels.keys()), labels));
    };
    add('plain LR', lr(Hp, Ht, d, lab, ly));
    // plain rows, unit length, for the graph
    spread(apply(Hp, pool.n, d, identity(d), d, true), apply(Ht, test.n, d, identity(d), d, true), d, 'plain');
    for (const alpha of (process.env.ALPHAS ?? '0.1,0.3,0.6').split(',').map(Number)) {
      for (const lda of [0, C - 1]) {
        const { W, out } = whitener(Hp, d, lab, ly, C, alpha, lda);
        const Wp = apply(Hp, pool.n, d, W, out, true);
        const Wt = apply(Ht, test.n, d, W, out, true);
        const name = `α${alpha}${lda ? ` LDA${lda}` : ' white'}`;
        add(`${name} LR`, lr(Wp, Wt, out, lab, ly));
        spread(Wp, Wt, out, name);
      }
    }
    // LEAK=1: the 5-fold accuracy of LDA spreading on the human labels, with the projection fitted on every label
    // (what a fixed graph gives the classifier's own cross-validation) or on the fold's other labels only (honest).
    if (process.env.LEAK) {
      const alpha = Number((process.env.ALPHAS ?? '0.3').split(',')[0]);
      const folds = lab.map((_, k) => k % 5);
      const full = whitener(Hp, d, lab, ly, C, alpha, C - 1);
      const gFull = knnGraph(apply(Hp, pool.n, d, full.W, full.out, true), pool.n, full.out, K);
      let okLeak = 0;
      let okHonest = 0;
      for (let f = 0; f < 5; f++) {
        const tr = lab.map((_, k) => k).filter((k) => folds[k] !== f);
        const te = lab.map((_, k) => k).filter((k) => folds[k] === f);
        const l2 = tr.map((k) => lab[k]);
        const y2 = Int32Array.from(tr, (k) => ly[k]);
        const a = spreadFrom(gFull, C, l2, y2).labels;
        const wf = whitener(Hp, d, l2, y2, C, alpha, C - 1);
        const b = spreadFrom(knnGraph(apply(Hp, pool.n, d, wf.W, wf.out, true), pool.n, wf.out, K), C, l2, y2).labels;
        for (const k of te) {
          if (a[lab[k]] === ly[k]) okLeak++;
          if (b[lab[k]] === ly[k]) okHonest++;
        }
      }
      add('cv: projection on every label', okLeak / lab.length);
      add('cv: projection per fold', okHonest / lab.length);
    }
    console.error(`seed ${seed} done`);
  }
  for (const [k, v] of res) {
    const med = [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];
    console.log(`${set}\t${k.padEnd(28)}\t${v.map((x) => (100 * x).toFixed(1)).join(' / ')}\tmedian ${(100 * med).toFixed(1)}`);
  }
}

function identity(d: number): Float64Array {
  const I = new Float64Array(d * d);
  for (let a = 0; a < d; a++) I[a * d + a] = 1;
  return I;
}

void main();
