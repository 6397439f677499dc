/**
 * The text head (src/core/modalities/text/lexical): sparse lexical features with field views, tf-idf cosine kNN graph, naive Bayes
 * with EM, and the semi-supervised head fitted with few labels — on real e-mails of the SpamAssassin corpus
 * (ham from easy-ham-1 and hard-ham-1, spam from spam-1 and spam-2) and on plain prose without fields.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { textFeatures, textFeatureStrings, wordsOf } from '../../src/core/modalities/text/lexical/features';
import { idfOf, tfidfRows, sparseKnnGraph } from '../../src/core/modalities/text/lexical/tfidf';
import { fitNbEm, nbLogJoint } from '../../src/core/modalities/text/lexical/nbem';
import { acceptedClassFactors, fitTextHead, predictTextHead, isTextHeadState } from '../../src/core/modalities/text/lexical/head';
import { Rng } from '../../src/core/models/random';

const ROOT = path.join(__dirname, '..', '..');

/** `perGroup` e-mails of each group, in a seeded random order of the group's files. */
function readEmails(groups: [string, number][], perGroup: number, seed = 1): { texts: string[]; labels: Int32Array } {
  const base = path.join(ROOT, 'node_modules', '@stdlib', 'datasets-spam-assassin', 'data');
  const texts: string[] = [];
  const labels: number[] = [];
  const rng = new Rng(seed);
  for (const [g, y] of groups) {
    const files = rng
      .shuffle(
        fs
          .readdirSync(path.join(base, g))
          .filter((f) => f.endsWith('.json'))
          .sort(),
      )
      .slice(0, perGroup);
    for (const f of files) {
      texts.push((JSON.parse(fs.readFileSync(path.join(base, g, f), 'utf8')) as { text: string }).text);
      labels.push(y);
    }
  }
  return { texts, labels: Int32Array.from(labels) };
}

const GROUPS: [string, number][] = [
  ['easy-ham-1', 0],
  ['hard-ham-1', 0],
  ['spam-1', 1],
  ['spam-2', 1],
];

function accuracy(probs: Float32Array, labels: Int32Array, rows: number[], C = 2): number {
  let ok = 0;
  for (const i of rows) {
    let best = 0;
    for (let c = 1; c < C; c++) if (probs[i * C + c] > probs[i * C + best]) best = c;
    if (best === labels[i]) ok++;
  }
  return ok / rows.length;
}

/** k random rows of each class among `rows`. */
function pick(labels: Int32Array, rows: number[], k: number, seed: number): number[] {
  const order = new Rng(seed).shuffle([...rows]);
  const cnt = [0, 0];
  const out: number[] = [];
  for (const i of order) {
    if (cnt[labels[i]] >= k) continue;
    cnt[labels[i]]++;
    out.push(i);
  }
  return out;
}

test('features: words, bigrams, and field tokens of `Name: value` lines (with continuation lines); views split them', () => {
  const { texts } = readEmails([['easy-ham-1', 0]], 1);
  const email = texts[0];
  assert.match(email, /^[A-Za-z-]+: /m, 'a real e-mail has header lines');
  const all = textFeatureStrings(email);
  const fromLine = /^From: (.*)$/m.exec(email)![1];
  for (const w of wordsOf(fromLine)) {
    assert.ok(all.includes(`from=${w}`), `from=${w}`);
    assert.ok(all.includes(w), w);
  }
  assert.ok(all.includes('from:') && all.includes('subject:'));
  const fields = textFeatureStrings(email, { view: 'fields' });
  const body = textFeatureStrings(email, { view: 'body' });
  assert.ok(fields.length > 0 && body.length > 0);
  assert.ok(
    fields.every((f) => /^[a-z0-9_-]+[:=]/.test(f) || f.includes(' ')),
    'the fields view holds only field tokens (and bigrams)',
  );
  assert.ok(!fields.includes('subject') || /^Subject:.*\bsubject\b/im.test(email), 'bare words are not in the fields view');
  assert.ok(!body.some((f) => /^[a-z0-9_-]+[:=]\S/.test(f) && f.startsWith('from=')), 'the body view holds no field tokens');
  // A folded (indented) header line still belongs to its field; a blank line ends the field block.
  const s = textFeatureStrings('Received: from alpha\n\tby beta\n\nhello world\n');
  assert.ok(s.includes('received=beta'));
  assert.ok(s.includes('hello') && !s.includes('received=hello'));
  assert.ok(s.includes('hello world'), 'bigram');
  // Plain prose has no field tokens at all.
  const prose = textFeatureStrings('The cat sat on the mat. It was: happy.');
  assert.ok(!prose.some((f) => f.includes('=') || f.endsWith(':')), prose.join('|'));
});

test('features: hashed sparse vectors are deterministic, sorted, bounded by the buckets, and count repeats', () => {
  const { texts } = readEmails([['spam-2', 1]], 3);
  for (const t of texts) {
    const a = textFeatures(t, { buckets: 4096 });
    const b = textFeatures(t, { buckets: 4096 });
    assert.deepEqual(a, b);
    assert.ok(a.ids.length > 10);
    for (let j = 0; j < a.ids.length; j++) {
      assert.ok(a.ids[j] >= 0 && a.ids[j] < 4096);
      if (j) assert.ok(a.ids[j] > a.ids[j - 1]);
    }
    const total = a.counts.reduce((s, x) => s + x, 0);
    assert.equal(total, textFeatureStrings(t).length);
  }
});

test('sparse kNN graph equals brute-force cosine over the tf-idf rows (no pruning), and pruning keeps most neighbours', () => {
  const { texts } = readEmails(GROUPS, 15);
  const B = 1 << 16;
  const docs = texts.map((t) => textFeatures(t, { buckets: B }));
  const rows = tfidfRows(docs, idfOf(docs, B));
  const n = rows.length;
  const dense = rows.map((r) => {
    const m = new Map<number, number>();
    r.ids.forEach((id, j) => m.set(id, r.w[j]));
    return m;
  });
  const cos = (a: number, b: number) => {
    let s = 0;
    for (const [id, w] of dense[a]) s += w * (dense[b].get(id) ?? 0);
    return s;
  };
  const k = 5;
  const g = sparseKnnGraph({ rows, buckets: B, k, maxDf: 1 });
  assert.equal(g.n, n);
  for (let i = 0; i < n; i++) {
    const sims = [...Array(n).keys()]
      .filter((j) => j !== i)
      .map((j) => cos(i, j))
      .sort((a, b) => b - a);
    for (let q = 0; q < k; q++) {
      assert.notEqual(g.idx[i * k + q], i, 'self is excluded');
      assert.ok(Math.abs(g.sim[i * k + q] - sims[q]) < 1e-4, `row ${i} neighbour ${q}: ${g.sim[i * k + q]} vs ${sims[q]}`);
      assert.ok(Math.abs(cos(i, g.idx[i * k + q]) - g.sim[i * k + q]) < 1e-4);
    }
  }
  const pruned = sparseKnnGraph({ rows, buckets: B, k, maxDf: 0.1 });
  let same = 0;
  for (let i = 0; i < n; i++) {
    const a = new Set(g.idx.subarray(i * k, (i + 1) * k));
    for (let q = 0; q < k; q++) if (a.has(pruned.idx[i * k + q])) same++;
  }
  assert.ok(same / (n * k) > 0.5, `pruned graph keeps ${same} of ${n * k} neighbours`);
  assert.throws(() => sparseKnnGraph({ rows: rows.slice(0, 1), buckets: B, k: 3 }), /at least 2 items/);
});

test('naive Bayes: supervised on real e-mails beats chance by far on held-out ones; EM keeps the labelled rows fixed', () => {
  const { texts, labels } = readEmails(GROUPS, 40);
  const B = 1 << 18;
  const docs = texts.map((t) => textFeatures(t, { buckets: B }));
  const n = docs.length;
  const rng = new Rng(5);
  const order = rng.shuffle([...Array(n).keys()]);
  const trainRows = order.slice(0, n / 2);
  const testRows = order.slice(n / 2);
  const m = fitNbEm({
    docs,
    nClasses: 2,
    buckets: B,
    labelled: { index: Int32Array.from(trainRows), y: Int32Array.from(trainRows, (i) => labels[i]) },
    iters: 0,
    docLength: 0,
  });
  const lj = nbLogJoint(
    m,
    testRows.map((i) => docs[i]),
    0,
  );
  let ok = 0;
  testRows.forEach((i, r) => (ok += (lj[r * 2 + 1] > lj[r * 2] ? 1 : 0) === labels[i] ? 1 : 0));
  assert.ok(ok / testRows.length >= 0.85, `supervised NB accuracy ${ok / testRows.length}`);
  // Features never seen in training use the smoothed `unseen` probability, not undefined.
  const unseen = nbLogJoint(m, [textFeatures('zzqqxx unseenword', { buckets: B })], 0);
  assert.ok(Number.isFinite(unseen[0]) && Number.isFinite(unseen[1]));
  assert.throws(
    () => fitNbEm({ docs, nClasses: 2, buckets: B, labelled: { index: Int32Array.of(0), y: Int32Array.of(2) } }),
    /out of range/,
  );
  assert.throws(
    () => fitNbEm({ docs, nClasses: 2, buckets: B, labelled: { index: new Int32Array(0), y: new Int32Array(0) } }),
    /No labelled/,
  );
});

test('text head: 5 labels per class of real e-mails label the rest, and the state predicts new e-mails (JSON round trip)', async () => {
  const { texts, labels } = readEmails(GROUPS, 60, 2);
  const held = readEmails(GROUPS, 60, 3); // other random files; overlaps are possible, but most are new
  const n = texts.length;
  const all = [...Array(n).keys()];
  const seeds = pick(labels, all, 5, 7);
  const progress: number[] = [];
  const state = await fitTextHead({
    texts,
    train: { index: Int32Array.from(seeds), y: Int32Array.from(seeds, (i) => labels[i]), weight: new Float32Array(seeds.length).fill(1) },
    nClasses: 2,
    seed: 1,
    onProgress: (p) => progress.push(p.done / (p.total ?? 1)),
  });
  assert.ok(isTextHeadState(state));
  for (const m of state.kind === 'text-ensemble' ? state.members : [state]) assert.deepEqual(m.views, ['fields', 'body'], m.kind);
  // The chosen model names itself; an ensemble's members each name their candidate, in the order of its name.
  if (state.kind === 'text-ensemble')
    assert.deepEqual(
      state.members.map((m) => m.chosen),
      state.chosen!.split('+'),
    );
  else assert.ok(state.chosen && state.candidates?.some((c) => c.name === state.chosen), `chosen ${state.chosen}`);
  assert.equal(state.trainedOn.folds, 5);
  assert.ok(state.temperature > 0 && Number.isFinite(state.temperature));
  assert.ok(state.estimatedAccuracy !== null && state.estimatedAccuracy >= 0 && state.estimatedAccuracy <= 1);
  assert.equal(state.oof!.index.length, seeds.length);
  assert.ok(progress.length > 3 && Math.abs(progress[progress.length - 1] - 1) < 1e-9, 'progress reaches 100%');
  const restored = JSON.parse(JSON.stringify(state));
  const probs = predictTextHead(restored, texts);
  assert.deepEqual(probs, predictTextHead(state, texts));
  for (let i = 0; i < n; i++) assert.ok(Math.abs(probs[2 * i] + probs[2 * i + 1] - 1) < 1e-5);
  const rest = all.filter((i) => !seeds.includes(i));
  const poolAcc = accuracy(probs, labels, rest);
  const heldAcc = accuracy(predictTextHead(restored, held.texts), held.labels, [...held.texts.keys()]);
  // Hard ham (newsletters) is in both sets: chance is 0.5, a model that learnt nothing from the pool sits near it.
  // Measured: linear-lsa alone 0.726 / 0.729, the pair (linear-lsa + linear-subword, chosen) 0.726 / 0.717.
  assert.ok(poolAcc >= 0.7, `pool accuracy with 10 labels: ${poolAcc}`);
  assert.ok(heldAcc >= 0.7, `held-out accuracy with 10 labels: ${heldAcc}`);
});

test('text head: a flood of accepted labels of one class does not swamp the other (class-balanced spreading)', async () => {
  const { texts, labels } = readEmails(GROUPS, 60, 4);
  const n = texts.length;
  const all = [...Array(n).keys()];
  const seeds = pick(labels, all, 5, 9);
  // 80 more items of class 0 "accepted" (correctly labelled), none of class 1: the imbalance of a no-review round.
  const extra = new Rng(3).shuffle(all.filter((i) => labels[i] === 0 && !seeds.includes(i))).slice(0, 80);
  const rows = [...seeds, ...extra];
  const state = await fitTextHead({
    texts,
    train: {
      index: Int32Array.from(rows),
      y: Int32Array.from(rows, (i) => labels[i]),
      weight: new Float32Array(rows.length).fill(1),
      holdout: Uint8Array.from(rows, (_, k) => (k < seeds.length ? 1 : 0)),
    },
    nClasses: 2,
    seed: 1,
  });
  assert.equal(state.trainedOn.heldOut, seeds.length, 'only human labels are held out for calibration');
  const probs = predictTextHead(state, texts);
  const spam = all.filter((i) => labels[i] === 1 && !rows.includes(i));
  const recall = accuracy(probs, labels, spam);
  assert.ok(recall >= 0.7, `class-1 recall after a one-sided flood of class-0 labels: ${recall}`);
});

test('acceptedClassFactors: the classes with accepted labels weigh the smallest mass among them; one class alone weighs nothing', () => {
  assert.deepEqual(Array.from(acceptedClassFactors(Float64Array.of(10, 0, 5))), [0.5, 1, 1]);
  assert.deepEqual(Array.from(acceptedClassFactors(Float64Array.of(4, 8, 2, 0, 0))), [0.5, 0.25, 1, 1, 1]);
  assert.deepEqual(Array.from(acceptedClassFactors(Float64Array.of(80, 0))), [0, 1], 'a one-sided flood');
  assert.deepEqual(Array.from(acceptedClassFactors(Float64Array.of(0, 0, 0))), [1, 1, 1]);
});

test('text head: plain prose without fields uses the body view only; bad input is refused', async () => {
  const rng = new Rng(11);
  const topicA = ['river', 'boat', 'fish', 'water', 'bridge', 'bank', 'current', 'shore', 'sail', 'harbor'];
  const topicB = ['guitar', 'drum', 'song', 'melody', 'concert', 'band', 'chord', 'stage', 'rhythm', 'singer'];
  const common = ['the', 'a', 'and', 'we', 'saw', 'near', 'today', 'with', 'very', 'old'];
  const texts: string[] = [];
  const labels: number[] = [];
  for (let i = 0; i < 80; i++) {
    const y = i % 2;
    const topic = y ? topicB : topicA;
    const words = Array.from({ length: 30 }, () => (rng.next() < 0.5 ? topic : common)[Math.floor(rng.next() * 10)]);
    texts.push(words.join(' ') + '.');
    labels.push(y);
  }
  const lab = Int32Array.from(labels);
  const seeds = pick(lab, [...texts.keys()], 3, 1);
  const state = await fitTextHead({
    texts,
    train: { index: Int32Array.from(seeds), y: Int32Array.from(seeds, (i) => lab[i]), weight: new Float32Array(seeds.length).fill(1) },
    nClasses: 2,
  });
  for (const m of state.kind === 'text-ensemble' ? state.members : [state]) assert.deepEqual(m.views, ['body'], m.kind);
  const acc = accuracy(predictTextHead(state, texts), lab, [...texts.keys()]);
  assert.ok(acc >= 0.9, `topic accuracy ${acc}`);
  await assert.rejects(
    fitTextHead({ texts, train: { index: Int32Array.of(500), y: Int32Array.of(0), weight: Float32Array.of(1) }, nClasses: 2 }),
    /not a row/,
  );
  await assert.rejects(
    fitTextHead({ texts, train: { index: Int32Array.of(0), y: Int32Array.of(0), weight: Float32Array.of(1) }, nClasses: 1 }),
    /at least 2 classes/,
  );
  const ac = new AbortController();
  ac.abort();
  await assert.rejects(
    fitTextHead({
      texts,
      train: { index: Int32Array.from(seeds), y: Int32Array.from(seeds, (i) => lab[i]), weight: new Float32Array(seeds.length).fill(1) },
      nClasses: 2,
      signal: ac.signal,
    }),
    /cancelled/,
  );
});
