/**
 * The full network's calibration from its agreement with the fold networks (src/core/train/calibration.ts):
 * foldAgreement, agreementAccuracy, temperatureForConfidence, agreementTemperature.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { Rng } from '../../src/core/models/random';
import {
  agreementAccuracy,
  agreementTemperature,
  foldAgreement,
  softmaxRows,
  temperatureForConfidence,
} from '../../src/core/train/calibration';
import { argmaxRow } from '../../src/core/util/math';

/** One-hot-ish logits (n × C): `margin` on the class of each row. */
function logitsFor(classes: number[], C: number, margin = 3): Float32Array {
  const out = new Float32Array(classes.length * C);
  classes.forEach((c, i) => (out[i * C + c] = margin));
  return out;
}

test('foldAgreement: the shares of rows whose top classes agree, worked by hand', () => {
  const C = 3;
  const full = logitsFor([0, 1, 2, 0], C);
  const f1 = logitsFor([0, 1, 2, 1], C); // agrees with full on 3 of 4
  const f2 = logitsFor([0, 2, 2, 1], C); // 2 of 4; with f1: 3 of 4
  const all = Int32Array.of(0, 1, 2, 3);
  const a = foldAgreement(full, [f1, f2], all, C);
  assert.equal(a.fullFold, (3 / 4 + 2 / 4) / 2);
  assert.equal(a.foldFold, 3 / 4);
  // Only the listed rows count.
  assert.deepEqual(foldAgreement(full, [f1, f2], Int32Array.of(0, 2), C), { fullFold: 1, foldFold: 1 });
  const one = foldAgreement(full, [f1], all, C);
  assert.ok(Number.isNaN(one.foldFold), 'no pair of folds');
});

test('agreementAccuracy recovers the accuracy of a network with independent errors, and is clamped', () => {
  // Simulated: a binary-ish task with many classes, so that two wrong networks rarely agree. The full network is
  // right with probability 0.95, each fold network with 0.8, independently.
  const rng = new Rng(3);
  const C = 50;
  const n = 20000;
  const truth = Array.from({ length: n }, () => rng.int(C));
  const noisy = (acc: number) => truth.map((t) => (rng.next() < acc ? t : (t + 1 + rng.int(C - 1)) % C));
  const full = logitsFor(noisy(0.95), C);
  const folds = [0, 1, 2, 3].map(() => logitsFor(noisy(0.8), C));
  const rows = Int32Array.from({ length: n }, (_, i) => i);
  const ag = foldAgreement(full, folds, rows, C);
  const est = agreementAccuracy(0.8, ag);
  assert.ok(Math.abs(est - 0.95) < 0.01, `estimated ${est}`);
  // The folds alone cannot say more than their accuracy: equal agreements give it back; bad input gives it back.
  assert.equal(agreementAccuracy(0.7, { fullFold: 0.6, foldFold: 0.6 }), 0.7);
  assert.equal(agreementAccuracy(0.7, { fullFold: 0.6, foldFold: NaN }), 0.7);
  assert.equal(agreementAccuracy(0.9, { fullFold: 0.99, foldFold: 0.5 }), 1, 'clamped to 1');
});

test('temperatureForConfidence: the mean top probability at the returned temperature is the target', () => {
  const rng = new Rng(5);
  const C = 4;
  const n = 300;
  const logits = Float32Array.from({ length: n * C }, () => 3 * rng.normal());
  const rows = Int32Array.from({ length: n }, (_, i) => i);
  const meanTop = (T: number) => {
    const p = softmaxRows(logits, n, C, T);
    let s = 0;
    for (let i = 0; i < n; i++) s += p[i * C + argmaxRow(p, i, C)];
    return s / n;
  };
  for (const target of [0.5, 0.8, 0.95]) {
    const T = temperatureForConfidence(logits, rows, C, target);
    assert.ok(Math.abs(meanTop(T) - target) < 1e-4, `target ${target}: ${meanTop(T)} at T = ${T}`);
  }
  // Out of reach: the bounds.
  assert.equal(temperatureForConfidence(logits, rows, C, 1 / C, { maxT: 20 }), 20);
  assert.equal(temperatureForConfidence(logits, rows, C, 1, { minT: 0.05 }), 0.05);
  assert.equal(temperatureForConfidence(logits, new Int32Array(0), C, 0.9), 1);
});

test('agreementTemperature: a full network better than its folds gets a lower temperature than theirs', () => {
  const rng = new Rng(9);
  const C = 20;
  const n = 4000;
  const truth = Array.from({ length: n }, () => rng.int(C));
  // Logits: the true class (or a wrong one) gets a noisy margin, so confidences vary.
  const net = (acc: number) => {
    const out = new Float32Array(n * C);
    truth.forEach((t, i) => {
      const c = rng.next() < acc ? t : (t + 1 + rng.int(C - 1)) % C;
      for (let k = 0; k < C; k++) out[i * C + k] = 0.5 * rng.normal();
      out[i * C + c] += 2 + rng.next() * 2;
    });
    return out;
  };
  const full = net(0.97);
  const folds = [0, 1, 2, 3].map(() => net(0.8));
  // The folds' out-of-fold logits on 1,000 held-out labels (rows 0..999), each row from one fold.
  const m = 1000;
  const oofLogits = new Float32Array(m * C);
  for (let j = 0; j < m; j++) oofLogits.set(folds[j % 4].subarray(j * C, (j + 1) * C), j * C);
  const oofY = Int32Array.from({ length: m }, (_, j) => truth[j]);
  const rows = Int32Array.from({ length: n - m }, (_, i) => m + i);
  const r = agreementTemperature({ oofLogits, oofY, full, folds, rows, C });
  assert.ok(Math.abs(r.foldsAccuracy - 0.8) < 0.03, `folds ${r.foldsAccuracy}`);
  assert.ok(r.accuracy > r.foldsAccuracy + 0.1, `the full network is estimated better: ${r.accuracy}`);
  assert.ok(r.temperature < r.foldsTemperature, `${r.temperature} < ${r.foldsTemperature} (${JSON.stringify(r)})`);
  // Its mean confidence on the unlabelled rows is the estimate, and the estimate is near its true accuracy.
  const p = softmaxRows(full, n, C, r.temperature);
  let conf = 0;
  let ok = 0;
  for (const i of rows) {
    const b = argmaxRow(p, i, C);
    conf += p[i * C + b];
    if (b === truth[i]) ok++;
  }
  assert.ok(Math.abs(conf / rows.length - r.accuracy) < 1e-3, `mean confidence ${conf / rows.length} vs ${JSON.stringify(r)}`);
  assert.ok(Math.abs(r.accuracy - ok / rows.length) < 0.03, `estimate ${r.accuracy} vs true ${ok / rows.length}`);
  // An estimate of 100% (the folds' held-out labels all right, and the full network agreeing with them more than they
  // do with each other) is smoothed over the held-out labels: (m + 1)/(m + 2), not a temperature at its bound.
  // Here 20 held-out labels, all right.
  const few = oofLogits.subarray(0, 20 * C);
  const perfect = agreementTemperature({
    oofLogits: few,
    oofY: Int32Array.from({ length: 20 }, (_, j) => argmaxRow(few, j, C)),
    full,
    folds,
    rows,
    C,
  });
  assert.equal(perfect.foldsAccuracy, 1);
  assert.ok(Math.abs(perfect.accuracy - 21 / 22) < 1e-9, `${perfect.accuracy}`);
  assert.ok(perfect.temperature > 0.05);
  // Without unlabelled rows, the folds' temperature.
  const none = agreementTemperature({ oofLogits, oofY, full, folds, rows: new Int32Array(0), C });
  assert.equal(none.temperature, none.foldsTemperature);
});
