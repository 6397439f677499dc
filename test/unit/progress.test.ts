/** combineProgress (src/core/util/progress.ts): the progress of parallel parts merged into one stream. */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { combineProgress } from '../../src/core/util/progress';
import type { Progress } from '../../src/core/types';

test('combineProgress with expected totals: the whole from the first report, done summed, the slowest ETA', () => {
  const out: Progress[] = [];
  const merge = combineProgress('train', [300, 200, 100], (p) => out.push(p), 0);
  merge(1)({ stage: 'train', done: 50, total: 200, etaSeconds: 4 });
  assert.deepEqual([out[0].done, out[0].total, out[0].etaSeconds], [50, 600, 4], 'parts not heard from count as 0 of their expected total');
  merge(0)({ stage: 'train', done: 100, total: 300, etaSeconds: 9 });
  merge(2)({ stage: 'train', done: 100, total: 100, etaSeconds: 0 });
  const last = out[out.length - 1];
  assert.deepEqual([last.stage, last.done, last.total, last.etaSeconds], ['train', 250, 600, 9]);
});

test('combineProgress with a count: parts not heard from are left out; an unknown part total makes the total unknown', () => {
  const out: Progress[] = [];
  const merge = combineProgress('embed', 2, (p) => out.push(p), 0);
  merge(0)({ stage: 'embed', done: 10, total: 40 });
  assert.equal(out[0].total, 40);
  merge(1)({ stage: 'embed', done: 5, total: undefined, message: 'decoding' });
  assert.equal(out[1].total, undefined);
  assert.equal(out[1].done, 15);
  assert.equal(out[1].message, 'decoding');
});

test('combineProgress reports at most once per interval', () => {
  const out: Progress[] = [];
  const merge = combineProgress('embed', [10], (p) => out.push(p), 60_000);
  for (let i = 1; i <= 10; i++) merge(0)({ stage: 'embed', done: i, total: 10 });
  assert.equal(out.length, 1);
  assert.equal(out[0].done, 1);
});
