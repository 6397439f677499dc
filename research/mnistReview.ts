/**
 * Tuning: the review loop on cached MNIST embeddings — 10 seeds per class, then rounds in which a simulated person
 * labels the `uncertain` least confident items; after each round the dataset label accuracy (human labels +
 * predictions for everything else) over the 60,000 pool, and seconds per stage.
 * Usage: node --import tsx scripts/experiments/mnistReview.ts <ckptDir> [json knobs]
 *   knobs: {rounds, uncertain, method: 'semi'|'linear', keep, seed, folds}
 */
import * as path from 'node:path';
import { useBackend } from './backend';
import { loadMnist, pickPerClass } from './data';
import { embedCached, graphCached } from './cache';
import { fitClassifier, predict } from '../src/core/train/classifier';
import { fitSemiSupervised } from '../src/core/train/semi';

(async () => {
  await useBackend('wasm');
  const dir = process.argv[2];
  const k = JSON.parse(process.argv[3] ?? '{}');
  const tr = loadMnist('train');
  const A = await embedCached(dir, 'train', tr);
  const graph = await graphCached(path.join(dir, 'graph-1-20.bin'), A.e, tr.n, A.dim, 20);
  const all = Int32Array.from({ length: tr.n }, (_, i) => i);
  const human = new Map<number, number>();
  for (const i of pickPerClass(tr.labels, all, 10, 10, k.seed ?? 1)) human.set(i, tr.labels[i]);
  for (let r = 1; r <= (k.rounds ?? 4); r++) {
    const idx = Int32Array.from(human.keys());
    const train = { index: idx, y: Int32Array.from(idx, (i) => human.get(i)!), weight: new Float32Array(idx.length).fill(1) };
    const t0 = Date.now();
    const common = { X: A.e, n: tr.n, dim: A.dim, train, nClasses: 10, seed: r, folds: k.folds };
    const st = k.method === 'linear' ? await fitClassifier(common) : await fitSemiSupervised({ ...common, graph, keep: k.keep ?? 1 });
    const fitS = (Date.now() - t0) / 1000;
    const p = predict(st, A.e, tr.n, A.dim);
    let ok = 0;
    const cand: { i: number; c: number }[] = [];
    for (let i = 0; i < tr.n; i++) {
      const h = human.get(i);
      if (h !== undefined) {
        if (h === tr.labels[i]) ok++;
        continue;
      }
      if (p.labels[i] === tr.labels[i]) ok++;
      cand.push({ i, c: p.confidence[i] });
    }
    cand.sort((a, b) => a.c - b.c);
    const U = k.uncertain ?? 450;
    let wrongInPicked = 0;
    for (const { i } of cand.slice(0, U)) {
      if (p.labels[i] !== tr.labels[i]) wrongInPicked++;
    }
    const errs = cand.filter(({ i }) => p.labels[i] !== tr.labels[i]).length;
    console.log(
      `round ${r}: human ${human.size}, dataset acc ${((ok / tr.n) * 100).toFixed(2)}%, est ${st.estimatedAccuracy?.toFixed(3)}, T ${st.temperature.toFixed(2)}, fit ${fitS.toFixed(0)} s, errors ${errs}, of them in next ${U} picks ${wrongInPicked}`,
    );
    for (const { i } of cand.slice(0, U)) human.set(i, tr.labels[i]);
  }
})();
