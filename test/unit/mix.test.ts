/**
 * The mixed candidate (src/core/train/mix.ts): the mean of two candidates' probabilities, calibrated again on their
 * out-of-fold mean, capped like the pixel candidate, and the same mixture for any other rows.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isMix, mixOof, mixProbs, MIX_CAP_BELOW } from '../../src/core/train/mix';
import { mulberry32 } from '../../src/core/models/random';
import { argmaxRow } from '../../src/core/util/math';

/** Two noisy models of 3 classes that err on different rows: a is unsure on rows ≡ 0 mod 3, b on rows ≡ 1 mod 3. */
function twoModels(n: number, seed: number, sure = 0.8) {
  const C = 3;
  const rand = mulberry32(seed);
  const y = Int32Array.from({ length: n }, (_, i) => i % C);
  const a = new Float32Array(n * C);
  const b = new Float32Array(n * C);
  for (let i = 0; i < n; i++) {
    for (const [p, weakOn] of [
      [a, 0],
      [b, 1],
    ] as const) {
      const wrong = (y[i] + 1) % C;
      // On its weak rows a model leans a little to a wrong class; elsewhere it is right and sure.
      const right = i % 3 === weakOn ? 0.3 + 0.05 * rand() : sure + 0.1 * rand();
      const other = i % 3 === weakOn ? 0.45 : (1 - right) / 2;
      p[i * C + y[i]] = right;
      p[i * C + wrong] = other;
      p[i * C + ((y[i] + 2) % C)] = 1 - right - other;
    }
  }
  return { a, b, y, C };
}

const accuracy = (p: Float32Array, y: Int32Array, C: number) => y.filter((c, i) => argmaxRow(p, i, C) === c).length / y.length;

test('the mixture is right where either part is sure, with its own temperature; rows sum to 1', () => {
  const { a, b, y, C } = twoModels(90, 3);
  const { oof, mix } = mixOof(a, b, y, C);
  assert.ok(Math.abs(accuracy(a, y, C) - 2 / 3) < 1e-9 && Math.abs(accuracy(b, y, C) - 2 / 3) < 1e-9, 'each part errs on a third');
  assert.equal(accuracy(oof, y, C), 1, 'the mean is right on every row');
  assert.equal(mix.weight, 0.5);
  assert.ok(mix.temperature > 0 && mix.temperature < 1, `the mean is less sure than it is right: sharpened (T = ${mix.temperature})`);
  for (let i = 0; i < y.length; i++) {
    const s = oof[i * C] + oof[i * C + 1] + oof[i * C + 2];
    assert.ok(Math.abs(s - 1) < 1e-5, `row ${i} sums to ${s}`);
  }
  // Laplace smoothing: 90 right of 90 do not read as certainty.
  const meanTop = y.reduce((s, c, i) => s + oof[i * C + c], 0) / y.length;
  assert.ok(meanTop < 0.995, `mean confidence ${meanTop}`);
});

test('mixProbs mixes other rows exactly as the held-out rows were mixed', () => {
  const { a, b, y, C } = twoModels(60, 7);
  const { oof, mix } = mixOof(a, b, y, C);
  const again = mixProbs(a, b, y.length, C, mix);
  for (let q = 0; q < oof.length; q++) assert.ok(Math.abs(again[q] - oof[q]) < 1e-6, `value ${q}`);
  // The argmax is the plain mean's: the temperature and the cap never change a prediction.
  for (let i = 0; i < y.length; i++) {
    const plain = [0, 1, 2].map((c) => a[i * C + c] + b[i * C + c]);
    assert.equal(argmaxRow(again, i, C), plain.indexOf(Math.max(...plain)));
  }
});

test('no confidence beyond what a held-out row reached, when that stayed below the threshold', () => {
  // Weak parts: both lean to the right class on 7 rows of 10 and to a wrong one on the rest, never sure, so the
  // calibrated mean stays near 0.7 on the held-out rows.
  const C = 3;
  const n = 60;
  const y = Int32Array.from({ length: n }, (_, i) => i % C);
  const weak = (shift: number) =>
    Float32Array.from({ length: n * C }, (_, q) => {
      const i = Math.floor(q / C);
      const lean = i % 10 < 7 ? y[i] : (y[i] + 1) % C;
      return q % C === lean ? 0.5 + shift : (0.5 - shift) / 2;
    });
  const { oof, mix } = mixOof(weak(0), weak(0.1), y, C);
  assert.ok(mix.cap !== undefined && mix.cap < MIX_CAP_BELOW, `capped at ${mix.cap}`);
  assert.ok(Math.max(...oof) <= mix.cap + 1e-6);
  // A very sure row of another folder is capped too.
  const sureA = Float32Array.from([0.99, 0.005, 0.005]);
  const out = mixProbs(sureA, sureA, 1, C, mix);
  assert.ok(out[0] <= mix.cap + 1e-6, `${out[0]} ≤ ${mix.cap}`);
  assert.equal(argmaxRow(out, 0, C), 0, 'the cap keeps the prediction');
  // Parts that are right and sure get no cap.
  const strong = twoModels(60, 11, 0.88);
  assert.equal(mixOof(strong.a, strong.b, strong.y, strong.C).mix.cap, undefined);
});

test('a saved mixture is checked: shapes and sizes', () => {
  assert.ok(isMix({ weight: 0.5, temperature: 0.7 }));
  assert.ok(isMix({ weight: 0.5, temperature: 0.7, cap: 0.8 }));
  for (const bad of [
    null,
    3,
    {},
    { weight: 2, temperature: 1 },
    { weight: 0.5, temperature: 0 },
    { weight: 0.5, temperature: 1, cap: 0 },
    { weight: '0.5', temperature: 1 },
  ])
    assert.equal(isMix(bad), false, JSON.stringify(bad));
  assert.throws(() => mixOof(new Float32Array(6), new Float32Array(3), Int32Array.from([0, 1]), 3), /differ in size/);
  assert.throws(() => mixProbs(new Float32Array(5), new Float32Array(5), 2, 3, { weight: 0.5, temperature: 1 }), /need 2 × 3/);
});
