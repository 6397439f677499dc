/**
 * Tuning: the noisy-student step on MNIST. Spread 10 labels per class over the kNN graph of the SSL embeddings
 * (cached by mnistSemi.ts), keep the most confident fraction of the pool as pseudo-labels, train the student CNN
 * on them, and report the student's test accuracy (its own head) and pseudo-label quality.
 * Usage: node --import tsx scripts/experiments/mnistStudent.ts <ckptDir> [json knobs]
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { useBackend } from './backend';
import { loadMnist, pickPerClass } from './data';
import { spreadLabels } from '../../src/core/train/graph';
import { argmaxRows } from '../../src/core/train/classifier';
import { trainImageStudent } from '../../src/core/train/student';
import { studentTestAccuracy } from './studentEval';

(async () => {
  await useBackend('wasm');
  const dir = process.argv[2];
  const knobs = JSON.parse(process.argv[3] ?? '{}');
  const tr = loadMnist('train');
  const te = loadMnist('t10k');
  const k = 20;
  const b = fs.readFileSync(path.join(dir, `graph-1-${k}.bin`));
  const graph = { n: tr.n, k, idx: new Int32Array(b.buffer.slice(b.byteOffset, b.byteOffset + tr.n * k * 4)), sim: new Float32Array(b.buffer.slice(b.byteOffset + tr.n * k * 4, b.byteOffset + tr.n * k * 8)) };
  const seed = knobs.seed ?? 1;
  const all = Int32Array.from({ length: tr.n }, (_, i) => i);
  const lab = pickPerClass(tr.labels, all, 10, 10, seed);
  const y = Int32Array.from(lab, (i) => tr.labels[i]);
  const { F } = spreadLabels({ graph, nClasses: 10, seeds: { index: lab, y, weight: new Float32Array(lab.length).fill(1) } });
  const sp = argmaxRows(F, tr.n, 10);
  const frac = knobs.keep ?? 0.9;
  const order = Array.from(all).sort((a, c) => sp.confidence[c] - sp.confidence[a]);
  const keep = order.slice(0, Math.round(frac * tr.n));
  let ok = 0;
  for (const i of keep) if (sp.labels[i] === tr.labels[i]) ok++;
  console.log(`pseudo: kept ${keep.length}, accuracy of kept ${(ok / keep.length * 100).toFixed(2)}%`);
  const human = new Set(lab);
  const idx = Int32Array.from([...lab, ...keep.filter((i) => !human.has(i))]);
  const yy = Int32Array.from(idx, (i, j) => (j < lab.length ? y[j] : sp.labels[i]));
  const ww = Float32Array.from(idx, (i, j) => (j < lab.length ? knobs.humanWeight ?? 1 : knobs.weighted ? sp.confidence[i] : 1));
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'student-'));
  const r = await trainImageStudent({
    pixels: tr.pixels, n: tr.n, size: 28, channels: 1, train: { index: idx, y: yy, weight: ww }, nClasses: 10,
    epochs: knobs.epochs ?? 2, checkpointDir: out, initFrom: knobs.scratch ? undefined : dir, encoder: knobs.encoder, learningRate: knobs.lr, seed,
  });
  console.log('student', JSON.stringify(r));
  console.log(`student test accuracy ${(await studentTestAccuracy(out, te.pixels, te.labels, te.n) * 100).toFixed(2)}%  (dir ${out})`);
})();
