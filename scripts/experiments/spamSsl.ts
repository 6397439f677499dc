/**
 * Tuning: text pretext tasks on SpamAssassin (80% pool / 20% held-out test, seeded split). Pretrains on the pool's
 * texts, embeds pool + test, then with 10 labels per class compares logistic regression and label spreading, and
 * reports kNN accuracy with all pool labels (embedding quality).
 * Usage: node --import tsx scripts/experiments/spamSsl.ts <masked|contrastive>[,<task2>] <epochs> [json knobs]
 */
import * as os from 'node:os';
import * as path from 'node:path';
import * as fs from 'node:fs';
import { useBackend } from './backend';
import { loadSpam, pickPerClass, median, concat } from './data';
import { knnAccuracy } from './knn';
import { pretrainTextEncoder, embedTexts } from '../../src/core/ssl/textPretrain';
import { fitClassifier, predict, argmaxRows } from '../../src/core/train/classifier';
import { buildKnnGraph, spreadLabels } from '../../src/core/train/graph';

(async () => {
  const tasks = (process.argv[2] ?? 'masked').split(',') as ('masked' | 'contrastive')[];
  const epochs = Number(process.argv[3] ?? 5);
  const knobs = JSON.parse(process.argv[4] ?? '{}');
  await useBackend('wasm');
  const d = loadSpam();
  const poolTexts = Array.from(d.trainIdx, (i) => d.texts[i]);
  const testTexts = Array.from(d.testIdx, (i) => d.texts[i]);
  const yPool = Int32Array.from(d.trainIdx, (i) => d.labels[i]);
  const yTest = Int32Array.from(d.testIdx, (i) => d.labels[i]);
  const partsPool = [];
  const partsTest = [];
  for (const task of tasks) {
    const dir = knobs.dir ? `${knobs.dir}-${task}` : fs.mkdtempSync(path.join(os.tmpdir(), `spam-${task}-`));
    const c0 = process.cpuUsage();
    const r = await pretrainTextEncoder({ texts: poolTexts, task, epochs, checkpointDir: dir, resume: true, ...(knobs[task] ?? {}) });
    const cpu = process.cpuUsage(c0);
    console.log(task, JSON.stringify(r), `cpu ${((cpu.user + cpu.system) / 1e6).toFixed(1)}s`);
    const a = await embedTexts({ checkpointDir: dir, texts: poolTexts });
    const b = await embedTexts({ checkpointDir: dir, texts: testTexts });
    partsPool.push({ e: a.embeddings, dim: a.dim });
    partsTest.push({ e: b.embeddings, dim: b.dim });
    console.log(`${task}: kNN10 all pool labels ${((await knnAccuracy(b.embeddings, yTest, a.embeddings, yPool, a.dim, 10, 2)) * 100).toFixed(2)}%  dir ${dir}`);
  }
  const A = concat(partsPool, yPool.length);
  const B = concat(partsTest, yTest.length);
  const graph = await buildKnnGraph({ X: A.X, n: yPool.length, dim: A.dim, k: 20 });
  const res: Record<string, number[]> = {};
  const put = (k: string, v: number) => (res[k] ??= []).push(v);
  const all = Int32Array.from({ length: yPool.length }, (_, i) => i);
  for (const seed of [1, 2, 3, 4, 5]) {
    const lab = pickPerClass(yPool, all, 10, 2, seed);
    const y = Int32Array.from(lab, (i) => yPool[i]);
    const w = new Float32Array(lab.length).fill(1);
    const st = await fitClassifier({ X: A.X, n: yPool.length, dim: A.dim, train: { index: lab, y, weight: w }, nClasses: 2, seed });
    const p = predict(st, B.X, yTest.length, A.dim);
    let ok = 0;
    for (let i = 0; i < yTest.length; i++) if (p.labels[i] === yTest[i]) ok++;
    put('logreg test', ok / yTest.length);
    const { F } = spreadLabels({ graph, nClasses: 2, seeds: { index: lab, y, weight: w } });
    const sp = argmaxRows(F, yPool.length, 2);
    ok = 0;
    for (let i = 0; i < yPool.length; i++) if (sp.labels[i] === yPool[i]) ok++;
    put('spread pool', ok / yPool.length);
    // classifier trained on spread labels, evaluated on test
    const st2 = await fitClassifier({ X: A.X, n: yPool.length, dim: A.dim, train: { index: all, y: sp.labels, weight: sp.confidence }, nClasses: 2, seed, folds: 0 });
    const p2 = predict(st2, B.X, yTest.length, A.dim);
    ok = 0;
    for (let i = 0; i < yTest.length; i++) if (p2.labels[i] === yTest[i]) ok++;
    put('spread->clf test', ok / yTest.length);
  }
  for (const [k2, v] of Object.entries(res)) console.log(`${k2.padEnd(16)} median ${median(v).toFixed(4)}  [${v.map((x) => x.toFixed(4)).join(', ')}]`);
})();
