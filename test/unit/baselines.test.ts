/**
 * The plain baselines of the bench (src/bench/baselines): PCA, logistic regression and TF-IDF checked against cases
 * worked out by hand, and the runner on real PNG and text files on disk.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PNG } from 'pngjs';
import { argmaxRows, fitLogReg, fitPca, pcaTransform, predictLogReg, type Rows } from '../../src/bench/baselines/linear';
import { symmetricEigen } from '../../src/core/util/linalg';
import { fitTfidf, tfidfRows, tokenize } from '../../src/bench/baselines/tfidf';
import { runPlainBaselines } from '../../src/bench/baselines';
import { inputGeometry } from '../../src/core/modalities/image/geometry';
import { scanWorkspace } from '../../src/core/dataset';

const close = (a: number, b: number, eps = 1e-6, msg?: string) => assert.ok(Math.abs(a - b) <= eps, msg ?? `${a} ≉ ${b}`);

test('symmetricEigen: a 2×2 matrix worked by hand', () => {
  // [[2,1],[1,2]]: eigenvalues 3 (vector (1,1)/√2) and 1 (vector (1,-1)/√2).
  const { values, vectors } = symmetricEigen(Float64Array.from([2, 1, 1, 2]), 2);
  const order = values[0] > values[1] ? [0, 1] : [1, 0];
  close(values[order[0]], 3);
  close(values[order[1]], 1);
  close(Math.abs(vectors[0 * 2 + order[0]]), Math.SQRT1_2);
  close(vectors[0 * 2 + order[0]] * vectors[1 * 2 + order[0]], 0.5, 1e-9, 'the top vector is ±(1,1)/√2');
});

test('fitPca: points on the line y = x give the component (1,1)/√2, variance 2, and the projections by hand', () => {
  // (1,1), (2,2), (3,3): mean (2,2); centred projections −√2, 0, √2; unbiased variance (2 + 0 + 2) / 2 = 2.
  const X = Float64Array.from([1, 1, 2, 2, 3, 3]);
  const p = fitPca(X, 3, 2, 1, { seed: 5 });
  assert.equal(p.k, 1);
  close(p.mean[0], 2);
  close(p.components[0], Math.SQRT1_2);
  close(p.components[1], Math.SQRT1_2);
  close(p.variance[0], 2);
  const Z = pcaTransform(p, X, 3);
  close(Z[0], -Math.SQRT2);
  close(Z[1], 0);
  close(Z[2], Math.SQRT2);
  // Deterministic: the same call gives the same components, bit for bit.
  assert.deepEqual([...fitPca(X, 3, 2, 1, { seed: 5 }).components], [...p.components]);
});

test('fitPca recovers the top variance directions of anisotropic data (k < dim, randomized)', () => {
  // 200 points: axis 0 spread ±10, axis 1 ±3, axes 2..9 ±0.1. The top two components are ±e0 and ±e1.
  const rand = (() => {
    let s = 7;
    return () => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 2 - 1;
  })();
  const n = 200;
  const dim = 10;
  const X = new Float64Array(n * dim);
  for (let i = 0; i < n; i++) for (let d = 0; d < dim; d++) X[i * dim + d] = rand() * (d === 0 ? 10 : d === 1 ? 3 : 0.1);
  const p = fitPca(X, n, dim, 2, { seed: 1 });
  assert.ok(Math.abs(p.components[0]) > 0.999, `first component ${p.components.slice(0, dim)}`);
  assert.ok(Math.abs(p.components[dim + 1]) > 0.999, `second component ${p.components.slice(dim, 2 * dim)}`);
  assert.ok(p.variance[0] > p.variance[1]);
});

test('fitLogReg without penalty reproduces the empirical class frequencies (3 of 4 → 0.75)', () => {
  // One feature x ∈ {+1, −1}; at x = +1 three items are class 1 and one class 0, mirrored at x = −1. The model is
  // saturated (two distinct inputs), so the maximum-likelihood fit gives p(1 | +1) = 0.75, p(1 | −1) = 0.25.
  const X = Float64Array.from([1, 1, 1, 1, -1, -1, -1, -1]);
  const y = [1, 1, 1, 0, 0, 0, 0, 1];
  const rows: Rows = { kind: 'dense', X, n: 8, dim: 1 };
  const m = fitLogReg(rows, [...Array(8).keys()], y, 2, { lambda: 0, maxIterations: 20000, tolerance: 1e-9 });
  const P = predictLogReg(m, rows);
  close(P[0 * 2 + 1], 0.75, 1e-4);
  close(P[4 * 2 + 1], 0.25, 1e-4);
  close(P[0] + P[1], 1, 1e-12);
  // The logit difference is ln 3 (bias-free by symmetry).
  close((m.W[1] - m.W[0]) * 1 + (m.b[1] - m.b[0]), Math.log(3), 1e-3);
});

test('fitLogReg with the default penalty shrinks towards uniform, and sparse rows give the same fit as dense', () => {
  const X = Float64Array.from([1, 0, 0, 1, 1, 0, 0, 1, 0.9, 0.1]);
  const dense: Rows = { kind: 'dense', X, n: 5, dim: 2 };
  const sparse: Rows = {
    kind: 'sparse',
    idx: [Int32Array.from([0]), Int32Array.from([1]), Int32Array.from([0]), Int32Array.from([1]), Int32Array.from([0, 1])],
    val: [Float32Array.from([1]), Float32Array.from([1]), Float32Array.from([1]), Float32Array.from([1]), Float32Array.from([0.9, 0.1])],
    n: 5,
    dim: 2,
  };
  const train = [0, 1, 2, 3];
  const y = [0, 1, 0, 1];
  const a = fitLogReg(dense, train, y, 2);
  const b = fitLogReg(sparse, train, y, 2);
  const Pa = predictLogReg(a, dense);
  const Pb = predictLogReg(b, sparse);
  for (let q = 0; q < Pa.length; q++) close(Pa[q], Pb[q], 1e-6);
  assert.deepEqual([...argmaxRows(Pa, 5, 2)], [0, 1, 0, 1, 0]);
  // Separable data: unpenalised the fit would run to certainty; the penalty (λ = 1/4) keeps it well below.
  assert.ok(Pa[0] > 0.5 && Pa[0] < 0.95, `p = ${Pa[0]}`);
  const none = predictLogReg(fitLogReg(dense, train, y, 2, { lambda: 0, maxIterations: 3000 }), dense);
  assert.ok(none[0] > Pa[0] + 0.01, 'a penalty lowers the confidence');
});

test('TF-IDF: tokens and weights worked by hand (smooth idf, L2 rows)', () => {
  assert.deepEqual(tokenize('A cat, a CAT; x 42 über'), ['cat', 'cat', '42', 'über']);
  // docs "aa bb", "aa cc": n = 2; idf(aa) = ln(3/3) + 1 = 1, idf(bb) = idf(cc) = ln(3/2) + 1.
  const m = fitTfidf(['aa bb', 'aa cc']);
  assert.deepEqual([...m.vocab.keys()], ['aa', 'bb', 'cc']);
  const w = Math.log(1.5) + 1;
  close(m.idf[0], 1);
  close(m.idf[1], w);
  const rows = tfidfRows(m, ['aa bb bb', 'zz']);
  const norm = Math.sqrt(1 + (2 * w) ** 2);
  assert.deepEqual([...rows.idx[0]], [0, 1]);
  close(rows.val[0][0], 1 / norm);
  close(rows.val[0][1], (2 * w) / norm);
  assert.equal(rows.idx[1].length, 0, 'unknown terms are ignored');
  // maxFeatures keeps the most frequent terms.
  assert.deepEqual([...fitTfidf(['aa bb', 'aa cc', 'aa cc'], { maxFeatures: 2 }).vocab.keys()], ['aa', 'cc']);
});

function writePng(file: string, w: number, h: number, rgba: (x: number, y: number) => [number, number, number, number]) {
  const png = new PNG({ width: w, height: h });
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const [r, g, b, a] = rgba(x, y);
      const q = (y * w + x) * 4;
      png.data[q] = r;
      png.data[q + 1] = g;
      png.data[q + 2] = b;
      png.data[q + 3] = a;
    }
  }
  fs.writeFileSync(file, PNG.sync.write(png));
}

test('runPlainBaselines on real PNG files: separable classes are learnt, random-budget and dataset accuracy scored', async () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'selflabel-baselines-'));
  try {
    const pool = path.join(tmp, 'pool');
    const testDir = path.join(tmp, 'test');
    fs.mkdirSync(pool);
    fs.mkdirSync(testDir);
    const truth = new Map<string, string>();
    const testTruth = new Map<string, string>();
    // Class "h": a red horizontal bar; class "v": a blue vertical bar; at a jittered position.
    const draw = (file: string, cls: string, k: number) =>
      writePng(file, 16, 16, (x, y) => {
        const on = cls === 'h' ? Math.abs(y - (6 + (k % 3))) <= 1 : Math.abs(x - (6 + (k % 3))) <= 1;
        return on ? (cls === 'h' ? [200, 30 + k, 40, 255] : [40, 30 + k, 200, 255]) : [250, 250, 250, 255];
      });
    for (let k = 0; k < 40; k++) {
      const cls = k % 2 ? 'h' : 'v';
      draw(path.join(pool, `p${k}.png`), cls, k);
      truth.set(`p${k}.png`, cls);
    }
    for (let k = 0; k < 10; k++) {
      const cls = k % 2 ? 'h' : 'v';
      draw(path.join(testDir, `t${k}.png`), cls, k + 3);
      testTruth.set(`t${k}.png`, cls);
    }
    fs.writeFileSync(path.join(testDir, 'broken.png'), 'not a png');
    testTruth.set('broken.png', 'h');
    const scan = await scanWorkspace(pool);
    assert.deepEqual(inputGeometry(scan.items), { size: 16, channels: 3 });
    const human = new Map([
      ['p0.png', 'v'],
      ['p1.png', 'h'],
      ['p2.png', 'v'],
      ['p3.png', 'h'],
    ]);
    const out = await runPlainBaselines({
      modality: 'image',
      poolRoot: pool,
      poolItems: scan.items,
      poolTruth: truth,
      human,
      classes: ['h', 'v'],
      test: { root: testDir, truth: testTruth },
      randomBudget: 6,
      seed: 3,
    });
    assert.deepEqual(
      out.map((b) => b.name),
      ['pca-logreg', 'random-pca-logreg'],
    );
    assert.equal(out[0].labels, 4);
    assert.equal(out[1].labels, 6);
    for (const b of out) {
      assert.ok(b.testAccuracy !== null && b.testAccuracy >= 0.8 && b.testAccuracy <= 10 / 11 + 1e-12, `${b.name} test ${b.testAccuracy}`);
      assert.ok(b.datasetLabelAccuracy >= 0.8, `${b.name} dataset ${b.datasetLabelAccuracy}`);
    }
    // The same inputs give the same numbers.
    const again = await runPlainBaselines({
      modality: 'image',
      poolRoot: pool,
      poolItems: scan.items,
      poolTruth: truth,
      human,
      classes: ['h', 'v'],
      test: { root: testDir, truth: testTruth },
      randomBudget: 6,
      seed: 3,
    });
    assert.deepEqual(
      again.map((b) => [b.testAccuracy, b.datasetLabelAccuracy]),
      out.map((b) => [b.testAccuracy, b.datasetLabelAccuracy]),
    );
    // No human label: no classifier; the dataset accuracy is 0 and nothing on the test set is predicted.
    const none = await runPlainBaselines({
      modality: 'image',
      poolRoot: pool,
      poolItems: scan.items,
      poolTruth: truth,
      human: new Map(),
      classes: ['h', 'v'],
      seed: 3,
    });
    assert.equal(none[0].datasetLabelAccuracy, 0);
    assert.equal(none[0].testAccuracy, null);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});

test('runPlainBaselines on text files and JSONL rows: TF-IDF + logistic regression', async () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'selflabel-baselines-'));
  try {
    const pool = path.join(tmp, 'pool');
    fs.mkdirSync(pool);
    const truth = new Map<string, string>();
    const food = ['bread butter cheese', 'soup bread salt', 'cheese wine bread', 'salt pepper soup', 'butter cake sugar'];
    const code = ['compile linker error', 'kernel driver compile', 'linker symbol error', 'driver module kernel', 'error stack trace'];
    const rows: string[] = [];
    for (let k = 0; k < 5; k++) {
      fs.writeFileSync(path.join(pool, `f${k}.txt`), food[k]);
      truth.set(`f${k}.txt`, 'food');
      rows.push(JSON.stringify({ text: code[k] }));
      truth.set(`code.jsonl#${k + 1}`, 'code');
    }
    fs.writeFileSync(path.join(pool, 'code.jsonl'), rows.join('\n') + '\n');
    const scan = await scanWorkspace(pool);
    assert.equal(scan.items.length, 10);
    const out = await runPlainBaselines({
      modality: 'text',
      poolRoot: pool,
      poolItems: scan.items,
      poolTruth: truth,
      human: new Map([
        ['f0.txt', 'food'],
        ['code.jsonl#1', 'code'],
        ['f2.txt', 'food'],
        ['code.jsonl#2', 'code'],
      ]),
      classes: ['code', 'food'],
      seed: 1,
    });
    assert.equal(out.length, 1, 'no random-budget baseline without a budget');
    assert.equal(out[0].name, 'tfidf-logreg');
    assert.equal(out[0].testAccuracy, null, 'no test set');
    // f1 shares "bread", "soup" with the labelled food; code rows 3–4 share "linker", "error", "driver", "kernel".
    assert.ok(out[0].datasetLabelAccuracy >= 0.8, `dataset ${out[0].datasetLabelAccuracy}`);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});
