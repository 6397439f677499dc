/**
 * Tuning: pretrain one image pretext task on the 60,000 MNIST training digits, embed train + test, and report
 * speed and embedding quality (kNN accuracy with all labels, kNN with 10 labels per class).
 * Usage: node --import tsx scripts/experiments/mnistSsl.ts <simclr|rotation> <epochs> [json knobs] [backend]
 */
import * as os from 'node:os';
import * as path from 'node:path';
import * as fs from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { useBackend } from './backend';
import { loadMnist, pickPerClass } from './data';
import { knnAccuracy } from './knn';
import { pretrainImageEncoder, embedImages } from '../../src/core/ssl/imagePretrain';

(async () => {
  const task = (process.argv[2] ?? 'simclr') as 'simclr' | 'rotation';
  const epochs = Number(process.argv[3] ?? 1);
  const knobs = JSON.parse(process.argv[4] ?? '{}');
  await useBackend(process.argv[5] ?? 'wasm');
  const tr = loadMnist('train');
  const te = loadMnist('t10k');
  const dir = knobs.dir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'mnist-ssl-'));
  delete knobs.dir;
  let last = 0;
  const r = await pretrainImageEncoder({
    pixels: tr.pixels, n: tr.n, size: 28, channels: 1, task, epochs, checkpointDir: dir, resume: true, ...knobs,
    onProgress: (p) => { if (Date.now() - last > 15000) { last = Date.now(); console.log(`  ${p.message} ${p.done}/${p.total} loss ${p.loss?.toFixed(3)} eta ${p.etaSeconds?.toFixed(0)}s`); } },
  });
  console.log('pretrain', JSON.stringify(r));
  const t0 = Date.now();
  const a = await embedImages({ checkpointDir: dir, pixels: tr.pixels, n: tr.n, size: 28, channels: 1 });
  const b = await embedImages({ checkpointDir: dir, pixels: te.pixels, n: te.n, size: 28, channels: 1 });
  console.log(`embed 70k: ${((Date.now() - t0) / 1000).toFixed(1)}s dim ${a.dim}`);
  const full = await knnAccuracy(b.embeddings, te.labels, a.embeddings, tr.labels, a.dim, 10, 10);
  const few: number[] = [];
  for (const seed of [1, 2, 3]) {
    const idx = pickPerClass(tr.labels, Int32Array.from({ length: tr.n }, (_, i) => i), 10, 10, seed);
    const X = new Float32Array(idx.length * a.dim);
    idx.forEach((i, k) => X.set(a.embeddings.subarray(i * a.dim, (i + 1) * a.dim), k * a.dim));
    few.push(await knnAccuracy(b.embeddings, te.labels, X, Int32Array.from(idx, (i) => tr.labels[i]), a.dim, 5, 10));
  }
  console.log(`kNN10 full labels: ${(full * 100).toFixed(2)}%  kNN5 with 10/class: ${few.map((x) => (x * 100).toFixed(1)).join(', ')}  dir ${dir} tensors ${tf.memory().numTensors}`);
})();
