/**
 * Tuning: curriculum self-training (class-balanced percentiles of the per-class margins) with NB or LR on the
 * sparse text features, bench split. Usage: node --import tsx scripts/experiments/spamCurric.ts '{...}'
 */
import { textFeatures } from '../../src/core/text/features';
import { fitNbEm, nbLogJoint } from '../../src/core/text/nbem';
import { loadSpamEmails, spamSeeds } from './data';

const knobs = JSON.parse(process.argv[2] ?? '{}');
const { pool, test } = loadSpamEmails();
const fo = { buckets: knobs.buckets ?? 1 << 18, bigrams: knobs.bigrams ?? true, fields: knobs.fields ?? true };
const P = pool.map((d) => textFeatures(d.text, fo));
const T = test.map((d) => textFeatures(d.text, fo));
const n = P.length;
const C = 2;
const steps: number[] = knobs.steps ?? [0.1, 0.2, 0.4, 0.6, 0.8, 1.0];
const accs: number[] = [];
const evalTest = (lj: Float64Array) => {
  let ok = 0;
  const err = new Map<string, number>();
  test.forEach((d, i) => {
    const p = lj[i * 2 + 1] > lj[i * 2] ? 1 : 0;
    if (p === d.y) ok++;
    else err.set(d.g, (err.get(d.g) ?? 0) + 1);
  });
  return { acc: ok / test.length, err: [...err].map(([g, e]) => `${g}:${e}`).join(' ') };
};
for (const seed of knobs.seeds ?? [1, 2, 3]) {
  const idx = spamSeeds(pool, knobs.k ?? 10, seed);
  const labIdx = Int32Array.from(idx);
  const labY = Int32Array.from(idx, (i) => pool[i].y);
  const isLab = new Set(idx);
  const fit = (index: Int32Array, y: Int32Array, weight?: Float32Array) =>
    fitNbEm({ docs: P, nClasses: C, buckets: fo.buckets, labelled: { index, y, weight }, iters: 0, docLength: knobs.docLength ?? 0, alpha: knobs.alpha });
  let m = fit(labIdx, labY);
  let line = '';
  for (const q of steps) {
    const lj = nbLogJoint(m, P, knobs.docLength ?? 0);
    // per-class margins of unlabelled items
    const byClass: { i: number; m: number }[][] = [[], []];
    for (let i = 0; i < n; i++) {
      if (isLab.has(i)) continue;
      const c = lj[i * 2 + 1] > lj[i * 2] ? 1 : 0;
      byClass[c].push({ i, m: Math.abs(lj[i * 2 + 1] - lj[i * 2]) / (knobs.normMargin ? P[i].ids.length : 1) });
    }
    const ii = [...idx];
    const yy = [...labY];
    const ww: number[] = idx.map(() => 1);
    let ok = 0, tot = 0;
    for (let c = 0; c < C; c++) {
      byClass[c].sort((a, b) => b.m - a.m);
      const take = Math.round(q * byClass[c].length);
      for (const e of byClass[c].slice(0, take)) {
        ii.push(e.i);
        yy.push(c);
        ww.push(knobs.pw ?? 1);
        tot++;
        if (pool[e.i].y === c) ok++;
      }
    }
    m = fit(Int32Array.from(ii), Int32Array.from(yy), Float32Array.from(ww));
    line += ` q${q}:${(ok / Math.max(1, tot) * 100).toFixed(1)}/${(evalTest(nbLogJoint(m, T, knobs.docLength ?? 0)).acc * 100).toFixed(1)}`;
  }
  const r = evalTest(nbLogJoint(m, T, knobs.docLength ?? 0));
  accs.push(r.acc);
  console.log(`seed ${seed}: ${(r.acc * 100).toFixed(2)}% errors ${r.err} |${line}`);
}
accs.sort();
console.log(`median ${(accs[accs.length >> 1] * 100).toFixed(2)}%`);
