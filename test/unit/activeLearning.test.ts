/**
 * BADGE (src/core/proposals badgePicks): the factorised gradient-embedding distances against an explicit
 * construction of the embeddings, and what the picks must be on data whose answer is known.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { badgePicks, suggestForLabelling } from '../../src/core/proposals';
import { Rng } from '../../src/core/models/random';
import { softmaxRows } from '../../src/core/util/math';

/** The same D² sampling on explicitly formed gradient embeddings (C·(dim+1) numbers per row): the oracle. */
function explicitBadge(P: Float32Array, C: number, X: Float32Array, dim: number, cands: number[], k: number, rng: Rng): number[] {
  const D = C * (dim + 1);
  const G = cands.map((i) => {
    let yhat = 0;
    for (let c = 1; c < C; c++) if (P[i * C + c] > P[i * C + yhat]) yhat = c;
    const g = new Float64Array(D);
    for (let c = 0; c < C; c++) {
      const a = P[i * C + c] - (c === yhat ? 1 : 0);
      for (let j = 0; j < dim; j++) g[c * (dim + 1) + j] = a * X[i * dim + j];
      g[c * (dim + 1) + dim] = a;
    }
    return g;
  });
  const dist = (u: Float64Array, v: Float64Array) => u.reduce((s, x, q) => s + (x - v[q]) ** 2, 0);
  const norm = G.map((g) => dist(g, new Float64Array(D)));
  let first = 0;
  norm.forEach((v, s) => (first = v > norm[first] ? s : first));
  const taken = new Set([first]);
  const d2 = G.map((g) => dist(g, G[first]));
  const picks = [cands[first]];
  while (picks.length < k) {
    const total = d2.reduce((s, v, q) => s + (taken.has(q) ? 0 : v), 0);
    let r = rng.next() * total;
    let next = -1;
    for (let s = 0; s < G.length; s++) {
      if (taken.has(s) || d2[s] <= 0) continue;
      next = s;
      r -= d2[s];
      if (r <= 0) break;
    }
    taken.add(next);
    picks.push(cands[next]);
    G.forEach((g, s) => (d2[s] = Math.min(d2[s], dist(g, G[next]))));
  }
  return picks;
}

function randomSet(n: number, dim: number, C: number, seed: number) {
  const rng = new Rng(seed);
  const X = Float32Array.from({ length: n * dim }, () => rng.normal());
  const logits = Float32Array.from({ length: n * C }, () => 2 * rng.normal());
  return { X, P: softmaxRows(logits, n, C) };
}

test('badgePicks: the factorised distances pick exactly what explicit gradient embeddings pick', () => {
  for (const [n, dim, C, k] of [
    [40, 3, 2, 8],
    [60, 5, 4, 15],
    [25, 1, 7, 25],
  ]) {
    const { X, P } = randomSet(n, dim, C, n + dim);
    const cands = Array.from({ length: n }, (_, i) => i).filter((i) => i % 5 !== 0);
    const want = explicitBadge(P, C, X, dim, cands, Math.min(k, cands.length), new Rng(3));
    const got = badgePicks(P, C, X, dim, cands, k, new Rng(3));
    assert.deepEqual(got, want, `n=${n} dim=${dim} C=${C}`);
    assert.equal(new Set(got).size, got.length, 'no row twice');
    assert.ok(
      got.every((i) => i % 5 !== 0),
      'only candidates',
    );
  }
});

test('badgePicks: uncertain first, and a batch spread over the uncertain clusters, not k copies of one', () => {
  // Four tight clusters; the model is sure about cluster 0, unsure about 1–3 (cluster 1 the most).
  const n = 200;
  const dim = 4;
  const C = 2;
  const rng = new Rng(9);
  const X = new Float32Array(n * dim);
  const P = new Float32Array(n * C);
  const p1 = [0.99, 0.5, 0.6, 0.65];
  for (let i = 0; i < n; i++) {
    const c = i % 4;
    for (let j = 0; j < dim; j++) X[i * dim + j] = (j === c ? 3 : 0) + 0.01 * rng.normal();
    P[i * C] = p1[c];
    P[i * C + 1] = 1 - p1[c];
  }
  const cands = Array.from({ length: n }, (_, i) => i);
  const picks = badgePicks(P, C, X, dim, cands, 3, new Rng(1));
  assert.equal(picks[0] % 4, 1, 'the first pick is the most uncertain cluster');
  assert.deepEqual(picks.map((i) => i % 4).sort(), [1, 2, 3], `one pick per unsure cluster, none from the sure one: ${picks}`);
  // Pure uncertainty would have taken three rows of cluster 1.
  assert.deepEqual(badgePicks(P, C, X, dim, [], 3, new Rng(1)), []);
  assert.deepEqual(badgePicks(P, C, X, dim, cands, 0, new Rng(1)), []);
});

test('badgePicks: identical candidates still give k distinct rows', () => {
  const n = 10;
  const X = new Float32Array(n * 2).fill(0.5);
  const P = new Float32Array(n * 2).fill(0.5);
  const picks = badgePicks(
    P,
    2,
    X,
    2,
    Array.from({ length: n }, (_, i) => i),
    6,
    new Rng(2),
  );
  assert.equal(new Set(picks).size, 6);
});

test('suggestForLabelling with a model and embeddings: BADGE picks, one per cluster before any cluster twice', () => {
  // Four tight clusters, a model unsure everywhere: uncertainty alone would take rows in order (cluster by cluster).
  const rng = new Rng(5);
  const n = 100;
  const dim = 4;
  const X = new Float32Array(n * dim);
  for (let i = 0; i < n; i++) {
    const c = i % 4;
    let s = 0;
    for (let j = 0; j < dim; j++) s += (X[i * dim + j] = (j === c ? 1 : 0) + 0.01 * rng.normal()) ** 2;
    for (let j = 0; j < dim; j++) X[i * dim + j] /= Math.sqrt(s);
  }
  const probs = new Float32Array(n * 2).fill(0.5);
  const candidates = Int32Array.from({ length: n - 1 }, (_, i) => i + 1);
  for (const seed of [1, 2, 3]) {
    const picks = suggestForLabelling({ probs, nClasses: 2, X, n, dim, candidates, k: 6, seed, labelled: Int32Array.from([0]) });
    assert.equal(picks.length, 6);
    assert.equal(new Set(picks.map((p) => p.index)).size, 6, 'no row twice');
    assert.ok(
      picks.every((p) => p.index !== 0 && p.reason === 'uncertain'),
      'never a labelled row',
    );
    assert.equal(new Set(picks.slice(0, 4).map((p) => p.index % 4)).size, 4, `the first four picks cover the four clusters (seed ${seed})`);
  }
});
