/**
 * Tuning: tf-idf cosine kNN graph + label spreading on the sparse text features, then NB trained on the spread
 * labels (test = inductive). Bench split. Usage: node --import tsx scripts/experiments/spamGraph.ts '{...}'
 */
import { textFeatures } from '../../src/core/text/features';
import { idfOf, tfidfRows, sparseKnnGraph } from '../../src/core/text/tfidf';
import { fitNbEm, nbLogJoint } from '../../src/core/text/nbem';
import { fitSparseLinear, linearLogits } from './sparseLinear';
import { spreadLabels } from '../../src/core/train/graph';
import { loadSpamEmails, spamSeeds } from './data';

const knobs = JSON.parse(process.argv[2] ?? '{}');
const { pool, test } = loadSpamEmails();
const B = knobs.buckets ?? 1 << 18;
const fo = { buckets: B, bigrams: knobs.bigrams ?? true, fields: knobs.fields ?? true, view: knobs.view };
const P = pool.map((d) => textFeatures(d.text, fo));
const T = test.map((d) => textFeatures(d.text, fo));
const n = P.length;
const C = 2;
let t0 = Date.now();
const views: (string | undefined)[] = knobs.views ?? [knobs.view];
const graphs = views.map((v) => {
  const V = v === knobs.view ? P : pool.map((d) => textFeatures(d.text, { ...fo, view: v as 'all' }));
  return sparseKnnGraph({ rows: tfidfRows(V, idfOf(V, B)), buckets: B, k: knobs.k ?? 20, maxDf: knobs.maxDf });
});
const graph = graphs[0];
console.log(`graph ${(Date.now() - t0) / 1000}s`);
// graph quality: neighbour label agreement
let agree = 0;
for (let i = 0; i < n; i++) for (let j = 0; j < graph.k; j++) if (pool[graph.idx[i * graph.k + j]].y === pool[i].y) agree++;
console.log(`kNN label agreement ${(agree / (n * graph.k) * 100).toFixed(2)}%`);
const accs: number[] = [];
for (const seed of knobs.seeds ?? [1, 2, 3]) {
  const idx = spamSeeds(pool, knobs.perClass ?? 10, seed);
  t0 = Date.now();
  const F = new Float32Array(n * C);
  const mass = new Float32Array(n);
  // Co-spreading: each view adds its most confident unlabelled items (per predicted class) as seeds for all views.
  const sIdx: number[] = [...idx], sY: number[] = idx.map((i) => pool[i].y), sW: number[] = idx.map(() => 1);
  const inL = new Set(idx);
  const R = knobs.coRounds ?? 0;
  for (let round = 1; round <= R; round++) {
    const target = Math.round((knobs.coMax ?? 0.8) * n * round / R);
    const adds: { i: number; c: number }[] = [];
    for (const g of graphs) {
      const r = spreadLabels({ graph: g, nClasses: C, seeds: { index: Int32Array.from(sIdx), y: Int32Array.from(sY), weight: Float32Array.from(sW) }, alpha: knobs.alpha ?? 0.99, gamma: knobs.gamma ?? 3 });
      const byC: { i: number; s: number }[][] = [[], []];
      for (let i = 0; i < n; i++) {
        if (inL.has(i) || r.mass[i] <= 0) continue;
        const c = r.F[i * C + 1] > r.F[i * C] ? 1 : 0;
        byC[c].push({ i, s: r.F[i * C + c] });
      }
      const free = n - inL.size;
      const want = Math.max(0, Math.round((target - inL.size) / graphs.length));
      for (let c = 0; c < C; c++) {
        byC[c].sort((a, b) => b.s - a.s || a.i - b.i);
        const take = Math.round(want * byC[c].length / Math.max(1, free));
        for (const e of byC[c].slice(0, take)) adds.push({ i: e.i, c });
      }
    }
    let okA = 0, nA = 0;
    const seen = new Map<number, number>();
    for (const a of adds) {
      if (inL.has(a.i)) continue;
      if (seen.has(a.i) && seen.get(a.i) !== a.c) { seen.set(a.i, -1); continue; }
      seen.set(a.i, a.c);
    }
    for (const [i, c] of seen) { if (c < 0) continue; inL.add(i); sIdx.push(i); sY.push(c); sW.push(knobs.coW ?? 0.5); nA++; if (pool[i].y === c) okA++; }
    if (knobs.diag) console.log(`  co round ${round}: +${nA} (${(okA / Math.max(1, nA) * 100).toFixed(2)}% right), L=${inL.size}`);
  }
  for (const g of graphs) {
    const r = spreadLabels({ graph: g, nClasses: C, seeds: { index: Int32Array.from(sIdx), y: Int32Array.from(sY), weight: Float32Array.from(sW) }, alpha: knobs.alpha ?? 0.99, gamma: knobs.gamma ?? 3 });
    const cm = knobs.combine ?? 'mean';
    for (let i = 0; i < n; i++) for (let c = 0; c < C; c++) F[i * C + c] += cm === 'mass' ? r.F[i * C + c] * r.mass[i] : cm === 'log' ? Math.log(r.F[i * C + c] + 1e-3) : r.F[i * C + c] / graphs.length;
    for (let i = 0; i < n; i++) mass[i] += r.mass[i];
    if (knobs.diag) {
      const e = new Map<string, number>();
      let ok = 0;
      for (let i = 0; i < n; i++) { const c = r.F[i * C + 1] > r.F[i * C] ? 1 : 0; if (c === pool[i].y) ok++; else e.set(pool[i].g, (e.get(pool[i].g) ?? 0) + 1); }
      console.log(`  view pool ${(ok / n * 100).toFixed(2)} ${[...e].map(([g, x]) => `${g}:${x}`).join(' ')}`);
    }
  }
  // class mass normalisation (optional)
  const colSum = [0, 0];
  for (let i = 0; i < n; i++) for (let c = 0; c < C; c++) colSum[c] += F[i * C + c] * mass[i];
  let okPool = 0;
  const lab: number[] = [];
  const conf: number[] = [];
  if ((knobs.combine ?? 'mean') !== 'mean') for (let i = 0; i < n; i++) { const a = knobs.combine === 'log' ? Math.exp(F[i * C]) : F[i * C], b = knobs.combine === 'log' ? Math.exp(F[i * C + 1]) : F[i * C + 1]; F[i * C] = a / (a + b || 1); F[i * C + 1] = b / (a + b || 1); }
  for (let i = 0; i < n; i++) {
    let f0 = F[i * C], f1 = F[i * C + 1];
    if (knobs.cmn) { f0 /= colSum[0]; f1 /= colSum[1]; }
    const c = f1 > f0 ? 1 : 0;
    lab.push(c);
    conf.push(Math.max(f0, f1) / (f0 + f1 || 1));
    if (c === pool[i].y) okPool++;
  }
  const isSeed = new Set(knobs.finalL ? sIdx : idx);
  const ii: number[] = knobs.finalL ? [...sIdx] : [...idx], yy: number[] = knobs.finalL ? [...sY] : idx.map((i) => pool[i].y), ww: number[] = knobs.finalL ? sW.map((w) => (w < 1 ? knobs.pw ?? 1 : 1)) : idx.map(() => 1);
  const ord = [...Array(n).keys()].filter((i) => !isSeed.has(i) && mass[i] > 0).sort((a, b) => conf[b] - conf[a]);
  const keep = ord.slice(0, Math.round((knobs.keep ?? 1) * ord.length));
  let okK = 0;
  for (const i of keep) { ii.push(i); yy.push(lab[i]); ww.push(knobs.pw ?? 1); if (lab[i] === pool[i].y) okK++; }
  if (knobs.head === 'lr') {
    const idfA = idfOf(P, B);
    const RP = tfidfRows(P, idfA);
    const RT = tfidfRows(T, idfA);
    let II = Int32Array.from(ii), YY = Int32Array.from(yy), WW = Float32Array.from(ww);
    let line = '';
    let lt!: Float32Array;
    for (let round = 0; round <= (knobs.rounds ?? 0); round++) {
      const lm = fitSparseLinear({ rows: RP, index: II, y: YY, weight: WW, nClasses: C, buckets: B, l2: knobs.l2, epochs: knobs.epochs, lr: knobs.lr, seed });
      lt = linearLogits(lm, RT);
      let okT = 0;
      test.forEach((d, i) => { if ((lt[i * 2 + 1] > lt[i * 2] ? 1 : 0) === d.y) okT++; });
      const lp = linearLogits(lm, RP);
      let okP = 0;
      const ni: number[] = [...idx], ny: number[] = idx.map((i) => pool[i].y), nw: number[] = idx.map(() => 1);
      for (let i = 0; i < n; i++) {
        const c = lp[i * 2 + 1] > lp[i * 2] ? 1 : 0;
        if (c === pool[i].y) okP++;
        if (isSeed.has(i)) continue;
        ni.push(i); ny.push(c); nw.push(knobs.pw ?? 1);
      }
      line += ` r${round}: pool ${(okP / n * 100).toFixed(2)} test ${(okT / test.length * 100).toFixed(2)}`;
      II = Int32Array.from(ni); YY = Int32Array.from(ny); WW = Float32Array.from(nw);
    }
    let ok = 0;
    const err = new Map<string, number>();
    test.forEach((d, i) => { const p = lt[i * 2 + 1] > lt[i * 2] ? 1 : 0; if (p === d.y) ok++; else err.set(d.g, (err.get(d.g) ?? 0) + 1); });
    accs.push(ok / test.length);
    console.log(`seed ${seed}: pool spread ${(okPool / n * 100).toFixed(2)}% →${line} (${(Date.now() - t0) / 1000}s) errors ${[...err].map(([g, e]) => `${g}:${e}`).join(' ')}`);
    continue;
  }
  const m = fitNbEm({ docs: P, nClasses: C, buckets: B, labelled: { index: Int32Array.from(ii), y: Int32Array.from(yy), weight: Float32Array.from(ww) }, iters: knobs.iters ?? 0, lambda: knobs.lambda, docLength: knobs.docLength ?? 0, alpha: knobs.nbAlpha });
  let mm = m;
  let roundsLine = '';
  for (let r = 0; r < (knobs.nbRounds ?? 0); r++) {
    const lp = nbLogJoint(mm, P, knobs.docLength ?? 0);
    const ni: number[] = [...idx], ny: number[] = idx.map((i) => pool[i].y), nw: number[] = idx.map(() => 1);
    let okP = 0;
    for (let i = 0; i < n; i++) {
      if (isSeed.has(i)) continue;
      const c = lp[i * 2 + 1] > lp[i * 2] ? 1 : 0;
      if (c === pool[i].y) okP++;
      ni.push(i); ny.push(c); nw.push(knobs.pw ?? 1);
    }
    mm = fitNbEm({ docs: P, nClasses: C, buckets: B, labelled: { index: Int32Array.from(ni), y: Int32Array.from(ny), weight: Float32Array.from(nw) }, iters: 0, docLength: knobs.docLength ?? 0, alpha: knobs.nbAlpha });
    roundsLine += ` nb${r}: pool ${(okP / (n - idx.length) * 100).toFixed(2)}`;
  }
  if (roundsLine) console.log(roundsLine);
  const lj = nbLogJoint(mm, T, knobs.docLength ?? 0);
  let ok = 0;
  const err = new Map<string, number>();
  test.forEach((d, i) => { const p = lj[i * 2 + 1] > lj[i * 2] ? 1 : 0; if (p === d.y) ok++; else err.set(d.g, (err.get(d.g) ?? 0) + 1); });
  accs.push(ok / test.length);
  console.log(`seed ${seed}: pool spread ${(okPool / n * 100).toFixed(2)}% kept ${(okK / keep.length * 100).toFixed(2)}% → test NB ${(ok / test.length * 100).toFixed(2)}% (${(Date.now() - t0) / 1000}s) errors ${[...err].map(([g, e]) => `${g}:${e}`).join(' ')}`);
}
accs.sort();
console.log(`median ${(accs[accs.length >> 1] * 100).toFixed(2)}%`);
