/**
 * The modality plugins as the loop sees them: every modality of src/protocol/modalities.ts has a host face and a worker
 * face that agree on the pretext tasks; the math of the fine-tuning student (src/core/train/selfTraining.ts) that
 * now runs in a worker; a project opened without a job runner labels but refuses to train, with a clear message.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { MODALITIES } from '../../src/protocol/modalities';
import { modalityPlugins } from '../../src/core/modalities';
import { workerSideOf } from '../../src/worker/modalities';
import { loadProductJobs } from '../../src/worker/jobs';
import { calibrateLogits, planStudent } from '../../src/core/train/selfTraining';
import { Project } from '../../src/core/project';
import { ProjectError } from '../../src/core/project/errors';
import { argmaxRow, argmaxRows, softmaxRows } from '../../src/core/util/math';
import { Rng, mulberry32 } from '../../src/core/models/random';

test('every modality has a host face and a worker face with the same pretext tasks', async () => {
  const productJobs = await loadProductJobs();
  for (const m of MODALITIES) {
    const host = modalityPlugins[m];
    const worker = (await workerSideOf(m)).face;
    assert.equal(host.name, m);
    assert.equal(worker.name, m);
    assert.ok(host.pretextTasks.length >= 1, `${m}: no pretext task`);
    assert.deepEqual([...host.pretextTasks], [...worker.pretextTasks], `${m}: host and worker disagree on the tasks`);
  }
  // The product registry serves the generic jobs and no test job.
  for (const job of ['pretrain', 'embed', 'fit', 'predict', 'graph', 'studentPlan', 'calibrateLogits'])
    assert.equal(typeof (productJobs as Record<string, unknown>)[job], 'function', job);
  for (const job of ['selfTest', 'sleep', 'crash', 'hang']) assert.equal((productJobs as Record<string, unknown>)[job], undefined, job);
});

test('planStudent holds out a stratified fifth of the human labels and adds the most confident guesses', () => {
  const C = 2;
  const n = 100;
  // 20 human labels (10 per class) on rows 0..19, the rest unlabelled with a teacher that grows more confident with i.
  const index = Int32Array.from({ length: 20 }, (_, i) => i);
  const y = Int32Array.from({ length: 20 }, (_, i) => i % 2);
  const train = { index, y, weight: new Float32Array(20).fill(1), holdout: new Uint8Array(20).fill(1) };
  const teacher = new Float32Array(n * C);
  for (let i = 0; i < n; i++) {
    const p = 0.5 + (0.5 * i) / n;
    teacher[i * C + (i % 2)] = p;
    teacher[i * C + 1 - (i % 2)] = 1 - p;
  }
  const plan = planStudent({ train, teacher, n, nClasses: C, seed: 1, keep: 0.5 });
  assert.equal(plan.calRows.length, 4, 'a fifth of 20');
  assert.equal([...plan.calY].filter((c) => c === 0).length, 2, 'stratified: 2 of each class');
  assert.equal(plan.labels, 16);
  assert.equal(plan.human, 16, 'every label a human one');
  assert.equal(plan.pseudo, 40, 'half of the 80 unlabelled');
  const pseudoRows = [...plan.set.index.slice(plan.labels)];
  assert.ok(Math.min(...pseudoRows) >= 60, `the most confident guesses are the last rows, got ${Math.min(...pseudoRows)}`);
  for (const r of plan.calRows) assert.ok(!plan.set.index.includes(r), `held-out row ${r} is trained on`);
  // With fewer than 10 human labels nothing is held out.
  const few = planStudent({
    train: { index: index.slice(0, 8), y: y.slice(0, 8), weight: new Float32Array(8).fill(1), holdout: new Uint8Array(8).fill(1) },
    teacher,
    n,
    nClasses: C,
    seed: 1,
  });
  assert.equal(few.calRows.length, 0);
});

test('calibrateLogits fits a temperature on the held-out rows, or applies the one it is given', () => {
  const C = 3;
  const n = 60;
  const rng = new Rng(3);
  const logits = new Float32Array(n * C);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    labels[i] = i % C;
    for (let c = 0; c < C; c++)
      logits[i * C + c] = rng.normal() * 2 + (c === labels[i] ? 6 : 0) + (rng.next() < 0.3 ? 6 * (c === (labels[i] + 1) % C ? 1 : 0) : 0);
  }
  const calRows = Int32Array.from({ length: 30 }, (_, i) => i);
  const fitted = calibrateLogits({ logits, n, nClasses: C, calRows, calY: labels.slice(0, 30) });
  assert.ok(fitted.temperature > 1.2, `overconfident logits need T > 1, got ${fitted.temperature}`);
  assert.ok(fitted.accuracy !== undefined && fitted.accuracy > 0.4 && fitted.accuracy < 1);
  const given = calibrateLogits({ logits, n, nClasses: C, calRows: new Int32Array(0), calY: new Int32Array(0), temperature: 2 });
  assert.equal(given.temperature, 2);
  assert.deepEqual(
    [...given.probs.slice(0, 3)].map((x) => x.toFixed(5)),
    [...softmaxRows(logits, 1, C, 2)].map((x) => x.toFixed(5)),
  );
});

test('one argmax, one softmax, one PRNG', () => {
  const m = Float32Array.from([0.1, 0.7, 0.2, 0.5, 0.5, 0]);
  assert.equal(argmaxRow(m, 0, 3), 1);
  assert.equal(argmaxRow(m, 1, 3), 0, 'the first on ties');
  assert.deepEqual([...argmaxRows(m, 2, 3).labels], [1, 0]);
  const p = softmaxRows(Float32Array.from([0, Math.log(3)]), 1, 2);
  assert.ok(Math.abs(p[1] - 0.75) < 1e-6);
  // Rng is mulberry32 on a mixed seed: the same stream as mulberry32 started from that mixed state.
  const a = mulberry32(42);
  const b = mulberry32(42);
  for (let i = 0; i < 5; i++) assert.equal(a(), b());
  assert.notEqual(new Rng(1).next(), new Rng(2).next());
});

test('a project opened without a job runner labels and scans, and refuses to train with a clear message', async () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'selflabel-norunner-'));
  try {
    fs.writeFileSync(path.join(root, 'a.txt'), 'hello there, a first text');
    fs.writeFileSync(path.join(root, 'b.txt'), 'another text about something else');
    const p = await Project.init(root, ['x', 'y']);
    const s = await p.scan();
    assert.equal(s.items, 2);
    await p.label('a.txt', 'x');
    assert.equal(p.labelOf('a.txt')?.label, 'x');
    await assert.rejects(
      p.pretrain({ epochs: 1 }),
      (e: unknown) => e instanceof ProjectError && e.code === 'no-runner' && /opened without a job runner/.test(e.message),
    );
    const st = await p.status();
    assert.equal(st.next.kind, 'pretrain');
    assert.equal(st.nextAction, st.next.text);
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});
