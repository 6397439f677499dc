/**
 * Exploration of the pieces of a semi-supervised text head on a prepared dataset (pool accuracy of label spreading on
 * tf-idf kNN graphs, LR on labelled rows, LR distilled from spread labels), K labels/class, seeds 1..3.
 * Usage: node --import tsx research/text/explore.ts DATASET '{"char":true,"k":20,"gamma":3,"alpha":0.99,"l2":1}'
 */
import { textFeatures, type SparseDoc } from '../../src/core/modalities/text/lexical/features';
import { charNgramFeatures, mergeDocs } from '../../src/core/modalities/text/lexical/subword';
import { fitSparseLogReg, sparseLogRegLogits } from '../../src/core/modalities/text/lexical/linear';
import { fitNbEm, nbLogJoint } from '../../src/core/modalities/text/lexical/nbem';
import { idfOf, sparseKnnGraph, tfidfRows } from '../../src/core/modalities/text/lexical/tfidf';
import { spreadLabels } from '../../src/core/train/graph';
import { accuracy, loadTextDataset, median, seedLabels } from './data';

const name = process.argv[2];
const o = JSON.parse(process.argv[3] ?? '{}') as Record<string, number | boolean>;
const B = 1 << 18;
const ds = loadTextDataset(name);
const C = ds.classes.length;
const feats = (t: string): SparseDoc => {
  const w = textFeatures(t, { buckets: B, bigrams: o.bigrams !== false });
  return o.char ? mergeDocs(w, charNgramFeatures(t, { buckets: B, maxChars: Number(o.charChars ?? 3000) })) : w;
};
let t0 = Date.now();
const P = ds.pool.texts.map(feats);
const T = ds.test.texts.map(feats);
const idf = idfOf(P, B);
const R = tfidfRows(P, idf);
const RT = tfidfRows(T, idf);
console.log(`features ${(Date.now() - t0) / 1000}s nnz/doc ${(R.reduce((s, r) => s + r.ids.length, 0) / R.length).toFixed(0)}`);
t0 = Date.now();
const g = sparseKnnGraph({ rows: R, buckets: B, k: Number(o.k ?? 20), maxDf: Number(o.maxDf ?? 0.1) });
console.log(`graph ${(Date.now() - t0) / 1000}s`);
const out: Record<string, number[]> = {};
const push = (k: string, v: number) => (out[k] ??= []).push(v);
for (const seed of [1, 2, 3]) {
  const lab = seedLabels(ds.pool.y, C, 10, seed);
  const labSet = new Set(lab);
  const unl = [...ds.pool.y.keys()].filter((i) => !labSet.has(i));
  const yU = Int32Array.from(unl, (i) => ds.pool.y[i]);
  const seeds = { index: Int32Array.from(lab), y: Int32Array.from(lab, (i) => ds.pool.y[i]), weight: new Float32Array(lab.length).fill(1) };
  t0 = Date.now();
  const { F } = spreadLabels({ graph: g, nClasses: C, seeds, alpha: Number(o.alpha ?? 0.99), gamma: Number(o.gamma ?? 3) });
  const Fu = new Float32Array(unl.length * C);
  unl.forEach((i, r) => Fu.set(F.subarray(i * C, (i + 1) * C), r * C));
  push('spread-pool', accuracy(Fu, yU, C));
  const ts = (Date.now() - t0) / 1000;
  t0 = Date.now();
  const lr = fitSparseLogReg({ rows: lab.map((i) => R[i]), targets: seeds.y, nClasses: C, l2: Number(o.l2 ?? 1), iterations: 300 });
  push('lr-test', accuracy(sparseLogRegLogits(lr, RT), ds.test.y, C));
  const lrU = sparseLogRegLogits(
    lr,
    unl.map((i) => R[i]),
  );
  push('lr-pool', accuracy(lrU, yU, C));
  const tl = (Date.now() - t0) / 1000;
  // Distil: labelled hard + every pool row with normalised spread distribution (sharpened), weight u.
  t0 = Date.now();
  const n = R.length;
  const targ = new Float32Array(n * C);
  const wt = new Float32Array(n);
  const sharpen = Number(o.sharpen ?? 1);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let c = 0; c < C; c++) s += Math.pow(Math.max(0, F[i * C + c]), sharpen);
    if (s <= 0) continue;
    for (let c = 0; c < C; c++) targ[i * C + c] = Math.pow(Math.max(0, F[i * C + c]), sharpen) / s;
    wt[i] = Number(o.u ?? 0.1);
  }
  for (const i of lab) {
    targ.fill(0, i * C, (i + 1) * C);
    targ[i * C + ds.pool.y[i]] = 1;
    wt[i] = 1;
  }
  const dl = fitSparseLogReg({
    rows: R,
    targets: targ,
    weight: wt,
    nClasses: C,
    l2: Number(o.l2d ?? 0.1),
    iterations: Number(o.iters ?? 100),
  });
  push('distil-test', accuracy(sparseLogRegLogits(dl, RT), ds.test.y, C));
  push(
    'distil-pool',
    accuracy(
      sparseLogRegLogits(
        dl,
        unl.map((i) => R[i]),
      ),
      yU,
      C,
    ),
  );
  // Self-training: LR on labelled, then rounds of LR on labelled + the pool's predicted distributions (sharpened).
  t0 = Date.now();
  let cur = lr;
  for (let r = 0; r < Number(o.rounds ?? 0); r++) {
    const lg = sparseLogRegLogits(cur, R);
    const tg = new Float32Array(n * C);
    const w2 = new Float32Array(n);
    const T0 = Number(o.selfT ?? 0.1);
    for (let i = 0; i < n; i++) {
      let m = -Infinity;
      for (let c = 0; c < C; c++) m = Math.max(m, lg[i * C + c]);
      let s = 0;
      for (let c = 0; c < C; c++) s += tg[i * C + c] = Math.exp((lg[i * C + c] - m) / T0);
      for (let c = 0; c < C; c++) tg[i * C + c] /= s;
      w2[i] = Number(o.u ?? 0.1);
    }
    for (const i of lab) {
      tg.fill(0, i * C, (i + 1) * C);
      tg[i * C + ds.pool.y[i]] = 1;
      w2[i] = 1;
    }
    cur = fitSparseLogReg({ rows: R, targets: tg, weight: w2, nClasses: C, l2: Number(o.l2d ?? 0.1), iterations: Number(o.iters ?? 100) });
    push(`self${r + 1}-test`, accuracy(sparseLogRegLogits(cur, RT), ds.test.y, C));
    push(
      `self${r + 1}-pool`,
      accuracy(
        sparseLogRegLogits(
          cur,
          unl.map((i) => R[i]),
        ),
        yU,
        C,
      ),
    );
  }
  const tself = (Date.now() - t0) / 1000;
  if (o.nb) {
    const nbm = fitNbEm({
      docs: P,
      nClasses: C,
      buckets: B,
      labelled: { index: seeds.index, y: seeds.y },
      iters: Number(o.nbIters ?? 10),
      lambda: Number(o.lambda ?? 0.1),
      docLength: Number(o.docLength ?? 1),
      alpha: Number(o.nbAlpha ?? 0.1),
    });
    const lj = nbLogJoint(nbm, T, Number(o.docLength ?? 1));
    push('nbem-test', accuracy(Float32Array.from(lj), ds.test.y, C));
  }
  console.log(`seed ${seed}: self ${tself}s`);
  console.log(
    `seed ${seed}: ${Object.entries(out)
      .map(([k, v]) => `${k} ${(v[v.length - 1] * 100).toFixed(1)}`)
      .join('  ')}  (spread ${ts}s lr ${tl}s distil ${(Date.now() - t0) / 1000}s)`,
  );
}
console.log(
  `${name} ${JSON.stringify(o)} medians: ${Object.entries(out)
    .map(([k, v]) => `${k} ${(median(v) * 100).toFixed(1)}`)
    .join('  ')}`,
);
