/**
 * src/core/train/lda.ts (discriminant directions from a few labels) and the `graphFor` option of fitSemiSupervised
 * that the audio head's `lda` fit spreads through.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { ldaProjection, projectRows } from '../../src/core/train/lda';
import { Rng } from '../../src/core/models/random';
import { initBackend } from '../../src/core/backend';
import { buildKnnGraph } from '../../src/core/train/graph';
import { fitSemiSupervised } from '../../src/core/train/semi';
import { predict } from '../../src/core/train/classifier';
import type { TrainSet } from '../../src/core/train/classifier';

/**
 * Three classes told apart by a small shift in two columns, and a nuisance — one of four "words", and noise — that
 * moves twenty other columns far more: in the raw columns (z-scored, as the audio head's features are) a row's nearest
 * neighbour is often of another class.
 */
function nuisanceData(n: number, seed: number): { X: Float32Array; y: number[]; dim: number } {
  const rng = new Rng(seed);
  const extra = 20;
  const dim = 2 + extra;
  const X = new Float32Array(n * dim);
  const y: number[] = [];
  const wordAt = Array.from({ length: 4 }, () => Array.from({ length: extra }, () => 2 * rng.normal()));
  for (let i = 0; i < n; i++) {
    const c = i % 3;
    const w = Math.floor(i / 3) % 4;
    y.push(c);
    X[i * dim] = (c === 1 ? 0.5 : 0) + 0.1 * rng.normal();
    X[i * dim + 1] = (c === 2 ? 0.5 : 0) + 0.1 * rng.normal();
    for (let q = 0; q < extra; q++) X[i * dim + 2 + q] = wordAt[w][q] + 3 * rng.normal();
  }
  for (let q = 0; q < dim; q++) {
    let s = 0;
    let s2 = 0;
    for (let i = 0; i < n; i++) [s, s2] = [s + X[i * dim + q], s2 + X[i * dim + q] ** 2];
    const mean = s / n;
    const sd = Math.sqrt(s2 / n - mean * mean);
    for (let i = 0; i < n; i++) X[i * dim + q] = (X[i * dim + q] - mean) / sd;
  }
  return { X, y, dim };
}

function nearestAccuracy(Z: Float32Array, n: number, dim: number, y: number[]): number {
  let ok = 0;
  for (let i = 0; i < n; i++) {
    let best = -1;
    let bd = Infinity;
    for (let j = 0; j < n; j++) {
      if (j === i) continue;
      let d = 0;
      for (let q = 0; q < dim; q++) d += (Z[i * dim + q] - Z[j * dim + q]) ** 2;
      if (d < bd) [bd, best] = [d, j];
    }
    if (y[best] === y[i]) ok++;
  }
  return ok / n;
}

test('ldaProjection: neighbours share the class after the projection, far more often than in the raw columns', () => {
  const { X, y, dim } = nuisanceData(240, 3);
  const n = y.length;
  const rows = [...Array(60).keys()]; // 20 labels a class, every word among them
  const p = ldaProjection(
    X,
    dim,
    rows,
    rows.map((i) => y[i]),
    3,
  );
  assert.equal(p.dim, dim);
  assert.equal(p.out, 2, 'at most C − 1 directions');
  const raw = nearestAccuracy(X, n, dim, y);
  const Z = projectRows(X, n, dim, p);
  const projected = nearestAccuracy(Z, n, p.out, y);
  assert.ok(raw < 0.8, `raw columns: nearest neighbour of the same class ${raw}`);
  assert.ok(projected > 0.9, `projected: nearest neighbour of the same class ${projected}`);
  for (let i = 0; i < n; i++) assert.ok(Math.abs(Math.hypot(Z[2 * i], Z[2 * i + 1]) - 1) < 1e-5, 'unit rows');
});

test('ldaProjection: without shrinkage the projected rows do not depend on an invertible mix of the columns', () => {
  const { X, y, dim } = nuisanceData(90, 5);
  const n = y.length;
  const rng = new Rng(9);
  const A = Float64Array.from({ length: dim * dim }, (_, k) => (k % (dim + 1) === 0 ? 2 : 0) + rng.normal() * 0.5);
  const XA = new Float32Array(n * dim);
  for (let i = 0; i < n; i++)
    for (let b = 0; b < dim; b++) {
      let s = 0;
      for (let a = 0; a < dim; a++) s += X[i * dim + a] * A[a * dim + b];
      XA[i * dim + b] = s;
    }
  const rows = [...Array(60).keys()];
  const ly = rows.map((i) => y[i]);
  const Z1 = projectRows(X, n, dim, ldaProjection(X, dim, rows, ly, 3, 1e-9));
  const Z2 = projectRows(XA, n, dim, ldaProjection(XA, dim, rows, ly, 3, 1e-9));
  // The two projections differ by a rotation (or reflection): every cosine between rows is the same.
  let worst = 0;
  for (let i = 0; i < n; i += 3)
    for (let j = 0; j < n; j += 5) {
      const c1 = Z1[2 * i] * Z1[2 * j] + Z1[2 * i + 1] * Z1[2 * j + 1];
      const c2 = Z2[2 * i] * Z2[2 * j] + Z2[2 * i + 1] * Z2[2 * j + 1];
      worst = Math.max(worst, Math.abs(c1 - c2));
    }
  assert.ok(worst < 1e-3, `cosines differ by up to ${worst}`);
});

test('ldaProjection: one class gives no direction; bad labels and shapes are refused', () => {
  const { X, dim } = nuisanceData(30, 1);
  assert.equal(ldaProjection(X, dim, [0, 3, 6], [0, 0, 0], 3).out, 0);
  assert.throws(() => ldaProjection(X, dim, [0, 1], [0, 3], 3), /label 3 outside/);
  assert.throws(() => ldaProjection(X, dim, [0, 1], [0], 3), /2 rows, 1 labels/);
  assert.throws(() => ldaProjection(X, dim, [0, 1], [0, 1], 3, 0), /shrink/);
  const p = ldaProjection(X, dim, [0, 1, 2, 3, 4, 5], [0, 1, 2, 0, 1, 2], 3);
  assert.throws(() => projectRows(X, 10, dim - 1, p), /reads 22 features/);
});

test("fitSemiSupervised with graphFor: one graph per fit from that fit's seeds; the same graph gives the same model as `graph`", async () => {
  await initBackend('cpu');
  const { X, y, dim } = nuisanceData(120, 7);
  const n = y.length;
  const lab = [...Array(30).keys()];
  const train: TrainSet = { index: Int32Array.from(lab), y: Int32Array.from(lab, (i) => y[i]), weight: new Float32Array(30).fill(1) };
  const graph = await buildKnnGraph({ X, n, dim, k: 6 });
  const seen: number[][] = [];
  const opts = { X, n, dim, train, nClasses: 3, seed: 1, hidden: [16], folds: 3 };
  const a = await fitSemiSupervised({
    ...opts,
    graphFor: async (seeds) => {
      seen.push(Array.from(seeds.index));
      return graph;
    },
  });
  const b = await fitSemiSupervised({ ...opts, graph });
  assert.equal(seen.length, 4, 'three folds and the final fit');
  const final = seen.find((s) => s.length === 30);
  assert.ok(final, 'the final fit spreads from every label');
  const folds = seen.filter((s) => s.length < 30);
  assert.equal(folds.length, 3);
  // Each held-out label is missing from exactly one fold's seeds.
  for (const i of lab) assert.equal(folds.filter((s) => !s.includes(i)).length, 1, `label ${i}`);
  assert.deepEqual(Array.from(predict(a, X, n, dim).probs), Array.from(predict(b, X, n, dim).probs));
  assert.equal(a.temperature, b.temperature);
  await assert.rejects(
    fitSemiSupervised({ ...opts, graphFor: async () => buildKnnGraph({ X, n: n - 1, dim, k: 6 }) }),
    /The graph has 119 nodes, X has 120 rows/,
  );
});
