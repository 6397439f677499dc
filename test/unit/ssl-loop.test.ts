/**
 * The pretext loop's bookkeeping across a cancel: what a cancelled run saved is what the project then reports.
 */
import { test, before } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { initBackend } from '../../src/core/backend';
import { pretrainImageEncoder } from '../../src/core/modalities/image/pretrain';
import { pretrainTextEncoder } from '../../src/core/modalities/text/pretrain';
import { readPretextState, scheduledRate } from '../../src/core/ssl/loop';
import { savedEpochs } from '../../src/core/ssl/state';
import { Project } from '../../src/core/project';
import { workspacePaths } from '../../src/core/paths';
import { Rng } from '../../src/core/models/random';

before(async () => {
  await initBackend('wasm');
});

async function workspace(t: { after: (f: () => Promise<void>) => void }): Promise<string> {
  const root = await fs.mkdtemp(path.join(os.tmpdir(), 'selflabel-ssl-'));
  t.after(() => fs.rm(root, { recursive: true, force: true }));
  await fs.mkdir(path.join(root, '.selflabel'));
  await fs.writeFile(path.join(root, '.selflabel', 'classes.json'), JSON.stringify({ version: 1, classes: ['a', 'b'] }));
  return root;
}

test('a run cancelled late in an epoch reports the epochs it saved, partial epoch included (not one fewer)', async (t) => {
  const root = await workspace(t);
  const dir = workspacePaths(root).checkpoint('simclr');
  const rng = new Rng(3);
  const pixels = new Uint8Array(64 * 28 * 28);
  for (let i = 0; i < pixels.length; i++) pixels[i] = rng.int(256);
  const ac = new AbortController();
  // 64 items, batch 8: 8 batches an epoch; cancel after batch 7 of epoch 2.
  await assert.rejects(
    pretrainImageEncoder({
      pixels,
      n: 64,
      size: 28,
      channels: 1,
      task: 'simclr',
      epochs: 3,
      batchSize: 8,
      checkpointDir: dir,
      encoder: { widths: [4, 8], dim: 8 },
      signal: ac.signal,
      onProgress: (p) => {
        if (p.done >= (8 + 7) * 8) ac.abort();
      },
    }),
    { name: 'AbortError' },
  );
  const st = await readPretextState(dir);
  assert.ok(st);
  assert.deepEqual([st.epochsDone, st.batchInEpoch], [1, 7]);
  assert.equal(savedEpochs(st), 1.87);
  const project = await Project.open(root);
  const simclr = (await project.pretrained()).find((x) => x.task === 'simclr');
  assert.equal(simclr?.epochs, 1.87, 'the project reports what the checkpoint holds');
});

test('image and text pretraining share the loop options: resume, seed and epochs mean the same for both', async (t) => {
  const root = await workspace(t);
  const texts = Array.from({ length: 40 }, (_, i) => `item ${i} words ${i % 5} more text here ${i % 3} and ${i % 7}`);
  const dir = path.join(root, 'text');
  const a = await pretrainTextEncoder({ texts, task: 'contrastive', epochs: 1, batchSize: 8, checkpointDir: dir, seed: 4 });
  assert.equal(a.epochs, 1);
  assert.equal(a.resumed, false);
  const b = await pretrainTextEncoder({ texts, task: 'contrastive', epochs: 2, batchSize: 8, checkpointDir: dir, seed: 4, resume: true });
  assert.equal(b.resumed, true);
  assert.equal(b.epochs, 2);
  const st = await readPretextState(dir);
  assert.deepEqual([st?.modality, st?.seed, st?.epochsDone], ['text', 4, 2]);
});

test('scheduledRate: warm-up, cosine to 10%, the time budget, and a fresh warm-up where a run resumed', () => {
  const o = { peak: 1e-3, warmup: 10, totalSteps: 110, resumedAt: 0, timeShare: 0 };
  assert.equal(scheduledRate(0, o), 1e-4);
  assert.equal(scheduledRate(9, o), 1e-3);
  assert.ok(Math.abs(scheduledRate(60, o) - 1e-3 * 0.55) < 1e-12, 'half way down the cosine: 55% of the peak');
  assert.ok(Math.abs(scheduledRate(110, o) - 1e-4) < 1e-12, 'the end: 10% of the peak');
  assert.ok(Math.abs(scheduledRate(20, { ...o, timeShare: 1 }) - 1e-4) < 1e-12, 'the time budget spent: the end of the cosine');
  // Resumed at step 60: Adam has no moments, so the rate climbs again from a tenth over ten steps, then rejoins the cosine.
  const r = { ...o, resumedAt: 60 };
  assert.ok(Math.abs(scheduledRate(60, r) - scheduledRate(60, o) / 10) < 1e-12);
  assert.ok(Math.abs(scheduledRate(64, r) - (scheduledRate(64, o) * 5) / 10) < 1e-12);
  assert.equal(scheduledRate(69, r), scheduledRate(69, o));
  assert.equal(scheduledRate(80, r), scheduledRate(80, o));
});
