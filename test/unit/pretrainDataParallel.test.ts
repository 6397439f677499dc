/**
 * The data-parallel pretrain plan end to end (Project → worker pool → text modality → pretext loop on two workers),
 * on 160 real Debian package descriptions: the masked-word task on two workers follows the loss trajectory of one
 * worker (its loss is a mean over items, so two half batches average to the whole batch; only the random masks of the
 * second half differ), and a cancel mid-epoch stops both ranks and leaves a checkpoint the next run resumes.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Project } from '../../src/core/project';
import { workerRunner } from '../../src/worker/runner';
import { readPretextState } from '../../src/core/ssl/loop';
import { batchesPerEpoch, savedEpochs } from '../../src/core/ssl/state';
import type { Progress } from '../../src/core/types';

const FIXTURE = path.join(__dirname, '..', 'fixtures', 'debian-short-descriptions.csv');

/** A workspace of one .txt file per package description (160 items; `copies` > 1: each again with a numbered suffix). */
function textWorkspace(t: { after: (f: () => void) => void }, copies = 1): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'selflabel-dp-'));
  t.after(() => fs.rmSync(root, { recursive: true, force: true }));
  const rows = fs.readFileSync(FIXTURE, 'utf8').trim().split('\n').slice(1);
  for (let c = 0; c < copies; c++) {
    rows.forEach((r, i) => {
      const m = /^[^,]*,[^,]*,"?(.*?)"?$/.exec(r);
      const text = (m ? m[1] : r) + (c ? ` (edition ${c + 1})` : '');
      fs.writeFileSync(path.join(root, `d${c}-${String(i).padStart(3, '0')}.txt`), text);
    });
  }
  return root;
}

async function open(t: { after: (f: () => Promise<void>) => void }, root: string, workers: number): Promise<Project> {
  const p = await Project.init(root, ['x', 'y'], { workers, seed: 3 }, { runner: workerRunner });
  t.after(() => p.dispose());
  await p.scan();
  return p;
}

test('masked words on two data-parallel workers follow the loss trajectory of one worker', async (t) => {
  const one = await open(t, textWorkspace(t), 1);
  const two = await open(t, textWorkspace(t), 2);
  const r1 = await one.pretrain({ epochs: 4 });
  const r2 = await two.pretrain({ epochs: 4, plan: 'data-parallel' });
  assert.equal(r1.plan, 'per-task');
  assert.equal(r2.plan, 'data-parallel');
  assert.deepEqual(
    r2.tasks.map((s) => [s.task, s.epochs, s.workers]),
    [
      ['masked', 4, 2],
      ['contrastive', 4, 2],
    ],
  );
  const a = await readPretextState(path.join(one.root, '.selflabel', 'models', 'masked'));
  const b = await readPretextState(path.join(two.root, '.selflabel', 'models', 'masked'));
  assert.ok(a && b, 'both runs saved a checkpoint');
  assert.equal(a.lossHistory.length, 4);
  assert.equal(b.lossHistory.length, 4);
  assert.equal(b.itemsSeen, a.itemsSeen, 'rank 0 counts the whole batches');
  t.diagnostic(
    `masked loss per epoch, one worker ${a.lossHistory.map((x) => x.toFixed(4)).join(' ')}; two ${b.lossHistory.map((x) => x.toFixed(4)).join(' ')}`,
  );
  a.lossHistory.forEach((la, e) => {
    const lb = b.lossHistory[e];
    assert.ok(Number.isFinite(lb) && Math.abs(lb - la) <= 0.015 * Math.abs(la), `epoch ${e + 1}: ${lb} on two workers vs ${la} on one`);
  });
  for (const s of r2.tasks) assert.ok(Number.isFinite(s.finalLoss), `${s.task} loss ${s.finalLoss}`);
});

test('a cancel mid-epoch stops both data-parallel ranks and keeps a checkpoint the next run resumes', async (t) => {
  const p = await open(t, textWorkspace(t, 3), 2);
  const ac = new AbortController();
  // masked: 480 items, batches of 64 → 7 steps an epoch; cancel after the first step (the ranks stop a step or two later).
  const seen: Progress[] = [];
  const run = p.pretrain({
    epochs: 20,
    plan: 'data-parallel',
    signal: ac.signal,
    onProgress: (q) => {
      seen.push(q);
      if (q.done > 0) ac.abort();
    },
  });
  await assert.rejects(run, (e: Error) => e.name === 'AbortError');
  const dir = path.join(p.root, '.selflabel', 'models', 'masked');
  // The stage rejects at once; rank 0 writes its checkpoint as it stops (the pool gives a worker 3 s to stop).
  let st = await readPretextState(dir);
  for (let i = 0; i < 100 && !st?.savedAt; i++) {
    await new Promise((r) => setTimeout(r, 100));
    st = await readPretextState(dir);
  }
  assert.ok(st?.savedAt, 'rank 0 saved a checkpoint on cancel');
  const done = savedEpochs(st);
  t.diagnostic(`cancelled at ${done} epoch(s) (${st.epochsDone} + ${st.batchInEpoch} batch(es))`);
  assert.ok(done > 0 && done < 20, `the checkpoint holds part of the run: ${done} epoch(s)`);
  assert.ok(st.batchInEpoch > 0, 'stopped mid-epoch');
  // The workers are free again, and the next run continues where the cancelled one stopped.
  const firstDone: number[] = [];
  const r = await p.pretrain({
    epochs: 2,
    plan: 'data-parallel',
    onProgress: (q) => q.message?.startsWith('masked') && firstDone.push(q.done),
  });
  assert.ok(firstDone[0] >= st.itemsSeen - 1e-9 && st.itemsSeen > 0, `resumed at ${firstDone[0]} items, checkpoint had ${st.itemsSeen}`);
  assert.deepEqual(
    r.tasks.map((s) => [s.task, s.epochs]),
    [
      ['masked', 2],
      ['contrastive', 2],
    ],
  );
  const after = await readPretextState(dir);
  assert.equal(after?.epochsDone, 2);
  assert.equal(after?.itemsSeen, 2 * 7 * 64, 'two epochs of seven batches: the cancelled steps were not repeated nor lost');
});

test('join: the task still running when the other is done resumes on both workers from the step it stopped at', async (t) => {
  const p = await open(t, textWorkspace(t, 2), 2);
  // An uneven pair whatever the machine's load: masked has 3 of its 4 epochs already, contrastive starts from none.
  await p.pretrain({ epochs: 3 });
  await fs.promises.rm(path.join(p.root, '.selflabel', 'models', 'contrastive'), { recursive: true, force: true });
  const r = await p.pretrain({ epochs: 4, plan: 'join', joinMinSeconds: 0 });
  assert.equal(r.plan, 'join');
  t.diagnostic(r.tasks.map((s) => `${s.task}: ${s.epochs} epochs, ${s.seconds.toFixed(1)} s on up to ${s.workers} worker(s)`).join('; '));
  assert.deepEqual(
    r.tasks.map((s) => [s.task, s.epochs, s.workers]),
    [
      ['masked', 4, 1],
      ['contrastive', 4, 2],
    ],
    'contrastive was joined by the worker masked freed',
  );
  for (const s of r.tasks) {
    assert.ok(Number.isFinite(s.finalLoss), `${s.task} loss ${s.finalLoss}`);
    const st = await readPretextState(path.join(p.root, '.selflabel', 'models', s.task));
    assert.ok(st?.complete, `${s.task}'s checkpoint is complete`);
    // Every batch of every epoch once: the steps before the yield and after the resume neither repeat nor skip.
    assert.equal(st.itemsSeen, 4 * batchesPerEpoch(st.n, st.batchSize) * st.batchSize, `${s.task} saw each epoch's batches once`);
  }
});
