/**
 * Tests of src/core/proposals: proposals (sorted, thresholded, never a rejected label, renormalised after a
 * rejection), expected precision, active-learning suggestions (uncertainty; diverse seeds that cover every cluster
 * of a clearly clustered set) and disagreements. Pure functions over typed arrays: no files, no tensors.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import fc from 'fast-check';
import { fuzzParams } from './fuzzSeed';
import { propose, proposeLabels, expectedPrecision, suggestForLabelling, findDisagreements } from '../../src/core/proposals';
import { Rng } from '../../src/core/models/random';

const classes = ['cat', 'dog', 'fox'];

function rows(...ps: number[][]): Float32Array {
  return Float32Array.from(ps.flat());
}

test('propose: sorted by confidence, honours the threshold and the candidates, lists alternatives', () => {
  const probs = rows([0.7, 0.2, 0.1], [0.05, 0.95, 0], [0.4, 0.35, 0.25], [0.1, 0.1, 0.8], [0.99, 0.005, 0.005]);
  const r = propose({ probs, n: 5, nClasses: 3, classes, candidates: Int32Array.from([0, 1, 2, 3]), threshold: 0.6 });
  assert.deepEqual(
    r.proposals.map((p) => [p.index, p.label]),
    [
      [1, 'dog'],
      [3, 'fox'],
      [0, 'cat'],
    ],
  );
  assert.ok(!r.proposals.some((p) => p.index === 4), 'row 4 is not a candidate');
  assert.deepEqual(
    r.proposals[2].alternatives.map((a) => a.label),
    ['dog', 'fox'],
  );
  assert.ok(Math.abs(r.expectedPrecision - (0.95 + 0.8 + 0.7) / 3) < 1e-6);
  const limited = proposeLabels({
    probs,
    n: 5,
    nClasses: 3,
    classes,
    candidates: Int32Array.from([0, 1, 2, 3, 4]),
    threshold: 0,
    limit: 2,
  });
  assert.deepEqual(
    limited.proposals.map((p) => p.index),
    [4, 1],
  );
});

test('propose: a rejected label is never proposed again; the next class gets the renormalised confidence', () => {
  const probs = rows([0.6, 0.3, 0.1], [0.5, 0.5, 0]);
  const rejected = (i: number) => (i === 0 ? new Set(['cat']) : new Set(['cat', 'dog']));
  const r = propose({ probs, n: 2, nClasses: 3, classes, candidates: Int32Array.from([0, 1]), threshold: 0, rejected });
  assert.equal(r.proposals.length, 1, 'row 1 has no class left with probability');
  assert.equal(r.proposals[0].label, 'dog');
  assert.ok(Math.abs(r.proposals[0].confidence - 0.75) < 1e-6, 'P(dog | not cat) = 0.3 / 0.4');
  assert.deepEqual(
    r.proposals[0].alternatives.map((a) => a.label),
    ['fox'],
  );
  // Threshold applies to the renormalised confidence.
  const r2 = propose({ probs, n: 2, nClasses: 3, classes, candidates: Int32Array.from([0]), threshold: 0.8, rejected });
  assert.equal(r2.proposals.length, 0);
});

test('propose: properties on random inputs (never rejected, sorted, ≥ threshold, within candidates)', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 30 }),
      fc.integer({ min: 2, max: 5 }),
      fc.integer({ min: 0, max: 1e6 }),
      fc.double({ min: 0, max: 1, noNaN: true }),
      (n, C, seed, threshold) => {
        const rng = new Rng(seed);
        const names = Array.from({ length: C }, (_, c) => `c${c}`);
        const probs = new Float32Array(n * C);
        for (let i = 0; i < n; i++) {
          let s = 0;
          for (let c = 0; c < C; c++) s += probs[i * C + c] = rng.next() ** 3;
          for (let c = 0; c < C; c++) probs[i * C + c] /= s;
        }
        const rej = Array.from({ length: n }, () => new Set(names.filter(() => rng.next() < 0.3)));
        const candidates = Int32Array.from([...Array(n).keys()].filter(() => rng.next() < 0.8));
        const r = propose({ probs, n, nClasses: C, classes: names, candidates, threshold, rejected: (i) => rej[i] });
        const cand = new Set(candidates);
        const seen = new Set<number>();
        r.proposals.forEach((p, k) => {
          assert.ok(cand.has(p.index));
          assert.ok(!seen.has(p.index), 'one proposal per item');
          seen.add(p.index);
          assert.ok(!rej[p.index].has(p.label), 'rejected label proposed');
          assert.ok(p.confidence >= threshold);
          assert.ok(!p.alternatives.some((a) => rej[p.index].has(a.label)));
          if (k > 0) assert.ok(r.proposals[k - 1].confidence >= p.confidence, 'not sorted');
        });
        // Every candidate with an allowed class above the threshold is proposed.
        for (const i of candidates) {
          let mass = 0;
          let best = 0;
          for (let c = 0; c < C; c++) {
            if (rej[i].has(names[c])) continue;
            mass += probs[i * C + c];
            best = Math.max(best, probs[i * C + c]);
          }
          if (mass > 0 && best / mass >= threshold) assert.ok(seen.has(i), `candidate ${i} missing`);
        }
      },
    ),
    fuzzParams(300),
  );
});

test('propose: bad input is an error or a skip, never a crash', () => {
  assert.throws(
    () => propose({ probs: new Float32Array(3), n: 2, nClasses: 3, classes, candidates: Int32Array.from([0]), threshold: 0 }),
    /probs holds/,
  );
  assert.throws(
    () => propose({ probs: new Float32Array(6), n: 2, nClasses: 3, classes: ['a'], candidates: Int32Array.from([0]), threshold: 0 }),
    /classes has/,
  );
  const probs = rows([NaN, 0.5, 0.5], [0.2, 0.3, 0.5]);
  const r = propose({ probs, n: 2, nClasses: 3, classes, candidates: Int32Array.from([0, 1, 7, -1]), threshold: 0 });
  assert.deepEqual(
    r.proposals.map((p) => p.index),
    [1],
  );
});

test('expectedPrecision is the mean confidence', () => {
  assert.equal(expectedPrecision([]), 0);
  assert.ok(Math.abs(expectedPrecision([1, 0.5, 0.75]) - 0.75) < 1e-12);
});

/** n points around C well-separated centres (unit rows), cluster sizes unequal. */
function clustered(C: number, dim: number, seed: number): { X: Float32Array; y: Int32Array; n: number } {
  const rng = new Rng(seed);
  const centres = Array.from({ length: C }, () => Array.from({ length: dim }, () => rng.normal()));
  const sizes = Array.from({ length: C }, (_, c) => 40 + 25 * c);
  const n = sizes.reduce((a, b) => a + b, 0);
  const X = new Float32Array(n * dim);
  const y = new Int32Array(n);
  let i = 0;
  sizes.forEach((s, c) => {
    for (let k = 0; k < s; k++, i++) {
      y[i] = c;
      let norm = 0;
      for (let j = 0; j < dim; j++) norm += (X[i * dim + j] = centres[c][j] + 0.15 * rng.normal()) ** 2;
      for (let j = 0; j < dim; j++) X[i * dim + j] /= Math.sqrt(norm);
    }
  });
  return { X, y, n };
}

test('suggestForLabelling before any model covers every cluster of a clearly clustered set', () => {
  for (const seed of [1, 2, 3, 4, 5]) {
    const C = 8;
    const { X, y, n } = clustered(C, 12, seed);
    const picks = suggestForLabelling({ X, n, dim: 12, candidates: Int32Array.from({ length: n }, (_, i) => i), k: C, seed });
    assert.equal(picks.length, C);
    assert.ok(picks.every((p) => p.reason === 'diverse'));
    assert.equal(
      new Set(picks.map((p) => y[p.index])).size,
      C,
      `seed ${seed}: clusters covered ${[...new Set(picks.map((p) => y[p.index]))]}`,
    );
    // Already-labelled clusters are skipped: label one item of clusters 0..3, ask for 4 → the other four.
    const labelled = Int32Array.from([0, 1, 2, 3].map((c) => y.indexOf(c)));
    const more = suggestForLabelling({
      X,
      n,
      dim: 12,
      candidates: Int32Array.from({ length: n }, (_, i) => i).filter((i) => !labelled.includes(i)),
      k: 4,
      seed,
      labelled,
    });
    assert.deepEqual(new Set(more.map((p) => y[p.index])), new Set([4, 5, 6, 7]));
  }
});

test('suggestForLabelling with a model: BADGE with embeddings (never a duplicate of a pick), uncertainty order without', () => {
  const n = 6;
  const probs = rows([0.9, 0.05, 0.05], [0.4, 0.35, 0.25], [0.34, 0.33, 0.33], [0.5, 0.45, 0.05], [0.34, 0.33, 0.33], [0.98, 0.01, 0.01]);
  const dim = 2;
  // Row 4 is an exact duplicate of row 2 (same embedding, same probabilities).
  const X = rows([1, 0], [0, 1], [0.6, 0.8], [0.8, 0.6], [0.6, 0.8], [-1, 0]);
  for (const seed of [1, 2, 3, 4, 5]) {
    const picks = suggestForLabelling({ probs, nClasses: 3, X, n, dim, candidates: Int32Array.from([0, 1, 2, 3, 4, 5]), k: 3, seed });
    assert.equal(picks.length, 3);
    assert.equal(picks[0].index, 2, 'the longest gradient embedding first: the most uncertain row');
    assert.ok(!picks.some((p) => p.index === 4), `the duplicate of a pick is never picked (seed ${seed}: ${picks.map((p) => p.index)})`);
    assert.ok(picks.every((p) => p.reason === 'uncertain'));
  }
  // Without embeddings, duplicates cannot be seen: plain uncertainty order.
  const plain = suggestForLabelling({
    probs,
    nClasses: 3,
    X: new Float32Array(0),
    n,
    dim: 0,
    candidates: Int32Array.from([0, 1, 2, 3, 4, 5]),
    k: 3,
  });
  assert.deepEqual(
    plain.map((p) => p.index),
    [2, 4, 1],
  );
  assert.ok(plain[0].score >= plain[1].score && plain[1].score >= plain[2].score);
  assert.deepEqual(suggestForLabelling({ probs, nClasses: 3, X, n, dim, candidates: new Int32Array(0), k: 3 }), []);
});

test('findDisagreements: only confident contradictions, most confident first', () => {
  const d = findDisagreements({
    labelled: [
      { item: 'a', label: 'cat', probs: [0.05, 0.95, 0] },
      { item: 'b', label: 'cat', probs: [0.9, 0.05, 0.05] },
      { item: 'c', label: 'dog', probs: [0.2, 0.2, 0.6] },
      { item: 'd', label: 'fox', probs: [0.97, 0.02, 0.01] },
    ],
    classes,
    threshold: 0.9,
  });
  assert.deepEqual(
    d.map((x) => [x.item, x.label, x.predicted]),
    [
      ['d', 'fox', 'cat'],
      ['a', 'cat', 'dog'],
    ],
  );
  assert.ok(Math.abs(d[0].confidence - 0.97) < 1e-6);
});
