/**
 * Choosing the model by held-out human labels (src/core/train/select.ts) and the pool's class priors by EM
 * (src/core/train/priors.ts), on synthetic data whose answer is known (active learning: activeLearning.test.ts).
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import {
  accuracyOnRows,
  calibrationSplit,
  chooseCandidate,
  keepEnsemble,
  pairedRecord,
  signTestP,
  oofAccuracyOn,
  withoutPositions,
  MIN_HELD_OUT_LABELS,
  humanFolds,
  withoutFold,
  outOfFoldRows,
  oofRows,
  foldsFor,
  foldTrainSet,
  humanOnly,
  sampleAccuracy,
  sampleJudge,
} from '../../src/core/train/select';
import {
  applyPriorWeights,
  baggedBbsePriors,
  bbsePriors,
  chiSquareQuantile,
  estimatePoolPriors,
  priorShiftEvidence,
  trainingPriors,
} from '../../src/core/train/priors';
import { planStudent } from '../../src/core/train/selfTraining';
import { fullItemsSeen, scratchEpochs } from '../../src/core/modalities/image/finetune';
import { Rng } from '../../src/core/models/random';
import { softmaxRows } from '../../src/core/util/math';

function trainSet(perClass: number, C: number, accepted = 0) {
  const index: number[] = [];
  const y: number[] = [];
  const hold: number[] = [];
  for (let c = 0; c < C; c++)
    for (let j = 0; j < perClass + accepted; j++) {
      index.push(index.length * 3);
      y.push(c);
      hold.push(j < perClass ? 1 : 0);
    }
  return {
    index: Int32Array.from(index),
    y: Int32Array.from(y),
    weight: new Float32Array(index.length).fill(1),
    holdout: Uint8Array.from(hold),
  };
}

test('calibrationSplit: a stratified fifth of the human labels only, the same rows the student holds out', () => {
  const t = trainSet(10, 4, 5);
  const s = calibrationSplit(t, 3);
  assert.equal(s.positions.size, 8, 'a fifth of 40 human labels');
  for (const k of s.positions) assert.equal(t.holdout[k], 1, 'accepted labels are never held out');
  const perClass = new Map<number, number>();
  for (const c of s.y) perClass.set(c, (perClass.get(c) ?? 0) + 1);
  assert.deepEqual([...perClass.values()], [2, 2, 2, 2], 'stratified');
  s.rows.forEach((r, j) => assert.equal(t.y[t.index.indexOf(r)], s.y[j]));
  const plan = planStudent({ train: t, teacher: new Float32Array(200 * 4).fill(0.25), n: 200, nClasses: 4, seed: 3 });
  assert.deepEqual([...plan.calRows].sort(), [...s.rows].sort(), 'the fine-tuned candidate is scored on the same rows');
  assert.equal(plan.labels, t.index.length - 8, 'the rest of the train set');
  assert.equal(plan.human, 40 - 8, 'of which the human labels not held out; the 20 accepted are not');
  const rest = withoutPositions(t, s.positions);
  assert.equal(rest.index.length, t.index.length - 8);
  for (const r of s.rows) assert.ok(!rest.index.includes(r), 'held-out rows are not in the rest');
  const few = trainSet(2, 4);
  assert.ok(few.index.length < MIN_HELD_OUT_LABELS);
  assert.equal(calibrationSplit(few, 3).positions.size, 0, 'nothing held out below the minimum');
});

test('humanFolds: every human label in exactly one stratified fold, accepted labels in none; each model trains without its fold', () => {
  const t = trainSet(10, 4, 5);
  const f = humanFolds(t, 4, 3);
  assert.ok(f);
  assert.equal(f.k, 4);
  assert.equal(f.rows.length, 40, 'all 40 human labels are scored, not a fifth');
  const perFold = new Map<number, number[]>();
  for (let p = 0; p < t.index.length; p++) {
    if (t.holdout[p] === 0) assert.equal(f.fold[p], -1, 'accepted labels are in no fold');
    else {
      assert.ok(f.fold[p] >= 0 && f.fold[p] < 4);
      const ys = perFold.get(f.fold[p]) ?? [];
      ys.push(t.y[p]);
      perFold.set(f.fold[p], ys);
    }
  }
  for (const ys of perFold.values()) {
    assert.equal(ys.length, 10, 'equal folds');
    for (let c = 0; c < 4; c++) assert.ok(ys.filter((y) => y === c).length >= 2, 'stratified: every class in every fold');
  }
  f.rows.forEach((r, j) => {
    const p = t.index.indexOf(r);
    assert.equal(f.y[j], t.y[p]);
    assert.equal(f.rowFold[j], f.fold[p]);
  });
  for (let g = 0; g < 4; g++) {
    const fit = withoutFold(t, f.fold, g);
    assert.equal(fit.index.length, t.index.length - 10);
    f.rows.forEach((r, j) => assert.equal(fit.index.includes(r), f.rowFold[j] !== g, 'a model never sees its own fold'));
    for (let p = 0; p < t.index.length; p++)
      if (t.holdout[p] === 0) assert.ok(fit.index.includes(t.index[p]), 'every model trains on the accepted labels');
  }
  assert.equal(humanFolds(trainSet(2, 4), 4, 3), undefined, 'none below the minimum of human labels');
  assert.equal(humanFolds(trainSet(3, 4), 4, 3)?.k, 4);
  assert.deepEqual(humanFolds(t, 4, 3)?.fold, f.fold, 'the same seed gives the same folds');
});

test('foldsFor keeps the last folds while the human labels are the same, and makes new ones when they change', () => {
  const t = trainSet(5, 3, 4);
  const first = foldsFor(t, 4, 1);
  assert.ok(first && !first.reused);
  const prev = { rows: [...first.rows], y: [...first.y], fold: [...first.rowFold] };
  // The next train: same human labels, other accepted labels, another seed — the same folds by pool row.
  const grown = {
    index: Int32Array.from([...t.index, 1000, 1001, 1002]),
    y: Int32Array.from([...t.y, 0, 1, 2]),
    weight: new Float32Array(t.index.length + 3).fill(1),
    holdout: Uint8Array.from([...t.holdout, 0, 0, 0]),
  };
  const again = foldsFor(grown, 4, 99, prev);
  assert.ok(again?.reused);
  assert.deepEqual([...again.rowFold], prev.fold);
  assert.deepEqual([...again.rows], prev.rows);
  // A human label changed class: new folds.
  const changed = trainSet(5, 3, 4);
  changed.y[0] = 2;
  assert.equal(foldsFor(changed, 4, 1, prev)?.reused, false);
  // One more human label: new folds over all of them.
  const more = foldsFor(trainSet(6, 3, 4), 4, 1, prev);
  assert.ok(more && !more.reused && more.rows.length === 18);
});

test('foldTrainSet: pseudo-labels only from the teacher that never saw the fold, none without it; humanOnly', () => {
  const C = 3;
  const t = trainSet(5, C, 2); // per class: 5 human then 2 accepted
  const f = foldsFor(t, 4, 1)!;
  const bare = foldTrainSet(t, f.fold, 0, C);
  assert.equal(bare.pseudo, 0);
  assert.equal(bare.set.index.length, 15 - f.rowFold.filter((g) => g === 0).length, 'human labels outside fold 0 only');
  // A teacher that says class 2 for every row: the accepted labels take its class, the human ones keep theirs.
  const n = Math.max(...t.index) + 1;
  const teacher = Float32Array.from({ length: n * C }, (_, q) => (q % C === 2 ? 0.9 : 0.05));
  const tf = foldTrainSet(t, f.fold, 1, C, teacher);
  assert.equal(tf.pseudo, 6);
  for (let k = 0; k < tf.set.index.length; k++) {
    const p = t.index.indexOf(tf.set.index[k]);
    if (t.holdout[p] === 1) {
      assert.equal(tf.set.y[k], t.y[p]);
      assert.notEqual(f.fold[p], 1, 'fold 1 is held out of network 1');
    } else assert.equal(tf.set.y[k], 2, "an accepted label takes the teacher's class");
  }
  const h = humanOnly(t);
  assert.equal(h.index.length, 15);
  assert.ok(h.holdout.every((x) => x === 1));
  h.index.forEach((r, k) => assert.equal(h.y[k], t.y[t.index.indexOf(r)]));
});

test('outOfFoldRows picks each row from the model that did not see it; oofRows reads a head by pool row', () => {
  const C = 2;
  // Model f answers class f for every row.
  const models = [0, 1].map((f) => Float32Array.from({ length: 6 * C }, (_, q) => (q % C === f ? 1 : 0)));
  const rows = Int32Array.from([5, 0, 3]);
  const out = outOfFoldRows(models, Int32Array.from([1, 0, 1]), rows, C);
  assert.deepEqual([...out], [0, 1, 1, 0, 0, 1]);
  assert.throws(() => outOfFoldRows(models, Int32Array.from([2, 0, 0]), rows, C), /no model for fold 2/);
  const oof = { index: [3, 5, 0], probs: [0.1, 0.9, 0.2, 0.8, 0.7, 0.3] };
  assert.deepEqual(
    [...oofRows(oof, rows, C)!].map((x) => +x.toFixed(2)),
    [0.2, 0.8, 0.7, 0.3, 0.1, 0.9],
  );
  assert.equal(oofRows(oof, Int32Array.from([4]), C), undefined, 'a row without an out-of-fold prediction');
});

test('candidate selection picks the model that is right more often on the held-out labels', () => {
  // Rows 0..9 of a 3-class problem, true class r % 3. Model A right on 6 rows, model B on 9.
  const C = 3;
  const rows = Int32Array.from([...Array(10).keys()]);
  const y = Int32Array.from(rows, (r) => r % 3);
  const model = (wrong: Set<number>) => {
    const p = new Float32Array(10 * C);
    rows.forEach((r) => (p[r * C + (wrong.has(r) ? (y[r] + 1) % C : y[r])] = 1));
    return p;
  };
  const a = model(new Set([0, 1, 2, 3]));
  const b = model(new Set([7]));
  assert.equal(accuracyOnRows(a, rows, y, C), 0.6);
  assert.equal(accuracyOnRows(b, rows, y, C), 0.9);
  const oof = { index: [9, 8, 7, 6, 5, 4, 3, 2, 1, 0], probs: [] as number[] };
  for (const r of oof.index) oof.probs.push(...a.slice(r * C, (r + 1) * C));
  assert.equal(oofAccuracyOn(oof, rows, y, C), 0.6, 'out-of-fold rows found by pool row, in any order');
  assert.equal(oofAccuracyOn({ index: [0], probs: [1, 0, 0] }, rows, y, C), undefined, 'a row without an out-of-fold prediction');
  const best = chooseCandidate([
    { name: 'linear', accuracy: oofAccuracyOn(oof, rows, y, C) },
    { name: 'scratch', accuracy: accuracyOnRows(b, rows, y, C) },
    { name: 'unscored', accuracy: undefined },
  ]);
  assert.equal(best.name, 'scratch');
  assert.equal(
    chooseCandidate([
      { name: 'head', accuracy: 0.7 },
      { name: 'net', accuracy: 0.7 },
    ]).name,
    'head',
    'ties: the first',
  );
  assert.equal(
    chooseCandidate([
      { name: 'head', accuracy: undefined },
      { name: 'net', accuracy: 0.2 },
    ]).name,
    'net',
  );
  assert.throws(() => chooseCandidate([]), /no candidate/);
});

test('signTestP: the exact one-sided sign test, against values worked by hand and the normal tail', () => {
  assert.equal(signTestP(0, 5), 1, 'a rival that wins none');
  assert.ok(Math.abs(signTestP(3, 0) - 1 / 8) < 1e-12, 'three wins, no loss: (1/2)^3');
  assert.ok(Math.abs(signTestP(5, 0) - 1 / 32) < 1e-12);
  // P(X ≥ 4 | n = 5) = (5 + 1) / 32.
  assert.ok(Math.abs(signTestP(4, 1) - 6 / 32) < 1e-12);
  // P(X ≥ 5 | n = 10) = (252/2 + 386) / 1024 = 638 / 1024.
  assert.ok(Math.abs(signTestP(5, 5) - 638 / 1024) < 1e-12);
  // n = 2,000, 1,060 wins: z = (1059.5 − 1000) / √500 = 2.661 → the normal tail 0.0039.
  const p = signTestP(1060, 940);
  assert.ok(p > 0.0035 && p < 0.0045, `normal tail ≈ 0.0039, got ${p}`);
  assert.throws(() => signTestP(-1, 2), /non-negative integers/);
  assert.throws(() => signTestP(1.5, 2), /non-negative integers/);
});

/** Rows × C one-hot probabilities: row j on class right[j] ? y[j] : (y[j] + 1) % C. */
function answers(y: number[], right: boolean[], C: number): Float32Array {
  const out = new Float32Array(y.length * C);
  y.forEach((c, j) => (out[j * C + (right[j] ? c : (c + 1) % C)] = 1));
  return out;
}

test('keepEnsemble: a part displaces its ensemble only when it wins beyond chance on the same held-out labels', () => {
  const C = 3;
  const y = Array.from({ length: 100 }, (_, j) => j % C);
  const Y = Int32Array.from(y);
  // The ensemble right on 90, the pixel part on 93: it wins 5 labels the ensemble misses and loses 2 (p = 0.23).
  const ensRight = y.map((_, j) => j >= 10);
  const pxRight = y.map((_, j) => (j < 10 ? j < 5 : !(j >= 10 && j < 12)));
  const rec = pairedRecord(answers(y, pxRight, C), answers(y, ensRight, C), Y, C);
  assert.deepEqual([rec.wins, rec.losses], [5, 2]);
  assert.ok(Math.abs(rec.p - signTestP(5, 2)) < 1e-12);
  const cands = (px: boolean[]) => [
    { name: 'scratch+pixels', accuracy: 0.9, value: { oof: answers(y, ensRight, C) } },
    {
      name: 'scratch',
      accuracy: 0.86,
      value: {
        oof: answers(
          y,
          y.map((_, j) => j >= 14),
          C,
        ),
      },
    },
    {
      name: 'linear',
      accuracy: 0.73,
      value: {
        oof: answers(
          y,
          y.map((_, j) => j >= 27),
          C,
        ),
      },
    },
    { name: 'pixels', accuracy: px.filter(Boolean).length / 100, value: { oof: answers(y, px, C) } },
  ];
  const close = cands(pxRight);
  const r = keepEnsemble(close, 'scratch+pixels', ['scratch', 'pixels'], Y, C);
  assert.equal(chooseCandidate(close).name, 'pixels', 'the higher score alone picks the part');
  assert.equal(r.best.name, 'scratch+pixels', 'a lead of 3 labels in 100 is within chance');
  assert.deepEqual(r.kept, { over: 'pixels', wins: 5, losses: 2, p: rec.p });
  // The part right on all 10 the ensemble misses and wrong on none it gets right: p = 1/1024, it is chosen.
  const far = cands(y.map(() => true));
  const r2 = keepEnsemble(far, 'scratch+pixels', ['scratch', 'pixels'], Y, C);
  assert.equal(r2.best.name, 'pixels');
  assert.equal(r2.kept, undefined);
  // A candidate that is no part of the ensemble competes by score alone, however close.
  const other = cands(pxRight).map((c) => (c.name === 'pixels' ? { ...c, name: 'spread' } : c));
  assert.equal(keepEnsemble(other, 'scratch+pixels', ['scratch', 'pixels'], Y, C).best.name, 'spread');
  // No held-out probabilities for the part, or none of the right shape: the score decides, as before.
  const bare = cands(pxRight).map((c) => (c.name === 'pixels' ? { ...c, value: {} } : c));
  assert.equal(keepEnsemble(bare, 'scratch+pixels', ['scratch', 'pixels'], Y, C).best.name, 'pixels');
  const short = cands(pxRight).map((c) => (c.name === 'pixels' ? { ...c, value: { oof: new Float32Array(3) } } : c));
  assert.equal(keepEnsemble(short, 'scratch+pixels', ['scratch', 'pixels'], Y, C).best.name, 'pixels');
  // The ensemble already best: unchanged.
  const ensBest = cands(y.map((_, j) => j >= 20));
  assert.equal(keepEnsemble(ensBest, 'scratch+pixels', ['scratch', 'pixels'], Y, C).best.name, 'scratch+pixels');
  assert.throws(() => pairedRecord(new Float32Array(3), new Float32Array(300), Y, C), /100 labels × 3 classes/);
});

test('EM recovers the class priors of a shifted mixture (Saerens et al. 2002)', () => {
  // Two 1-D Gaussians at ±1 (σ = 1); the classifier is Bayes-optimal for equal priors, the pool is 80 / 20.
  const rng = new Rng(11);
  const n = 20000;
  const truth = new Int32Array(n);
  const logits = new Float32Array(n * 2);
  for (let i = 0; i < n; i++) {
    truth[i] = rng.next() < 0.8 ? 0 : 1;
    const x = (truth[i] === 0 ? -1 : 1) + rng.normal();
    // log N(x; ∓1, 1): the class posterior under equal priors is softmax of these.
    logits[i * 2] = -((x + 1) ** 2) / 2;
    logits[i * 2 + 1] = -((x - 1) ** 2) / 2;
  }
  const probs = softmaxRows(logits, n, 2, 1);
  const train = trainingPriors([0, 0, 0, 1, 1, 1], undefined, 2);
  assert.deepEqual(train, [0.5, 0.5]);
  const est = estimatePoolPriors(probs, n, 2, train);
  assert.ok(Math.abs(est.priors[0] - 0.8) < 0.02, `prior of class 0 ≈ 0.8: ${est.priors[0]}`);
  assert.ok(est.iterations > 1);
  const acc = (p: Float32Array) => {
    let ok = 0;
    for (let i = 0; i < n; i++) if ((p[i * 2 + 1] > p[i * 2] ? 1 : 0) === truth[i]) ok++;
    return ok / n;
  };
  const adjusted = applyPriorWeights(probs, n, 2, est.weights);
  assert.ok(acc(adjusted) > acc(probs) + 0.01, `re-weighting helps on the shifted pool: ${acc(probs)} → ${acc(adjusted)}`);
  for (let i = 0; i < 10; i++) assert.ok(Math.abs(adjusted[i * 2] + adjusted[i * 2 + 1] - 1) < 1e-5, 'rows still sum to 1');

  // A balanced pool stays balanced: no shift to correct.
  const bal: number[] = [];
  for (let i = 0; i < n; i++) if (truth[i] === 1 || bal.filter((r) => truth[r] === 0).length < 4000) bal.push(i);
  const sub = new Float32Array(bal.length * 2);
  bal.forEach((r, j) => sub.set(probs.subarray(r * 2, r * 2 + 2), j * 2));
  const flat = estimatePoolPriors(sub, bal.length, 2, train);
  assert.ok(Math.abs(flat.priors[0] - 0.5) < 0.03, `balanced pool ≈ 0.5: ${flat.priors[0]}`);
});

test('EM priors: a floor keeps every class, bad input is refused', () => {
  const probs = Float32Array.from([1, 0, 1, 0, 1, 0, 1, 0]);
  const est = estimatePoolPriors(probs, 4, 2, [0.5, 0.5], { floor: 0.05 });
  assert.ok(est.priors[1] >= 0.05 / 1.05 - 1e-9, `class 1 not estimated away: ${est.priors[1]}`);
  assert.throws(() => estimatePoolPriors(probs, 4, 2, [1]), /training priors/);
  assert.throws(() => estimatePoolPriors(probs, 4, 2, [1, 0]), /> 0/);
  assert.throws(() => applyPriorWeights(probs, 5, 2, [1, 1]), /need n·C/);
  assert.throws(() => trainingPriors([0, 2], undefined, 2), /not one of the 2 classes/);
  const w = trainingPriors([0, 0, 1], [1, 1, 0.5], 2);
  assert.ok(Math.abs(w[0] - 3 / 4.5) < 1e-9 && Math.abs(w[1] - 1.5 / 4.5) < 1e-9, `weighted, Laplace-smoothed: ${w}`);
});

/**
 * A 3-class model that is sure of every answer (probability 0.9 on its guess) and often wrong: its guess is class j's
 * with probability M[guess][j]. EM trusts the 0.9 and cannot see the errors; the held-out confusions can.
 */
function overconfident(rng: Rng, classOf: () => number, n: number) {
  const M = [
    [0.6, 0.2, 0.1],
    [0.3, 0.6, 0.2],
    [0.1, 0.2, 0.7],
  ];
  const y = new Int32Array(n);
  const probs = new Float32Array(n * 3);
  for (let i = 0; i < n; i++) {
    y[i] = classOf();
    const u = rng.next();
    const guess = u < M[0][y[i]] ? 0 : u < M[0][y[i]] + M[1][y[i]] ? 1 : 2;
    for (let c = 0; c < 3; c++) probs[i * 3 + c] = c === guess ? 0.9 : 0.05;
  }
  return { y, probs };
}

test('BBSE recovers the priors of a shifted pool from the held-out confusions, where EM on an overconfident model does not', () => {
  const rng = new Rng(5);
  const truth = [0.7, 0.2, 0.1];
  const draw = () => {
    const u = rng.next();
    return u < truth[0] ? 0 : u < truth[0] + truth[1] ? 1 : 2;
  };
  let k = 0;
  const balanced = () => k++ % 3;
  const held = overconfident(rng, balanced, 3000);
  const pool = overconfident(rng, draw, 20000);
  const q = bbsePriors(held.probs, held.y, pool.probs, 20000, 3, { soft: false });
  for (let c = 0; c < 3; c++) assert.ok(Math.abs(q[c] - truth[c]) < 0.03, `class ${c}: ${q[c].toFixed(3)} ≈ ${truth[c]}`);
  const em = estimatePoolPriors(pool.probs, 20000, 3, [1 / 3, 1 / 3, 1 / 3]).priors;
  assert.ok(Math.abs(em[0] - truth[0]) > 0.1, `EM, trusting 0.9, misses the shift: ${em[0].toFixed(3)}`);
  // A balanced pool: no shift.
  const flat = overconfident(rng, balanced, 9000);
  const q0 = bbsePriors(held.probs, held.y, flat.probs, 9000, 3, { soft: false });
  for (let c = 0; c < 3; c++) assert.ok(Math.abs(q0[c] - 1 / 3) < 0.04, `balanced class ${c}: ${q0[c].toFixed(3)}`);
  // Soft confusions (the probabilities themselves) agree here, the model being calibrated on its guesses' classes.
  const qs = bbsePriors(held.probs, held.y, pool.probs, 20000, 3, { soft: true });
  assert.ok(qs[0] > 0.6, `soft: ${qs[0].toFixed(3)}`);
  assert.throws(() => bbsePriors(held.probs, held.y.subarray(1), pool.probs, 20000, 3), /held-out probabilities/);
});

test('bagged BBSE from 10 held-out labels a class: deterministic, a distribution, and nearer the truth than none', () => {
  const rng = new Rng(9);
  let k = 0;
  const held = overconfident(rng, () => k++ % 3, 30);
  const pool = overconfident(rng, () => (rng.next() < 0.7 ? 0 : rng.next() < 0.67 ? 1 : 2), 5000);
  const a = baggedBbsePriors(held.probs, held.y, pool.probs, 5000, 3, { seed: 3 });
  const b = baggedBbsePriors(held.probs, held.y, pool.probs, 5000, 3, { seed: 3 });
  assert.deepEqual(a, b, 'the same inputs and seed make the same estimate');
  assert.ok(Math.abs(a.reduce((s, v) => s + v, 0) - 1) < 1e-9, 'sums to 1');
  assert.ok(
    a.every((v) => v >= 0.1 / 3 - 1e-9),
    `no class estimated away: ${a}`,
  );
  // 10 labels a class measure the confusions roughly: not the truth, but nearer it than the labels' uniform priors.
  const truth = [0.7, 0.3 * 0.67, 0.3 * 0.33];
  const tv = (q: number[]) => 0.5 * q.reduce((s, v, c) => s + Math.abs(v - truth[c]), 0);
  assert.ok(tv(a) < tv([1 / 3, 1 / 3, 1 / 3]) - 0.05, `nearer the truth: ${a.map((v) => v.toFixed(2))} (distance ${tv(a).toFixed(3)})`);
});

test('the shift test: lopsided predictions beyond the held-out noise fire it, a balanced pool rarely does', () => {
  assert.ok(Math.abs(chiSquareQuantile(6, 1.6449) - 12.59) < 0.1, `χ²(6) 95%: ${chiSquareQuantile(6, 1.6449)}`);
  assert.ok(Math.abs(chiSquareQuantile(9, 2.3263) - 21.67) < 0.15, `χ²(9) 99%: ${chiSquareQuantile(9, 2.3263)}`);
  const rng = new Rng(21);
  const uniform = [1 / 3, 1 / 3, 1 / 3];
  let firedBalanced = 0;
  let firedShifted = 0;
  const runs = 40;
  for (let r = 0; r < runs; r++) {
    let k = 0;
    const held = overconfident(rng, () => k++ % 3, 30);
    let b = 0;
    const balanced = overconfident(rng, () => b++ % 3, 800);
    const shifted = overconfident(rng, () => (rng.next() < 0.7 ? 0 : rng.next() < 0.67 ? 1 : 2), 800);
    const eb = priorShiftEvidence(held.probs, held.y, balanced.probs, 800, 3, uniform);
    const es = priorShiftEvidence(held.probs, held.y, shifted.probs, 800, 3, uniform);
    assert.equal(eb.df, 2);
    assert.equal(eb.shifted, eb.chi2 > eb.threshold);
    if (eb.shifted) firedBalanced++;
    if (es.shifted) firedShifted++;
  }
  // At its 5% level on a balanced pool; 10 labels a class give it little power, but a 70/20/10 pool fires it often.
  assert.ok(firedBalanced <= 0.1 * runs, `a balanced pool fired ${firedBalanced} of ${runs}`);
  assert.ok(firedShifted >= 0.4 * runs, `a 70/20/10 pool fired ${firedShifted} of ${runs}`);
  assert.throws(() => priorShiftEvidence(new Float32Array(5), [0, 1], new Float32Array(6), 2, 3, uniform), /held-out probabilities/);
});

/** Three-class probabilities that put 0.8 on each row's guess. */
function probsOf(guess: number[]): Float32Array {
  const p = new Float32Array(guess.length * 3);
  guess.forEach((g, j) =>
    p.set(
      [0, 1, 2].map((c) => (c === g ? 0.8 : 0.1)),
      j * 3,
    ),
  );
  return p;
}

test('sampleAccuracy: the accuracy on the held-out labels not picked for the model’s doubt', () => {
  // Six held-out labels (pool rows 10–15), three classes; the model is right on rows 10, 11, 12 and wrong on 13–15,
  // which were asked about for its doubt (13, 14) or corrected (15).
  const rows = [10, 11, 12, 13, 14, 15];
  const y = Int32Array.from([0, 1, 2, 0, 1, 2]);
  const probs = probsOf([0, 1, 2, 1, 2, 0]);
  assert.deepEqual(sampleAccuracy(probs, rows, y, 3, new Set([13, 14, 15, 99])), { labels: 3, accuracy: 1 });
  assert.deepEqual(sampleAccuracy(probs, rows, y, 3, new Set([10, 13])), { labels: 4, accuracy: 0.5 });
  assert.equal(sampleAccuracy(probs, rows, y, 3, new Set([5, 99])), undefined, 'no held-out row picked: every label samples the pool');
  assert.deepEqual(sampleAccuracy(probs, rows, y, 3, new Set(rows)), { labels: 0, accuracy: undefined }, 'every row picked');
  assert.equal(accuracyOnRows(probs, Int32Array.from(rows.keys()), y, 3), 0.5, 'on every held-out label');
});

test('sampleJudge: the chosen model on the labels that sample the pool, or the head it beat on the held-out fifth', () => {
  // Six held-out labels (pool rows 10–15), three classes; rows 13–15 were picked for the model's doubt.
  const rows = [10, 11, 12, 13, 14, 15];
  const y = Int32Array.from([0, 1, 2, 0, 1, 2]);
  const chosen = probsOf([0, 1, 0, 1, 1, 0]); // right on 10, 11 (of the sample) and 14
  const head = probsOf([0, 1, 2, 2, 2, 2]); // right on 10, 11, 12 and 15
  const picked = new Set([13, 14, 15]);
  const base = { rows, y, C: 3, picked };
  const headOf = (split: number | undefined) => ({ name: 'spread', oof: head, split });
  assert.deepEqual(
    sampleJudge({ ...base, chosenOof: chosen, chosenSplit: 0.5, head: headOf(0.9) }),
    { labels: 3, accuracy: 2 / 3 },
    'a chosen model with out-of-fold predictions is judged on its own, whatever the head did',
  );
  assert.deepEqual(
    sampleJudge({ ...base, chosenOof: undefined, chosenSplit: 0.85, head: headOf(0.8) }),
    { labels: 3, accuracy: 1, via: 'spread' },
    'scored on the fifth only and ahead of the head there: the head judged on the sample stands in',
  );
  assert.deepEqual(
    sampleJudge({ ...base, chosenOof: undefined, chosenSplit: 0.8, head: headOf(0.8) }),
    { labels: 3, accuracy: 1, via: 'spread' },
    'a tie on the fifth is enough',
  );
  assert.equal(sampleJudge({ ...base, chosenOof: undefined, chosenSplit: 0.7, head: headOf(0.8) }), undefined, 'behind the head');
  assert.equal(sampleJudge({ ...base, chosenOof: undefined, chosenSplit: undefined, head: headOf(0.8) }), undefined, 'not scored');
  assert.equal(sampleJudge({ ...base, chosenOof: undefined, chosenSplit: 0.9, head: headOf(undefined) }), undefined);
  assert.equal(
    sampleJudge({ ...base, chosenOof: undefined, chosenSplit: 0.9, head: { name: 'spread', oof: undefined, split: 0.8 } }),
    undefined,
    'no head predictions of the folds',
  );
  assert.equal(sampleJudge({ ...base, picked: new Set(), chosenOof: chosen, chosenSplit: 0.9, head: headOf(0.8) }), undefined);
});

test('scratchEpochs: about 10,000 images seen whatever the number of labels', () => {
  assert.equal(scratchEpochs(100), 100, '100 labels: one batch of 100 per epoch');
  assert.equal(scratchEpochs(70), 143);
  assert.equal(scratchEpochs(1000), Math.round(10000 / 896));
  assert.equal(scratchEpochs(10), 300, 'at most 300 epochs');
  assert.equal(scratchEpochs(100, 2000), 20);
  assert.equal(scratchEpochs(10, 120_000, 1800), 1800, 'a higher cap when asked');
  assert.equal(scratchEpochs(100, 120_000, 1800), 1200);
});

test('fullItemsSeen: the input values of 120,000 images of 28 × 28 × 1 up to 10 labels a class, never fewer than 20,000', () => {
  assert.equal(fullItemsSeen(28, 1, 100, 10), 120_000);
  assert.equal(fullItemsSeen(28, 1, 30, 10), 120_000, 'fewer labels: the same');
  assert.equal(fullItemsSeen(56, 1, 100, 10), 30_000, 'four times the pixels, a quarter of the images');
  assert.ok(Math.abs(fullItemsSeen(32, 3, 70, 7) - 30_625) <= 1, 'colour: three values a pixel');
  assert.equal(fullItemsSeen(48, 3, 70, 7), 20_000, 'floored at twice a fold network');
  assert.equal(fullItemsSeen(28, 1, 400, 10), 30_000, '40 labels a class: a quarter');
  assert.equal(fullItemsSeen(28, 1, 2000, 10), 20_000, 'hundreds a class: as before');
  assert.equal(fullItemsSeen(8, 1, 20, 2), Math.round((120_000 * 784) / 64));
});
