/**
 * Tuning: the noisy student after a simulated review run (mnistReviewReal.ts `dump`): trains the student CNN
 * (initialised from the workspace's SimCLR encoder) on the human labels + the most confident predicted labels of the
 * rest, then scores the pool: the student alone, and the student's probabilities averaged with the teacher's.
 * Usage: node --import tsx scripts/experiments/mnistStudentReal.ts <workspace> <truth.csv> <dump> [json knobs]
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { useBackend } from './backend';
import { trainImageStudent } from '../src/core/modalities/image/student';
import { loadModel } from '../src/core/models/checkpoint';
import { pixelsToFloat } from '../src/core/modalities/image/augment';

(async () => {
  await useBackend('wasm');
  const [ws, truthFile, dump] = process.argv.slice(2);
  const k = JSON.parse(process.argv[5] ?? '{}');
  const sl = path.join(ws, '.selflabel');
  const items: { id: string }[] = JSON.parse(fs.readFileSync(path.join(sl, 'cache', 'items.json'), 'utf8')).items;
  const n = items.length;
  const C = 10;
  const truthMap = new Map(
    fs
      .readFileSync(truthFile, 'utf8')
      .trim()
      .split('\n')
      .slice(1)
      .map((l) => l.split(',') as [string, string]),
  );
  const truth = Int32Array.from(items, (it) => Number(truthMap.get(it.id)));
  const pb = fs.readFileSync(path.join(sl, 'cache', 'pixels-28x28x1.bin'));
  const pixels = new Uint8Array(pb.buffer, pb.byteOffset, pb.byteLength);
  const d = JSON.parse(fs.readFileSync(`${dump}.json`, 'utf8'));
  const human = new Map<number, number>(d.human);
  const qb = fs.readFileSync(`${dump}.bin`);
  const teacher = new Float32Array(qb.buffer.slice(qb.byteOffset, qb.byteOffset + qb.byteLength));
  const cand: { i: number; c: number; p: number }[] = [];
  for (let i = 0; i < n; i++) {
    if (human.has(i)) continue;
    let b = 0;
    for (let c = 1; c < C; c++) if (teacher[i * C + c] > teacher[i * C + b]) b = c;
    cand.push({ i, c: b, p: teacher[i * C + b] });
  }
  cand.sort((a, b) => b.p - a.p);
  const keep = cand.slice(0, Math.round((k.keep ?? 0.9) * cand.length));
  const okKept = keep.filter((q) => q.c === truth[q.i]).length;
  console.log(`teacher pool acc ${(d.acc * 100).toFixed(2)}%, pseudo kept ${keep.length} at ${((okKept / keep.length) * 100).toFixed(2)}%`);
  const hw = k.humanWeight ?? 1;
  const idx = Int32Array.from([...human.keys(), ...keep.map((q) => q.i)]);
  const y = Int32Array.from([...human.values(), ...keep.map((q) => q.c)]);
  const w = Float32Array.from([...Array(human.size).fill(hw), ...keep.map(() => k.pseudoWeight ?? 1)]);
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'student-'));
  const r = await trainImageStudent({
    pixels,
    n,
    size: 28,
    channels: 1,
    train: { index: idx, y, weight: w },
    nClasses: C,
    epochs: k.epochs ?? 2,
    checkpointDir: out,
    initFrom: k.scratch ? undefined : path.join(sl, 'models', 'simclr'),
    learningRate: k.lr,
    seed: 1,
    batchSize: k.batch,
  });
  console.log('student', JSON.stringify(r));
  const enc = await loadModel(out, 'model');
  const head = await loadModel(out, 'student_head');
  const probs = new Float32Array(n * C);
  for (let s = 0; s < n; s += 1000) {
    const b = Math.min(1000, n - s);
    const x = tf.tensor4d(pixelsToFloat(pixels, s, b, 784), [b, 28, 28, 1]);
    const pr = tf.tidy(() => tf.softmax(head.predict(enc.predict(x) as tf.Tensor) as tf.Tensor));
    probs.set(await pr.data(), s * C);
    x.dispose();
    pr.dispose();
  }
  const score = (P: Float32Array) => {
    let ok = 0;
    for (let i = 0; i < n; i++) {
      const h = human.get(i);
      if (h !== undefined) {
        ok += h === truth[i] ? 1 : 0;
        continue;
      }
      let b = 0;
      for (let c = 1; c < C; c++) if (P[i * C + c] > P[i * C + b]) b = c;
      if (b === truth[i]) ok++;
    }
    return ((ok / n) * 100).toFixed(2);
  };
  const avg = Float32Array.from(probs, (v, j) => (v + teacher[j]) / 2);
  console.log(`pool acc: student ${score(probs)}%, student+teacher ${score(avg)}%, teacher ${score(teacher)}%`);
  fs.writeFileSync(`${dump}-student.bin`, Buffer.from(probs.buffer));
})();
