/**
 * Tuning: the classifier stage on MNIST embeddings (cached per checkpoint): fitClassifier vs fitSemiSupervised
 * with 10 labels per class — test accuracy, out-of-fold estimate, temperature, test ECE and mean confidence.
 * Usage: node --import tsx scripts/experiments/mnistFit.ts <ckptDir>[,<ckptDir>...] [json knobs]
 */
import * as path from 'node:path';
import { useBackend } from './backend';
import { loadMnist, pickPerClass, median, concat } from './data';
import { embedCached, graphCached } from './cache';
import { fitClassifier, predict } from '../src/core/train/classifier';
import { fitSemiSupervised } from '../src/core/train/semi';
import { expectedCalibrationError } from '../src/core/train/calibration';

(async () => {
  await useBackend('wasm');
  const dirs = process.argv[2].split(',');
  const knobs = JSON.parse(process.argv[3] ?? '{}');
  const tr = loadMnist('train');
  const te = loadMnist('t10k');
  const A = concat(await Promise.all(dirs.map((d) => embedCached(d, 'train', tr))), tr.n);
  const B = concat(await Promise.all(dirs.map((d) => embedCached(d, 't10k', te))), te.n);
  const graph = await graphCached(path.join(dirs[0], `graph-${dirs.length}-20.bin`), A.X, tr.n, A.dim, 20);
  const res: Record<string, number[]> = {};
  const put = (k: string, v: number) => (res[k] ??= []).push(v);
  const all = Int32Array.from({ length: tr.n }, (_, i) => i);
  for (const seed of knobs.seeds ?? [1, 2, 3]) {
    const lab = pickPerClass(tr.labels, all, 10, 10, seed);
    const train = { index: lab, y: Int32Array.from(lab, (i) => tr.labels[i]), weight: new Float32Array(lab.length).fill(1) };
    for (const method of knobs.methods ?? ['semi']) {
      const t0 = Date.now();
      const common = { X: A.X, n: tr.n, dim: A.dim, train, nClasses: 10, seed, hidden: knobs.hidden, l2: knobs.l2 };
      const st =
        method === 'semi'
          ? await fitSemiSupervised({ ...common, graph, keep: knobs.keep, pseudoWeight: knobs.pw, epochs: knobs.epochs })
          : await fitClassifier(common);
      const sec = (Date.now() - t0) / 1000;
      const p = predict(st, B.X, te.n, B.dim);
      let ok = 0;
      let conf = 0;
      for (let i = 0; i < te.n; i++) {
        if (p.labels[i] === te.labels[i]) ok++;
        conf += p.confidence[i];
      }
      put(`${method} test acc`, ok / te.n);
      put(`${method} est acc`, st.estimatedAccuracy ?? NaN);
      put(`${method} mean conf`, conf / te.n);
      put(`${method} test ECE`, expectedCalibrationError(p.probs, te.labels, 10));
      put(`${method} T`, st.temperature);
      put(`${method} sec`, sec);
    }
  }
  for (const [k2, v] of Object.entries(res))
    console.log(`${k2.padEnd(18)} median ${median(v).toFixed(4)}  [${v.map((x) => x.toFixed(4)).join(', ')}]`);
})();
