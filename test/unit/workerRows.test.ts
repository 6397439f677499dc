/**
 * The modalities' shared decoding of cache misses over the workers (src/core/modalities/workerRows.ts): contiguous
 * parts, one per worker, each writing its own scratch rows; failures reported by item id in row order; a failing
 * job fails the whole load.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import type { Item } from '../../src/core/types';
import { DEFAULT_CONFIG } from '../../src/core/config';
import { decodeInWorkers, type DecodePart } from '../../src/core/modalities/workerRows';

const items: Item[] = Array.from({ length: 10 }, (_, i) => ({
  id: `f${i}.png`,
  path: `f${i}.png`,
  hash: `h${i}`,
  size: 1,
  mtimeMs: 0,
  modality: 'image',
  kind: 'image',
}));
const workers = (n: number) => ({ config: { ...DEFAULT_CONFIG, workers: n } });

test('decodeInWorkers splits the missing rows over the workers and reports failures by id', async () => {
  const calls: { ids: string[]; offset: number; worker?: number }[] = [];
  const decode: DecodePart = async (part, offset, run) => {
    calls.push({ ids: part.map((it) => it.id), offset, worker: run.worker });
    // The second item of each part cannot be read.
    return { failed: part.length > 1 ? [{ index: 1, reason: `bad ${part[1].id}` }] : [] };
  };
  const missing = [1, 2, 4, 5, 7, 8, 9];
  const failed = await decodeInWorkers(workers(2), items, missing, { minRows: 2 }, decode);
  assert.deepEqual(
    calls.sort((a, b) => a.offset - b.offset),
    [
      { ids: ['f1.png', 'f2.png', 'f4.png', 'f5.png'], offset: 0, worker: 0 },
      { ids: ['f7.png', 'f8.png', 'f9.png'], offset: 4, worker: 1 },
    ],
  );
  assert.deepEqual(failed, [
    { id: 'f2.png', reason: 'bad f2.png' },
    { id: 'f8.png', reason: 'bad f8.png' },
  ]);
  // Few rows: one part on one worker, whatever the number of workers.
  calls.length = 0;
  await decodeInWorkers(workers(4), items, [3, 6], { minRows: 256 }, decode);
  assert.deepEqual(calls, [{ ids: ['f3.png', 'f6.png'], offset: 0, worker: 0 }]);
});

test('decodeInWorkers fails when a job fails', async () => {
  const decode: DecodePart = async (_part, offset) => {
    if (offset > 0) throw new Error('worker died');
    return { failed: [] };
  };
  await assert.rejects(decodeInWorkers(workers(2), items, [0, 1, 2, 3], { minRows: 1 }, decode), /worker died/);
});
