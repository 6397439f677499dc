/**
 * The noisy student's verdict (src/core/train/student.ts): which rows it learns, when the human labels keep its mean
 * with the teacher, the teacher's cap on the mean, and the cross-fitted verdict (halves of the human labels, the
 * judging students' lessons, the verdict with both sides calibrated on labels neither saw).
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import {
  confidentRows,
  crossFitHalves,
  crossFittedVerdict,
  enoughForStudent,
  judgeStudent,
  keepsStudent,
  studentMean,
  studentRows,
  STUDENT_MIN_PER_CLASS,
  transferTemperature,
  TRANSFER_RATIO_BOUNDS,
} from '../../src/core/train/student';
import { fitTemperature } from '../../src/core/train/calibration';
import { argmaxRow, softmaxRows } from '../../src/core/util/math';
import { Rng } from '../../src/core/models/random';

/** Rows × C probabilities, each row putting `p` on its class and the rest evenly on the others. */
function confident(classes: number[], C: number, p: number): Float32Array {
  const out = new Float32Array(classes.length * C).fill((1 - p) / (C - 1));
  classes.forEach((c, i) => (out[i * C + c] = p));
  return out;
}

test('studentRows: the rows no person labelled, by holdout mask', () => {
  const t = {
    index: Int32Array.from([4, 7, 9, 12]),
    y: Int32Array.from([0, 1, 1, 0]),
    weight: Float32Array.from([1, 1, 1, 0.5]),
    holdout: Uint8Array.from([1, 0, 1, 0]),
  };
  const r = studentRows(t);
  assert.deepEqual(Array.from(r.rows), [7, 12]);
  assert.deepEqual(Array.from(r.y), [1, 0]);
  assert.equal(enoughForStudent(r.y, 2), false, 'two rows are too few');
  const many = Array.from({ length: STUDENT_MIN_PER_CLASS * 3 }, (_, k) => k % 3);
  assert.equal(enoughForStudent(many, 3), true);
  assert.equal(
    enoughForStudent(
      many.map(() => 1),
      3,
    ),
    false,
    'one class alone teaches nothing',
  );
});

test('judgeStudent: kept where it corrects the teacher, left out where it only adds errors', () => {
  const C = 3;
  const labels = Int32Array.from([0, 1, 2, 0, 1, 2, 0, 1, 2, 0]);
  // The teacher gets the last 3 wrong (class + 1) with little confidence; right elsewhere, fairly sure.
  const teacherClasses = Array.from(labels, (c, i) => (i >= 7 ? (c + 1) % C : c));
  const teacher = confident(teacherClasses, C, 0.7);
  for (let i = 7; i < 10; i++) teacher[i * C + teacherClasses[i]] = 0.45;
  for (let i = 7; i < 10; i++) teacher[i * C + labels[i]] = 0.4;
  for (let i = 7; i < 10; i++) teacher[i * C + ((labels[i] + 2) % C)] = 0.15;
  const good = confident(Array.from(labels), C, 0.9);
  const v = judgeStudent({ teacher, student: good, labels, nClasses: C });
  assert.equal(v.heldOut.head.accuracy, 0.7);
  assert.equal(v.heldOut.student.accuracy, 1);
  assert.equal(v.heldOut.mean.accuracy, 1, 'the mean takes the right class where the teacher was unsure');
  assert.ok(v.heldOut.mean.logLoss < v.heldOut.head.logLoss);
  assert.equal(v.kept, true);
  assert.ok(v.temperature > 0);
  // A student that is confidently wrong on every label: its mean loses accuracy, so it is left out.
  const bad = confident(
    Array.from(labels, (c) => (c + 2) % C),
    C,
    0.95,
  );
  const w = judgeStudent({ teacher, student: bad, labels, nClasses: C });
  assert.ok(w.heldOut.mean.accuracy < w.heldOut.head.accuracy);
  assert.equal(w.kept, false);
  assert.throws(() => judgeStudent({ teacher, student: new Float32Array(3), labels, nClasses: C }), /judgeStudent/);
});

test('judgeStudent: a student weaker than its teacher is left out even when their mean is better', () => {
  const C = 3;
  const labels = Int32Array.from([0, 1, 2, 0, 1, 2, 0, 1, 2, 0]);
  // The teacher: right on the first 7 (0.7), unsure and wrong on the last 3.
  const teacherClasses = Array.from(labels, (c, i) => (i >= 7 ? (c + 1) % C : c));
  const teacher = confident(teacherClasses, C, 0.7);
  for (let i = 7; i < 10; i++) {
    teacher[i * C + teacherClasses[i]] = 0.45;
    teacher[i * C + labels[i]] = 0.4;
    teacher[i * C + ((labels[i] + 2) % C)] = 0.15;
  }
  // The student: sure and right where the teacher errs, mildly wrong on 4 of the teacher's right ones (6 of 10).
  const student = confident(Array.from(labels), C, 0.9);
  for (let i = 0; i < 4; i++) {
    student.fill(0.25, i * C, (i + 1) * C);
    student[i * C + ((labels[i] + 1) % C)] = 0.5;
  }
  const v = judgeStudent({ teacher, student, labels, nClasses: C });
  assert.equal(v.heldOut.head.accuracy, 0.7);
  assert.equal(v.heldOut.student.accuracy, 0.6);
  assert.equal(v.heldOut.mean.accuracy, 1, 'the mean alone would pass');
  assert.ok(v.heldOut.mean.logLoss < v.heldOut.head.logLoss, 'so would its log-loss');
  assert.equal(v.kept, false, 'the student alone is weaker than the teacher');
  assert.equal(keepsStudent(v.heldOut), false);
  // The same figures with the student as accurate as the teacher keep it.
  assert.equal(keepsStudent({ ...v.heldOut, student: { accuracy: 0.7 } }), true);
  assert.equal(keepsStudent({ ...v.heldOut, student: { accuracy: 0.7 }, mean: { ...v.heldOut.mean, accuracy: 0.6 } }), false);
});

test('studentMean: the mean moves the label but never claims more than the teacher in its class', () => {
  const C = 3;
  const teacher = Float32Array.from([0.5, 0.3, 0.2, 0.96, 0.02, 0.02]);
  const student = Float32Array.from([0.01, 0.98, 0.01, 0.98, 0.01, 0.01]);
  const m = studentMean(teacher, student, 0.5, 0.5, 2, C);
  // Row 0: the student flips it to class 1; its confidence there is at most the teacher's 0.3 (above 1/C + 0.01).
  assert.equal(
    [0, 1, 2].reduce((b, c) => (m[c] > m[b] ? c : b), 0),
    1,
    'the student moved the label',
  );
  assert.ok(m[1] <= Math.max(0.3, 1 / C + 0.01) + 1e-6, `capped: ${m[1]}`);
  // Row 1: both agree; a sharp temperature may not push it past the teacher's 0.96.
  assert.ok(m[3] <= 0.96 + 1e-6 && m[3] > 0.9, `row 1 capped at the teacher: ${m[3]}`);
  for (let i = 0; i < 2; i++) assert.ok(Math.abs(m[i * C] + m[i * C + 1] + m[i * C + 2] - 1) < 1e-5, `row ${i} sums to 1`);
});

test('crossFitHalves: two stratified halves of the human labels, each judged once, never fitted and judged at once', () => {
  // 3 classes with 5, 4 and 2 human labels, and 3 accepted rows (not human) that no half may use.
  const ys = [0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 0, 1, 2];
  const t = {
    index: Int32Array.from(ys, (_, k) => 100 + k),
    y: Int32Array.from(ys),
    weight: new Float32Array(ys.length).fill(1),
    holdout: Uint8Array.from(ys, (_, k) => (k < 11 ? 1 : 0)),
  };
  const h = crossFitHalves(t, 3, 1)!;
  assert.equal(h.length, 2);
  const human = [...Array(11).keys()];
  for (const { fit, judge } of h) {
    assert.deepEqual(
      [...fit, ...judge].sort((a, b) => a - b),
      human,
      'each half: every human label, fitted or judged',
    );
    assert.equal(fit.filter((k) => judge.includes(k)).length, 0, 'none both fitted and judged');
    for (let c = 0; c < 3; c++)
      assert.ok(
        fit.some((k) => ys[k] === c),
        `class ${c} in every fitting half`,
      );
  }
  assert.deepEqual(
    [...h[0].judge, ...h[1].judge].sort((a, b) => a - b),
    human,
    'each label judged exactly once',
  );
  assert.deepEqual(h[0].fit, h[1].judge);
  // Per class the halves differ by at most one, and overall by at most one.
  for (let c = 0; c < 3; c++) {
    const a = h[0].judge.filter((k) => ys[k] === c).length;
    const b = h[1].judge.filter((k) => ys[k] === c).length;
    assert.ok(Math.abs(a - b) <= 1, `class ${c}: ${a} and ${b}`);
  }
  assert.ok(Math.abs(h[0].judge.length - h[1].judge.length) <= 1);
  assert.deepEqual(crossFitHalves(t, 3, 1), h, 'the same seed, the same halves');
  // A class with one human label cannot be in both fitting halves: no cross-fitted verdict.
  assert.equal(crossFitHalves({ ...t, holdout: Uint8Array.from(ys, (_, k) => (k < 10 ? 1 : 0)) }, 3, 1), undefined);
});

test("confidentRows: the surest rows that no person labelled, with the teacher's classes", () => {
  const C = 2;
  const probs = Float32Array.from([0.9, 0.1, 0.6, 0.4, 0.2, 0.8, 0.99, 0.01, 0.45, 0.55]);
  const r = confidentRows(probs, 5, C, new Set([3]), 2);
  assert.deepEqual(Array.from(r.rows), [0, 2], 'rows 0 (0.9) and 2 (0.8); row 3 (0.99) is human-labelled');
  assert.deepEqual(Array.from(r.y), [0, 1]);
  assert.equal(confidentRows(probs, 5, C, new Set(), 99).rows.length, 5, 'no more than there are');
});

test('crossFittedVerdict: judged on labels neither side saw, the teacher calibrated too, the mean uncapped', () => {
  const C = 3;
  const labels = Int32Array.from([0, 1, 2, 0, 1, 2, 0, 1, 2, 0]);
  // An over-sure teacher (0.97) that is wrong on 3 of 10: calibrating it on the labels lowers its log-loss.
  const tc = Array.from(labels, (c, i) => (i >= 7 ? (c + 1) % C : c));
  const teacher = confident(tc, C, 0.97);
  const good = confident(Array.from(labels), C, 0.9);
  const parts = [
    { teacher: teacher.slice(0, 5 * C), student: good.slice(0, 5 * C), labels: labels.slice(0, 5) },
    { teacher: teacher.slice(5 * C), student: good.slice(5 * C), labels: labels.slice(5) },
  ];
  const v = crossFittedVerdict(parts, C);
  assert.equal(v.heldOut.labels, 10);
  assert.ok(v.teacherTemperature > 1, `an over-sure teacher is softened: T = ${v.teacherTemperature}`);
  const raw = judgeStudent({ teacher, student: good, labels, nClasses: C });
  assert.ok(v.heldOut.head.logLoss < raw.heldOut.head.logLoss, 'the teacher is judged at its own best temperature');
  assert.equal(v.heldOut.head.accuracy, 0.7);
  assert.equal(v.kept, true);
  // Uncapped: where the student corrects the teacher, the mean may be surer than the teacher in that class.
  const i = 8;
  const top = [0, 1, 2].reduce((b, c) => (v.mean[i * C + c] > v.mean[i * C + b] ? c : b), 0);
  assert.equal(top, labels[i]);
  assert.ok(v.mean[i * C + top] > v.teacher[i * C + top], `${v.mean[i * C + top]} over the teacher's ${v.teacher[i * C + top]}`);
  for (let r = 0; r < 10; r++) assert.ok(Math.abs(v.teacher.slice(r * C, r * C + C).reduce((a, b) => a + b, 0) - 1) < 1e-5);
  // A confidently wrong student is still left out.
  const bad = confident(
    Array.from(labels, (c) => (c + 2) % C),
    C,
    0.95,
  );
  const w = crossFittedVerdict([{ teacher, student: bad, labels }], C);
  assert.equal(w.kept, false);
});

test("transferTemperature: the judging pairs' temperature moved by the teachers' ratio, bounded", () => {
  assert.equal(transferTemperature(1.2, 1.5, 2, 1), 1.2 * 0.75, 'a student that is the whole mean moves by the whole ratio');
  assert.equal(transferTemperature(1.2, 1.5, 2, 0), 1.2, 'no student: the teacher is calibrated already');
  assert.ok(Math.abs(transferTemperature(1.2, 1.5, 2) - 1.2 * Math.sqrt(0.75)) < 1e-12, 'the default weight, half');
  assert.equal(transferTemperature(1, 3, 2, 1), 1.5, 'a real teacher softer than the half-label ones softens the pair too');
  const [lo, hi] = TRANSFER_RATIO_BOUNDS;
  assert.equal(transferTemperature(1, 0.1, 10, 1), lo);
  assert.equal(transferTemperature(1, 10, 0.1, 1), hi);
  for (const bad of [0, -1, NaN]) {
    assert.equal(transferTemperature(1.3, bad, 2), 1.3, `teacherFull ${bad}: unchanged`);
    assert.equal(transferTemperature(1.3, 2, bad), 1.3, `teacherHalf ${bad}: unchanged`);
    assert.equal(transferTemperature(1.3, 1, 2, bad), 1.3, `weight ${bad}: unchanged`);
  }
});

/**
 * Logits of a model of strength s on items of classes y: s on the right class plus unit Gaussian noise on every
 * class. Its honest temperature is 1 / s (the posterior of y given such logits is softmax(s · z)).
 */
function modelLogits(y: Int32Array, C: number, s: number, rng: Rng): Float32Array {
  const z = new Float32Array(y.length * C);
  y.forEach((c, i) => {
    for (let k = 0; k < C; k++) z[i * C + k] = (k === c ? s : 0) + rng.normal();
  });
  return z;
}

test("transferTemperature: where the pair sharpens with its teacher, the real pair's proposals claim what they measure", () => {
  const C = 5;
  const rng = new Rng(11);
  const classes = (n: number) => Int32Array.from({ length: n }, () => rng.int(C));
  // Half-label teachers (strength 1.0) and the real teacher (2.0); each student as strong as its teacher.
  const [half, full] = [1.0, 2.0];
  const m = 400;
  const judgedY = classes(m);
  const halfT = softmaxRows(modelLogits(judgedY, C, half, rng), m, C, 1);
  const halfS = softmaxRows(modelLogits(judgedY, C, half, rng), m, C, 1);
  const v = crossFittedVerdict([{ teacher: halfT, student: halfS, labels: judgedY }], C);
  // The real teacher's cross-validation temperature, on labels it did not see.
  const cvY = classes(m);
  const teacherFull = fitTemperature(modelLogits(cvY, C, full, rng), cvY, C);
  assert.ok(Math.abs(teacherFull - 1 / full) < 0.12, `the real teacher's temperature ${teacherFull} ≈ 1/${full}`);
  assert.ok(Math.abs(v.teacherTemperature - 1 / half) < 0.15, `the half-label teachers' ${v.teacherTemperature} ≈ 1/${half}`);
  const moved = transferTemperature(v.temperature, teacherFull, v.teacherTemperature);
  assert.ok(moved < v.temperature, `sharper: ${moved} < ${v.temperature}`);
  // The real pair on a pool: its teacher calibrated at teacherFull, its student raw, the mean at each temperature.
  const n = 6000;
  const poolY = classes(n);
  const realT = softmaxRows(modelLogits(poolY, C, full, rng), n, C, teacherFull);
  const realS = softmaxRows(modelLogits(poolY, C, full, rng), n, C, 1);
  const gap = (T: number) => {
    const P = studentMean(realT, realS, v.weight, T, n, C, false);
    let k = 0;
    let claim = 0;
    let right = 0;
    for (let i = 0; i < n; i++) {
      const top = argmaxRow(P, i, C);
      if (P[i * C + top] < 0.9) continue;
      k++;
      claim += P[i * C + top];
      if (top === poolY[i]) right++;
    }
    return { k, gap: (100 * (right - claim)) / k };
  };
  const before = gap(v.temperature);
  const after = gap(moved);
  // The whole ratio (as if the teacher's part were not calibrated already) overshoots and over-claims.
  const whole = gap(transferTemperature(v.temperature, teacherFull, v.teacherTemperature, 1));
  assert.ok(whole.gap < 0 && whole.gap < after.gap - 1, `the whole ratio over-claims: ${whole.gap.toFixed(1)} points`);
  assert.ok(before.gap > 2, `the judging pairs' temperature under-claims: measured − claimed ${before.gap.toFixed(1)} points`);
  assert.ok(Math.abs(after.gap) < 2, `moved, within 2 points: ${after.gap.toFixed(1)} (${after.k} proposals)`);
  assert.ok(after.k > before.k, `more proposals: ${after.k} against ${before.k}`);
});
