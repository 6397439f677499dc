/**
 * Tuning helper, run as a child process by mnistPipeline.ts: pretrains one image pretext task on the MNIST
 * training digits into a checkpoint folder, then embeds train and test (cached as emb-train.bin / emb-t10k.bin).
 * Prints one JSON line with the pretraining result and the CPU seconds used.
 * Usage: node --import tsx scripts/experiments/pretrainWorker.ts <task> <dir> <maxSeconds> <epochs> [json knobs]
 */
import { useBackend } from './backend';
import { loadMnist } from './data';
import { embedCached } from './cache';
import { pretrainImageEncoder } from '../../src/core/ssl/imagePretrain';

(async () => {
  const [task, dir, maxSeconds, epochs] = process.argv.slice(2);
  const knobs = JSON.parse(process.argv[6] ?? '{}');
  await useBackend('wasm');
  const tr = loadMnist('train');
  const te = loadMnist('t10k');
  const c0 = process.cpuUsage();
  const r = await pretrainImageEncoder({ pixels: tr.pixels, n: tr.n, size: 28, channels: 1, task: task as 'simclr' | 'rotation', epochs: Number(epochs), maxSeconds: Number(maxSeconds), checkpointDir: dir, resume: true, ...knobs });
  const c1 = process.cpuUsage(c0);
  const t1 = Date.now();
  await embedCached(dir, 'train', tr);
  await embedCached(dir, 't10k', te);
  console.log(JSON.stringify({ ...r, cpuSeconds: (c1.user + c1.system) / 1e6, embedSeconds: (Date.now() - t1) / 1000 }));
})();
