import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { capAccepted } from '../../src/core/modalities/text/lexical/head';
import type { TrainSet } from '../../src/core/train/classifier';

/** A train set of `human` person-given labels and `accepted` proposals, classes by a fixed pattern (class 0 the most). */
function trainSet(human: number, accepted: number): Required<TrainSet> {
  const n = human + accepted;
  return {
    index: Int32Array.from({ length: n }, (_, k) => 10 * k + 3),
    y: Int32Array.from({ length: n }, (_, k) => (k % 7 < 5 ? 0 : k % 7 === 5 ? 1 : 2)),
    weight: Float32Array.from({ length: n }, (_, k) => (k < human ? 1 : 0.5 + (k % 3) * 0.25)),
    holdout: Uint8Array.from({ length: n }, (_, k) => (k < human ? 1 : 0)),
  };
}

test('capAccepted keeps every human label and at most about `max` accepted ones, each class with its mass', () => {
  const t = trainSet(40, 5000);
  const c = capAccepted(t, 1000, 7) as Required<TrainSet>;
  const humanRows = (s: typeof t) => [...s.index].filter((_, k) => s.holdout[k] === 1);
  assert.deepEqual(humanRows(c), humanRows(t), 'every human label, same rows, same order');
  const accepted = c.holdout.filter((h) => h !== 1).length;
  assert.ok(accepted <= 1003 && accepted >= 997, `${accepted} accepted kept`);
  for (const cls of [0, 1, 2]) {
    const mass = (s: typeof t) => s.weight.reduce((a, w, k) => a + (s.holdout[k] !== 1 && s.y[k] === cls ? w : 0), 0);
    const count = (s: typeof t) => s.y.filter((y, k) => s.holdout[k] !== 1 && y === cls).length;
    assert.ok(Math.abs(mass(c) - mass(t)) < 1e-3 * mass(t), `class ${cls}: mass ${mass(c)} vs ${mass(t)}`);
    // In proportion to the class's count (class 0 is 5/7 of the accepted labels).
    assert.ok(Math.abs(count(c) / accepted - count(t) / 5000) < 0.01, `class ${cls}: share kept`);
  }
  // Rows are rows of the original set (their pool index and class together), in order, none twice.
  const pairs = new Map([...t.index].map((i, k) => [i, t.y[k]]));
  c.index.forEach((i, k) => assert.equal(pairs.get(i), c.y[k]));
  assert.ok(
    [...c.index].every((v, k) => k === 0 || v > c.index[k - 1]),
    'ascending, no repeats',
  );
  // Seeded: the same sample for the same seed, another for another.
  assert.deepEqual(capAccepted(t, 1000, 7).index, c.index);
  assert.notDeepEqual(capAccepted(t, 1000, 8).index, c.index);
});

test('capAccepted leaves a set alone when it has few accepted labels or no holdout mask', () => {
  const small = trainSet(40, 900);
  assert.equal(capAccepted(small, 1000, 1), small);
  const { holdout: _h, ...noMask } = trainSet(10, 3000);
  assert.equal(capAccepted(noMask, 1000, 1), noMask);
});
