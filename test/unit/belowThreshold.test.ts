/** src/core/proposals/below.ts: the best candidates under the proposal threshold (shown in the review grid). */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { bestBelow } from '../../src/core/proposals/below';
import { propose } from '../../src/core/proposals';

const classes = ['a', 'b'];
// Five rows, two classes: confidences of the top class 0.95, 0.55, 0.8, 0.6, 0.99.
const probs = Float32Array.from([0.95, 0.05, 0.45, 0.55, 0.8, 0.2, 0.4, 0.6, 0.01, 0.99]);
const base = { probs, n: 5, nClasses: 2, classes, candidates: Int32Array.from([0, 1, 2, 3, 4]), threshold: 0.9 };

test('bestBelow: the candidates under the threshold, most confident first; none of them is a proposal', () => {
  const below = bestBelow(base);
  assert.deepEqual(
    below.map((p) => [p.index, p.label, Number(p.confidence.toFixed(2))]),
    [
      [2, 'a', 0.8],
      [3, 'b', 0.6],
      [1, 'b', 0.55],
    ],
  );
  const proposed = new Set(propose(base).proposals.map((p) => p.index));
  assert.deepEqual([...proposed].sort(), [0, 4]);
  for (const p of below) assert.ok(!proposed.has(p.index));
});

test('bestBelow: limit, labelled rows left out, rejected labels respected, threshold 0 has nothing below', () => {
  assert.deepEqual(
    bestBelow(base, 1).map((p) => p.index),
    [2],
  );
  assert.deepEqual(
    bestBelow({ ...base, candidates: Int32Array.from([0, 3]) }).map((p) => p.index),
    [3],
  );
  // Row 2's "a" was rejected: its best allowed class is "b" at 1.0 of the remaining mass, so it is no candidate below.
  const rej = bestBelow({ ...base, rejected: (i) => new Set(i === 2 ? ['a'] : []) });
  assert.deepEqual(
    rej.map((p) => p.index),
    [3, 1],
  );
  assert.deepEqual(bestBelow({ ...base, threshold: 0 }), []);
});

test('bestBelow keeps exactly what sorting every candidate would keep (random data, ties, rejected labels)', () => {
  let seed = 7;
  const rnd = () => (seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32;
  const n = 3000;
  const C = 4;
  const probs = new Float32Array(n * C);
  // Rounded values make ties common.
  for (let i = 0; i < n * C; i++) probs[i] = Math.round(rnd() * 8) / 8;
  const o = {
    probs,
    n,
    nClasses: C,
    classes: ['a', 'b', 'c', 'd'],
    candidates: Int32Array.from({ length: n }, (_, i) => i),
    threshold: 0.6,
    rejected: (i: number) => new Set(i % 7 === 0 ? ['a'] : []),
  };
  for (const limit of [1, 50, 200, 5000]) {
    const naive = propose({ ...o, threshold: 0 })
      .proposals.filter((p) => p.confidence < o.threshold)
      .slice(0, limit);
    assert.deepEqual(bestBelow(o, limit), naive, `limit ${limit}`);
  }
});
