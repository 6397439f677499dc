/**
 * Tuning: the whole MNIST pipeline with its wall time, as the orchestrator would run it on two cores:
 *   1. pretrain SimCLR and rotation in parallel (two processes, one per core), each within `pretrainSeconds`,
 *      and embed the 60,000 pool + 10,000 test digits with each encoder;
 *   2. 10 human labels per class; fitSemiSupervised on the concatenated embeddings (kNN graph + spreading);
 *   3. noisy student: trainImageStudent from the SimCLR weights on the human labels + the `keep` most confident
 *      predictions, `studentEpochs` epochs;
 *   4. embed with the student; fit the calibrated classifier on its features; report test accuracy and calibration.
 * Usage: node --import tsx scripts/experiments/mnistPipeline.ts '<json knobs>'
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawn } from 'node:child_process';
import { useBackend } from './backend';
import { loadMnist, pickPerClass, concat } from './data';
import { embedCached } from './cache';
import { fitClassifier, predict } from '../../src/core/train/classifier';
import { fitSemiSupervised } from '../../src/core/train/semi';
import { trainImageStudent } from '../../src/core/train/student';
import { expectedCalibrationError } from '../../src/core/train/calibration';
import { studentTestAccuracy } from './studentEval';

function runChild(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ['--import', 'tsx', path.join(__dirname, 'pretrainWorker.ts'), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (b) => (out += b));
    p.stderr.on('data', () => undefined);
    p.on('exit', (code) => (code === 0 ? resolve(out.trim().split('\n').pop() ?? '') : reject(new Error(`child exited ${code}: ${out.slice(-500)}`))));
  });
}

(async () => {
  const knobs = JSON.parse(process.argv[2] ?? '{}');
  const seed = knobs.seed ?? 1;
  const root = knobs.dir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'mnist-pipe-'));
  const T0 = Date.now();
  const lap = (what: string) => console.log(`[${((Date.now() - T0) / 1000).toFixed(0)} s] ${what}`);
  const load0 = os.loadavg()[0];
  const tasks: string[] = knobs.tasks ?? ['simclr', 'rotation'];
  const results = await Promise.all(
    tasks.map((t, i) => runChild([t, path.join(root, t), String(knobs.pretrainSeconds ?? 480), String(knobs.epochs ?? 30), JSON.stringify({ seed: seed + i, ...(knobs[t] ?? {}) })])),
  );
  lap(`pretrained + embedded: ${results.join(' | ')}`);
  await useBackend('wasm');
  const tr = loadMnist('train');
  const te = loadMnist('t10k');
  const A = concat(await Promise.all(tasks.map((t) => embedCached(path.join(root, t), 'train', tr))), tr.n);
  const B = concat(await Promise.all(tasks.map((t) => embedCached(path.join(root, t), 't10k', te))), te.n);
  const lab = pickPerClass(tr.labels, Int32Array.from({ length: tr.n }, (_, i) => i), 10, 10, seed);
  const human = { index: lab, y: Int32Array.from(lab, (i) => tr.labels[i]), weight: new Float32Array(lab.length).fill(1) };
  const acc = (labels: Int32Array) => labels.reduce((s, l, i) => s + (l === te.labels[i] ? 1 : 0), 0) / te.n;
  const st1 = await fitSemiSupervised({ X: A.X, n: tr.n, dim: A.dim, train: human, nClasses: 10, seed });
  const p1 = predict(st1, B.X, te.n, B.dim);
  lap(`stage 1 (SSL embeddings, spreading): test ${(acc(p1.labels) * 100).toFixed(2)}%, estimated ${st1.estimatedAccuracy}, T ${st1.temperature.toFixed(2)}`);
  // Pseudo-labels for the student.
  const pool = predict(st1, A.X, tr.n, A.dim);
  const isHuman = new Set(lab);
  const order = [...Array(tr.n).keys()].filter((i) => !isHuman.has(i)).sort((a, b) => pool.confidence[b] - pool.confidence[a]);
  const kept = order.slice(0, Math.round((knobs.keep ?? 0.8) * order.length));
  const keptAcc = kept.reduce((s, i) => s + (pool.labels[i] === tr.labels[i] ? 1 : 0), 0) / kept.length;
  const idx = Int32Array.from([...lab, ...kept]);
  const y = Int32Array.from(idx, (i, j) => (j < lab.length ? tr.labels[i] : pool.labels[i]));
  const w = Float32Array.from(idx, (_, j) => (j < lab.length ? 1 : 1));
  const sdir = path.join(root, 'student');
  const rs = await trainImageStudent({ pixels: tr.pixels, n: tr.n, size: 28, channels: 1, train: { index: idx, y, weight: w }, nClasses: 10, epochs: knobs.studentEpochs ?? 2, checkpointDir: sdir, initFrom: path.join(root, 'simclr'), seed });
  lap(`student: ${kept.length} pseudo-labels at ${(keptAcc * 100).toFixed(2)}%, ${rs.seconds.toFixed(0)} s, head test ${(await studentTestAccuracy(sdir, te.pixels, te.labels, te.n) * 100).toFixed(2)}%`);
  const SA = await embedCached(sdir, 'train', tr);
  const SB = await embedCached(sdir, 't10k', te);
  lap('student embedded');
  const st2 = await fitClassifier({ X: SA.e, n: tr.n, dim: SA.dim, train: human, nClasses: 10, seed });
  const p2 = predict(st2, SB.e, te.n, SB.dim);
  lap(`stage 2a (student features, human labels only): test ${(acc(p2.labels) * 100).toFixed(2)}%, estimated ${st2.estimatedAccuracy}, ECE ${expectedCalibrationError(p2.probs, te.labels, 10).toFixed(4)}`);
  if (knobs.semi2 !== false) {
    const st3 = await fitSemiSupervised({ X: SA.e, n: tr.n, dim: SA.dim, train: human, nClasses: 10, seed });
    const p3 = predict(st3, SB.e, te.n, SB.dim);
    lap(`stage 2b (student features, spreading): test ${(acc(p3.labels) * 100).toFixed(2)}%, estimated ${st3.estimatedAccuracy}, ECE ${expectedCalibrationError(p3.probs, te.labels, 10).toFixed(4)}`);
  }
  console.log(`total ${((Date.now() - T0) / 1000).toFixed(0)} s; load average ${load0.toFixed(1)} → ${os.loadavg()[0].toFixed(1)}; dir ${root}`);
})();
