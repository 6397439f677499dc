/**
 * Tuning: semi-supervised MNIST from pretrained encoders. Embeds train + test with each checkpoint given
 * (cached as emb-*.bin inside the checkpoint folder), concatenates them, picks 10 labels per class, and compares
 * classifiers: logistic regression on the 100 labels, label spreading on the 60,000 pool (+ a classifier trained on
 * the spread labels), reporting test accuracy, calibration and time.
 * Usage: node --import tsx scripts/experiments/mnistSemi.ts <ckptDir>[,<ckptDir>...] [json knobs]
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { useBackend } from './backend';
import { loadMnist, pickPerClass, median, concat } from './data';
import { embedCached } from './cache';
import { fitClassifier, predict } from '../../src/core/train/classifier';
import { buildKnnGraph, spreadLabels, type KnnGraph } from '../../src/core/train/graph';
import { argmaxRows } from '../../src/core/train/classifier';

function acc(labels: Int32Array, truth: Int32Array, rows?: Int32Array): number {
  let ok = 0;
  const m = rows ? rows.length : labels.length;
  for (let k = 0; k < m; k++) {
    const i = rows ? rows[k] : k;
    if (labels[i] === truth[i]) ok++;
  }
  return ok / m;
}

(async () => {
  await useBackend('wasm');
  const dirs = (process.argv[2] ?? '').split(',');
  const knobs = JSON.parse(process.argv[3] ?? '{}');
  const tr = loadMnist('train');
  const te = loadMnist('t10k');
  const A = concat(await Promise.all(dirs.map((d) => embedCached(d, 'train', tr))), tr.n, knobs.weights);
  const B = concat(await Promise.all(dirs.map((d) => embedCached(d, 't10k', te))), te.n, knobs.weights);
  const dim = A.dim;
  const all = Int32Array.from({ length: tr.n }, (_, i) => i);
  // Graph once (cached on disk next to the first checkpoint).
  const k = knobs.k ?? 20;
  const gf = path.join(dirs[0], `graph-${dirs.length}-${k}.bin`);
  let graph: KnnGraph;
  const t0 = Date.now();
  if (fs.existsSync(gf)) {
    const b = fs.readFileSync(gf);
    const idx = new Int32Array(b.buffer.slice(b.byteOffset, b.byteOffset + tr.n * k * 4));
    const sim = new Float32Array(b.buffer.slice(b.byteOffset + tr.n * k * 4, b.byteOffset + tr.n * k * 8));
    graph = { n: tr.n, k, idx, sim };
  } else {
    graph = await buildKnnGraph({ X: A.X, n: tr.n, dim, k });
    fs.writeFileSync(gf, Buffer.concat([Buffer.from(graph.idx.buffer), Buffer.from(graph.sim.buffer)]));
  }
  console.log(`graph ${((Date.now() - t0) / 1000).toFixed(1)}s`);
  const res: Record<string, number[]> = {};
  const put = (k: string, v: number) => (res[k] ??= []).push(v);
  for (const seed of knobs.seeds ?? [1, 2, 3]) {
    const lab = pickPerClass(tr.labels, all, 10, 10, seed);
    const y = Int32Array.from(lab, (i) => tr.labels[i]);
    const w = new Float32Array(lab.length).fill(1);
    let t = Date.now();
    if (!knobs.noLogreg) {
    const st = await fitClassifier({ X: A.X, n: tr.n, dim, train: { index: lab, y, weight: w }, nClasses: 10, seed, hidden: knobs.hidden, l2: knobs.l2 });
    const p = predict(st, B.X, te.n, dim);
    put('logreg test', acc(p.labels, te.labels));
    put('logreg est', st.estimatedAccuracy ?? NaN);
    put('logreg T', st.temperature);
    put('logreg s', (Date.now() - t) / 1000);
    }
    t = Date.now();
    const { F, mass } = spreadLabels({ graph, nClasses: 10, seeds: { index: lab, y, weight: w }, alpha: knobs.alpha, gamma: knobs.gamma, k: knobs.kUse });
    const sp = argmaxRows(F, tr.n, 10);
    put('spread pool', acc(sp.labels, tr.labels));
    put('spread s', (Date.now() - t) / 1000);
    let zero = 0;
    for (let i = 0; i < tr.n; i++) if (mass[i] === 0) zero++;
    put('unreached', zero);
  }
  for (const [k2, v] of Object.entries(res)) console.log(`${k2.padEnd(14)} median ${median(v).toFixed(4)}  [${v.map((x) => x.toFixed(4)).join(', ')}]`);
})();
