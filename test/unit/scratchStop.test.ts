/**
 * The scratch candidate's full network (src/core/modalities/image/finetune.ts) trains beside its folds and is stopped
 * when the folds' score says it would not be chosen (`wanted`), so a pool where another candidate wins does not pay
 * for its long train. A scripted job runner stands in for the workers: the full network's job runs until its signal
 * stops it, the folds' jobs end at once.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { imageFinetune } from '../../src/core/modalities/image/finetune';
import type { ModalityContext } from '../../src/core/modalities/types';
import { untilAborted } from './untilAborted';

const n = 12;
const C = 2;
const rows = Int32Array.from([0, 1, 2, 3, 4, 5, 6, 7]);
const y = Int32Array.from([0, 1, 0, 1, 0, 1, 0, 1]);
const rowFold = Int32Array.from([0, 0, 1, 1, 2, 2, 3, 3]);

function scripted(fullFinishes: boolean) {
  const jobs: { name: string; dir?: string; aborted?: boolean }[] = [];
  const runner = {
    run: (name: string, params: Record<string, unknown>, o?: { signal?: AbortSignal }) => {
      const job: (typeof jobs)[number] = { name, dir: params.checkpointDir as string | undefined };
      jobs.push(job);
      if (name === 'finetune') {
        const full = /scratchall$/.test(job.dir ?? '');
        if (full && !fullFinishes) {
          return untilAborted(o?.signal, () => (job.aborted = true));
        }
        return Promise.resolve({ epochs: 1, seconds: 1, itemsPerSecond: 10, finalLoss: 0.1, maskRate: 0.5 });
      }
      if (name === 'finetuneLogits')
        return Promise.resolve({ logits: new Float32Array(n * C).map((_, q) => (q % C === 0 ? 1 : 0)), nClasses: C });
      if (name === 'calibrateLogits') {
        const m = params.n as number;
        return Promise.resolve({ probs: new Float32Array(m * C).fill(0.5), temperature: 1.5, accuracy: 0.5 });
      }
      return Promise.reject(new Error(`unexpected job ${name}`));
    },
  };
  const ctx = {
    root: '/nonexistent',
    paths: { checkpoint: (x: string) => `/nonexistent/models/${x}` },
    config: { seed: 1, workers: 2 },
    pool: [],
    runner,
  } as unknown as ModalityContext;
  return { ctx, jobs };
}

function options(wanted: (oof: Float32Array, accuracy: number | undefined) => Promise<boolean>) {
  const fits = [0, 1, 2, 3].map((f) => {
    const keep = [...rows.keys()].filter((j) => rowFold[j] !== f);
    return {
      index: Int32Array.from(keep, (j) => rows[j]),
      y: Int32Array.from(keep, (j) => y[j]),
      weight: new Float32Array(keep.length).fill(1),
    };
  });
  const data = { kind: 'image' as const, pixels: new SharedArrayBuffer(n * 4 * 4), n, size: 4, channels: 1 as const };
  return { model: 'mtest', data, fits, rows, y, rowFold, pseudo: 0, nClasses: C, wanted };
}

test(
  'scratch: the full network is stopped when the folds say it would not be chosen, and nothing predicts',
  { timeout: 20_000 },
  async () => {
    const { ctx, jobs } = scripted(false);
    const asked: { rows: number; accuracy: number | undefined }[] = [];
    const r = await imageFinetune(['simclr']).scratch!(
      ctx,
      options(async (oof, accuracy) => {
        asked.push({ rows: oof.length / C, accuracy });
        return false;
      }),
      {},
    );
    assert.deepEqual(asked, [{ rows: rows.length, accuracy: 0.5 }], 'asked once, with every human label out of fold');
    const full = jobs.find((j) => j.name === 'finetune' && /scratchall$/.test(j.dir ?? ''));
    assert.ok(full?.aborted, 'the full network was stopped');
    assert.equal(r.probs, undefined, 'no predictions');
    assert.equal(r.record.full, undefined, 'the record has no full network');
    assert.equal(r.record.networks.length, 4, 'the folds are kept');
    assert.deepEqual(r.record.folds?.fold, [...rowFold]);
    assert.equal(jobs.filter((j) => j.name === 'finetuneLogits' && /scratchall$/.test(j.dir ?? '')).length, 0, 'it never predicted');
  },
);

test('scratch: wanted, the full network is awaited and predicts', { timeout: 20_000 }, async () => {
  const { ctx, jobs } = scripted(true);
  const r = await imageFinetune(['simclr']).scratch!(
    ctx,
    options(async () => true),
    {},
  );
  assert.ok(r.probs && r.probs.length === n * C, 'the full network predicts');
  assert.ok(r.record.full, 'its record has the full network');
  assert.ok(!jobs.some((j) => j.aborted), 'nothing stopped');
});

test('scratch: a cancelled train stops the full network too and throws', { timeout: 20_000 }, async () => {
  const { ctx, jobs } = scripted(false);
  const ac = new AbortController();
  await assert.rejects(
    imageFinetune(['simclr']).scratch!(
      ctx,
      options(async () => {
        ac.abort();
        return false;
      }),
      { signal: ac.signal },
    ),
    (e: unknown) => e instanceof Error && e.name === 'AbortError',
  );
  assert.ok(jobs.find((j) => /scratchall$/.test(j.dir ?? ''))?.aborted, 'the full network was stopped');
});

test('scratch: a failure before the full network is awaited stops it, and the failure is reported', { timeout: 20_000 }, async () => {
  const { ctx, jobs } = scripted(false);
  await assert.rejects(
    imageFinetune(['simclr']).scratch!(
      ctx,
      options(async () => {
        throw new Error('the pixel candidate failed');
      }),
      {},
    ),
    /the pixel candidate failed/,
  );
  assert.ok(jobs.find((j) => /scratchall$/.test(j.dir ?? ''))?.aborted, 'the full network was stopped');
});
