/**
 * The benchmark's own logic, on tiny real data in temp folders: truth CSV parsing (quoting, `path#row`, bad rows),
 * the metrics (accuracy and macro-F1 against hand-worked cases), the simulated annotator (which actions it takes and
 * how it counts them), the scratch workspace builder (hard links, row subsets renumbered), argument parsing and
 * target checks. The full loop against the engine runs in test/unit/bench.test.ts's last test only when the engine
 * is complete enough (it is skipped with a reason otherwise).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseCsv, CsvError } from '../../src/bench/csv';
import { parseTruth, readTruth, normaliseItemId, TruthError, sortClasses } from '../../src/bench/truth';
import { score, median, medianOf } from '../../src/bench/metrics';
import { SimulatedAnnotator, type AnnotatorTarget } from '../../src/bench/annotator';
import { buildWorkspace, splitRows } from '../../src/bench/workspace';
import { parseBenchArgs, parseTarget, BenchUsageError } from '../../src/bench/options';
import { evaluateTargets, metricAt, formatTargets, formatMarkdown } from '../../src/bench/report';
import { mulberry32, sample } from '../../src/bench/rng';
import type { Proposal, Suggestion } from '../../src/core/types';

let tmp: string;
before(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'selflabel-bench-test-'));
});
after(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

function write(rel: string, content: string | Buffer): string {
  const p = path.join(tmp, rel);
  fs.mkdirSync(path.dirname(p), { recursive: true });
  fs.writeFileSync(p, content);
  return p;
}

// ───────────── CSV and truth ─────────────

test('parseCsv handles quotes, doubled quotes, embedded newlines, CRLF, BOM and blank lines', () => {
  const text = '\ufeffpath,label\r\n"a,b.txt","x ""y"""\r\n\r\nc.txt,"multi\nline"\nd.txt,z';
  const recs = parseCsv(text);
  assert.deepEqual(
    recs.map((r) => r.fields),
    [
      ['path', 'label'],
      ['a,b.txt', 'x "y"'],
      ['c.txt', 'multi\nline'],
      ['d.txt', 'z'],
    ],
  );
  assert.deepEqual(
    recs.map((r) => r.line),
    [1, 2, 4, 6],
  );
  assert.equal(recs[2].raw, 'c.txt,"multi\nline"');
  assert.throws(() => parseCsv('a,"open\n'), CsvError);
});

test('normaliseItemId: separators, ./, rows, and paths that escape the folder', () => {
  assert.equal(normaliseItemId('./img\\a.png'), 'img/a.png');
  assert.equal(normaliseItemId('data/x.jsonl#12'), 'data/x.jsonl#12');
  assert.equal(normaliseItemId('#3', 'only.csv'), 'only.csv#3');
  assert.equal(normaliseItemId('only.csv#3', 'only.csv'), 'only.csv#3');
  assert.equal(normaliseItemId('a#b.png'), 'a#b.png', 'a # inside a file name is not a row');
  assert.throws(() => normaliseItemId('x.jsonl#0'), TruthError);
  assert.throws(() => normaliseItemId('../secret.png'), /escapes/);
  assert.throws(() => normaliseItemId('/abs/a.png'), /relative/);
  assert.throws(() => normaliseItemId('x.jsonl#'), /bad row/);
});

test('readTruth: columns in any order, extra columns, path#row, and bad rows skipped with reasons', async () => {
  const file = write(
    'truth/t.csv',
    [
      'label,notes,Path',
      'cat,,img/1.png',
      'dog,"fluffy, big",./img/2.png',
      'ham,,mail.jsonl#1',
      'spam,,mail.jsonl#2',
      ',,img/3.png', // empty label
      'cat,,../x.png', // escapes
      'cat,,img/4.png',
      'dog,,img/4.png', // conflict: dropped
      'cat,,img/1.png', // harmless duplicate
      'cat,,img/4.png', // still dropped
    ].join('\n'),
  );
  const t = await readTruth(file);
  assert.deepEqual(
    [...t.labels],
    [
      ['img/1.png', 'cat'],
      ['img/2.png', 'dog'],
      ['mail.jsonl#1', 'ham'],
      ['mail.jsonl#2', 'spam'],
    ],
  );
  assert.deepEqual(t.classes, ['cat', 'dog', 'ham', 'spam']);
  assert.equal(t.problems.length, 3);
  assert.match(t.problems[0], /line 6: empty label/);
  assert.match(t.problems[1], /line 7: .*escapes/);
  assert.match(t.problems[2], /line 9: "img\/4.png" is labelled both "cat" and "dog"/);
});

test('parseTruth refuses a file without the path/label header or without usable rows', async () => {
  assert.throws(() => parseTruth('file,class\na.png,x\n'), /header must name the columns "path" and "label"/);
  assert.throws(() => parseTruth('path,label\n,x\n'), /no usable rows/);
  assert.throws(() => parseTruth(''), /empty file/);
  await assert.rejects(readTruth(path.join(tmp, 'nope.csv')), /cannot read the truth CSV/);
});

test('sortClasses sorts numerically where it can', () => {
  assert.deepEqual(sortClasses(['10', '2', 'b', '1', 'a', '2']), ['1', '2', '10', 'a', 'b']);
});

// ───────────── metrics ─────────────

test('score: accuracy and macro-F1 on a hand-worked case, missing predictions count as wrong', () => {
  const truth = new Map([
    ['1', 'a'],
    ['2', 'a'],
    ['3', 'b'],
    ['4', 'b'],
    ['5', 'c'],
  ]);
  const pred = new Map([
    ['1', 'a'],
    ['2', 'b'],
    ['3', 'b'],
    ['4', 'b'],
  ]); // 5 has no prediction
  const s = score(truth, pred);
  // By hand: 3 of 5 right. F1(a) = 2·1/(2·1+0+1) = 2/3; F1(b) = 2·2/(2·2+1+0) = 4/5; F1(c) = 0/(0+0+1) = 0.
  assert.equal(s.n, 5);
  assert.equal(s.correct, 3);
  assert.equal(s.missing, 1);
  assert.equal(s.accuracy, 0.6);
  assert.ok(Math.abs(s.macroF1 - (2 / 3 + 4 / 5 + 0) / 3) < 1e-12);
  assert.ok(Math.abs(s.perClass.b.f1 - 0.8) < 1e-12);
  assert.equal(s.perClass.c.support, 1);
});

test('score: a class only ever predicted counts in macro-F1 with F1 0; items outside the truth are ignored', () => {
  const truth = new Map([
    ['1', 'a'],
    ['2', 'a'],
  ]);
  const pred = new Map([
    ['1', 'a'],
    ['2', 'z'],
    ['3', 'a'],
  ]);
  const s = score(truth, pred);
  // F1(a) = 2/(2+0+1) = 2/3, F1(z) = 0/(0+1+0) = 0 → macro 1/3.
  assert.equal(s.accuracy, 0.5);
  assert.ok(Math.abs(s.macroF1 - 1 / 3) < 1e-12);
  const perfect = score(
    truth,
    new Map([
      ['1', 'a'],
      ['2', 'a'],
    ]),
  );
  assert.equal(perfect.accuracy, 1);
  assert.equal(perfect.macroF1, 1);
  const restricted = score(truth, pred, ['1', 'x']);
  assert.equal(restricted.n, 1);
  assert.ok(Number.isNaN(score(truth, pred, []).accuracy));
});

test('median and medianOf summarise repeated runs', () => {
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(median([4, 1, 3, 2]), 2.5);
  assert.ok(Number.isNaN(median([])));
  assert.equal(median([NaN, 5]), 5);
  const m = medianOf([
    { a: 1, b: 'x', c: [1, 10], d: null },
    { a: 3, b: 'y', c: [2, 30], d: null },
    { a: 2, b: 'z', c: [3, 20, 99], d: null },
  ]);
  assert.deepEqual(m, { a: 2, b: 'x', c: [2, 20], d: null });
});

// ───────────── simulated annotator ─────────────

/** Records what the annotator does, as a journal would. */
class Recorder implements AnnotatorTarget {
  calls: string[] = [];
  labels = new Map<string, string>();
  constructor(private proposals: Map<string, string> = new Map()) {}
  setProposals(ps: Proposal[]) {
    this.proposals = new Map(ps.map((p) => [p.item, p.label]));
  }
  async label(item: string, label: string) {
    this.calls.push(`label ${item} ${label}`);
    this.labels.set(item, label);
  }
  async accept(items: string[]) {
    this.calls.push(`accept ${items.join(' ')}`);
    for (const i of items) {
      const l = this.proposals.get(i);
      if (l === undefined) throw new Error(`no pending proposal for ${i}`);
      this.labels.set(i, l);
    }
  }
  async correct(item: string, label: string) {
    this.calls.push(`correct ${item} ${label}`);
    this.labels.set(item, label);
  }
}

const prop = (item: string, label: string, confidence: number): Proposal => ({ item, label, confidence, model: 'm1' });

async function realTruth(): Promise<Map<string, string>> {
  // A tiny real truth file: 3 classes, 4 items each.
  const rows = ['path,label'];
  for (let i = 1; i <= 12; i++) rows.push(`d/${String(i).padStart(2, '0')}.png,${['x', 'y', 'z'][(i - 1) % 3]}`);
  return (await readTruth(write('ann/truth.csv', rows.join('\n') + '\n'))).labels;
}

test('annotator seeds K random items per class, one human action each, repeatable with the seed', async () => {
  const truth = await realTruth();
  const items = [...truth.keys()];
  const target = new Recorder();
  const a = new SimulatedAnnotator(truth, target, mulberry32(5));
  const chosen = await a.seed(items, 2);
  assert.equal(chosen.length, 6);
  for (const cls of ['x', 'y', 'z']) assert.equal(chosen.filter((id) => truth.get(id) === cls).length, 2);
  for (const id of chosen) assert.equal(target.labels.get(id), truth.get(id));
  assert.equal(a.counts.human, 6);
  assert.equal(a.counts.seed, 6);
  const again = await new SimulatedAnnotator(truth, new Recorder(), mulberry32(5)).seed(items, 2);
  assert.deepEqual(again, chosen);
  // A class with fewer items than K gives all it has.
  const b = new SimulatedAnnotator(truth, new Recorder(), mulberry32(1));
  assert.equal((await b.seed(items, 10)).length, 12);
});

test('annotator review: accepts right proposals, corrects wrong ones, one action each, top-N by confidence', async () => {
  const truth = await realTruth();
  const target = new Recorder();
  const a = new SimulatedAnnotator(truth, target, mulberry32(1));
  const ps = [
    prop('d/01.png', 'x', 0.99), // right
    prop('d/02.png', 'x', 0.97), // wrong (truth y)
    prop('d/03.png', 'z', 0.6), // right but beyond N=3 after sorting
    prop('d/04.png', 'x', 0.98), // right
    prop('not/in-truth.png', 'x', 0.995), // no truth: left alone, not counted
  ];
  target.setProposals(ps);
  const r = await a.review(ps, 3);
  assert.deepEqual(r, { reviewed: 3, accepted: 2, corrected: 1 });
  assert.deepEqual(target.calls, ['accept d/01.png d/04.png', 'correct d/02.png y']);
  assert.equal(a.counts.human, 3);
  assert.equal(a.counts.accepted, 2);
  assert.equal(a.counts.corrected, 1);
  assert.equal(a.counts.skippedNoTruth, 1);
  assert.equal(target.labels.get('d/02.png'), 'y');
  assert.equal(target.labels.has('d/03.png'), false);
  // Items already labelled are not reviewed again.
  const r2 = await a.review(ps, 10);
  assert.deepEqual(r2, { reviewed: 1, accepted: 1, corrected: 0 });
  assert.equal(a.counts.human, 4);
});

test('annotator labels suggested uncertain items with the truth; no-review acceptance costs 0 human actions', async () => {
  const truth = await realTruth();
  const target = new Recorder();
  const a = new SimulatedAnnotator(truth, target, mulberry32(1));
  const sugg: Suggestion[] = ['d/05.png', 'd/06.png', 'd/07.png'].map((item) => ({ item, score: 1, reason: 'uncertain' }));
  assert.equal(await a.labelSuggested(sugg, 2), 2);
  assert.equal(target.labels.get('d/05.png'), 'y');
  assert.equal(target.labels.get('d/06.png'), 'z');
  assert.equal(a.counts.uncertain, 2);
  assert.equal(a.counts.human, 2);
  const ps = [prop('d/08.png', 'y', 0.95), prop('d/09.png', 'x', 0.93), prop('d/05.png', 'x', 0.99)];
  target.setProposals(ps);
  // d/09 is wrong (truth z) but accepted unreviewed; d/05 is already labelled and skipped.
  assert.equal(await a.acceptUnreviewed(ps), 2);
  assert.equal(a.counts.human, 2, 'pseudo-labelling takes no human action');
  assert.equal(a.counts.auto, 2);
  assert.equal(target.labels.get('d/09.png'), 'x');
  assert.equal(a.labels.get('d/09.png')?.kind, 'auto');
});

test('annotator respects a budget of human actions', async () => {
  const truth = await realTruth();
  const a = new SimulatedAnnotator(truth, new Recorder(), mulberry32(3), 4);
  await a.seed([...truth.keys()], 2);
  assert.equal(a.counts.human, 4);
  const ps = [prop('d/10.png', 'x', 0.9)];
  assert.deepEqual(await a.review(ps, 5), { reviewed: 0, accepted: 0, corrected: 0 });
  assert.equal(a.remaining, 0);
});

// ───────────── scratch workspace ─────────────

test('buildWorkspace hard-links the truth items only, never writing into the data folder', async () => {
  const data = path.join(tmp, 'ws-data');
  write('ws-data/a/1.txt', 'one');
  write('ws-data/a/2.txt', 'two');
  write('ws-data/3.txt', 'three');
  write('ws-data/untracked.txt', 'no truth');
  const truth = new Map([
    ['a/1.txt', 'p'],
    ['a/2.txt', 'q'],
    ['3.txt', 'p'],
    ['gone.txt', 'q'],
  ]);
  const before = fs.readdirSync(data, { recursive: true }).sort();
  const ws = await buildWorkspace({ data, truth, dest: path.join(tmp, 'ws-out'), seed: 1 });
  assert.deepEqual([...ws.truth].sort(), [
    ['3.txt', 'p'],
    ['a/1.txt', 'p'],
    ['a/2.txt', 'q'],
  ]);
  assert.equal(ws.files.linked + ws.files.copied, 3);
  assert.equal(fs.readFileSync(path.join(ws.root, 'a/2.txt'), 'utf8'), 'two');
  assert.equal(fs.existsSync(path.join(ws.root, 'untracked.txt')), false);
  assert.deepEqual(
    ws.missing.map((m) => m.id),
    ['gone.txt'],
  );
  assert.deepEqual(fs.readdirSync(data, { recursive: true }).sort(), before);
  if (ws.files.linked === 3) assert.equal(fs.statSync(path.join(data, '3.txt')).ino, fs.statSync(path.join(ws.root, '3.txt')).ino);
  await assert.rejects(buildWorkspace({ data, truth, dest: ws.root, seed: 1 }), /not empty/);
});

test('buildWorkspace with a limit keeps a seeded subset and renumbers the rows of a partly kept JSONL/CSV file', async () => {
  const lines = Array.from({ length: 10 }, (_, i) => JSON.stringify({ text: `row ${i + 1}` }));
  const file = write('rows/mail.jsonl', lines.slice(0, 5).join('\n') + '\n\n' + lines.slice(5).join('\n') + '\n');
  const truth = (
    await readTruth(write('rows/t.csv', ['path,label', ...lines.map((_, i) => `#${i + 1},${i % 2 ? 'odd' : 'even'}`)].join('\n')), {
      singleFile: 'mail.jsonl',
    })
  ).labels;
  assert.equal(truth.get('mail.jsonl#2'), 'odd');
  const ws = await buildWorkspace({ data: file, truth, dest: path.join(tmp, 'rows-out'), limit: 4, seed: 7 });
  assert.equal(ws.truth.size, 4);
  assert.equal(ws.files.subsets, 1);
  const kept = fs.readFileSync(path.join(ws.root, 'mail.jsonl'), 'utf8').trim().split('\n');
  assert.equal(kept.length, 4);
  // Each renumbered row keeps the label of the original row it came from.
  kept.forEach((line, k) => {
    const orig = Number((JSON.parse(line) as { text: string }).text.split(' ')[1]);
    assert.equal(ws.truth.get(`mail.jsonl#${k + 1}`), orig % 2 === 0 ? 'odd' : 'even');
  });
  // The same seed picks the same subset.
  const again = await buildWorkspace({ data: file, truth, dest: path.join(tmp, 'rows-out2'), limit: 4, seed: 7 });
  assert.deepEqual(fs.readFileSync(path.join(again.root, 'mail.jsonl'), 'utf8'), kept.join('\n') + '\n');
  // Rows beyond the end of the file are reported, not invented.
  const over = await buildWorkspace({
    data: file,
    truth: new Map([
      ['mail.jsonl#11', 'odd'],
      ['mail.jsonl#1', 'even'],
    ]),
    dest: path.join(tmp, 'rows-out3'),
    seed: 1,
  });
  assert.deepEqual(
    over.missing.map((m) => m.id),
    ['mail.jsonl#11'],
  );
  assert.deepEqual([...over.truth], [['mail.jsonl#1', 'even']]);
});

test('splitRows numbers CSV data rows without the header, with quoted newlines kept whole', () => {
  const r = splitRows('x.csv', 'text,id\n"hello\nworld",1\nbye,2\n');
  assert.equal(r.header, 'text,id');
  assert.deepEqual(r.rows, ['"hello\nworld",1', 'bye,2']);
  assert.deepEqual(splitRows('x.jsonl', '{"a":1}\n\n{"a":2}\r\n').rows, ['{"a":1}', '{"a":2}']);
});

test('sample picks distinct items and is repeatable', () => {
  const xs = Array.from({ length: 50 }, (_, i) => i);
  const s1 = sample(xs, 10, mulberry32(9));
  assert.equal(new Set(s1).size, 10);
  assert.deepEqual(sample(xs, 10, mulberry32(9)), s1);
  assert.notDeepEqual(sample(xs, 10, mulberry32(10)), s1);
  assert.equal(sample(xs, 99, mulberry32(1)).length, 50);
});

// ───────────── options and targets ─────────────

test('parseBenchArgs: defaults, flags, targets, and clear usage errors', () => {
  const o = parseBenchArgs([
    '--data',
    'd',
    '--truth=t.csv',
    '--no-review',
    '--rounds',
    '2',
    '--threshold',
    '0.95',
    '--target',
    'acc=final.testAccuracy>=95%',
    '--no-speed',
  ]);
  assert.ok(o);
  assert.equal(o.data, 'd');
  assert.equal(o.truth, 't.csv');
  assert.equal(o.noReview, true);
  assert.equal(o.rounds, 2);
  assert.equal(o.seedPerClass, 10);
  assert.equal(o.threshold, 0.95);
  assert.equal(o.speed, false);
  assert.equal(o.baselines, true, 'baselines run by default');
  assert.equal(parseBenchArgs(['--data', 'd', '--truth', 't', '--no-baselines', '--supervised-items', '500'])?.baselines, false);
  assert.equal(parseBenchArgs(['--data', 'd', '--truth', 't', '--supervised-items', '500'])?.supervisedItems, 500);
  assert.equal(parseBenchArgs(['--data', 'd', '--truth', 't', '--image-size', '48'])?.imageSize, 48);
  assert.throws(() => parseBenchArgs(['--data', 'd', '--truth', 't', '--image-size', '4']), /--image-size must be 8\.\.256/);
  assert.deepEqual(o.targets, [{ name: 'acc', metric: 'final.testAccuracy', op: '>=', value: 0.95 }]);
  assert.equal(parseBenchArgs(['--help']), null);
  assert.throws(() => parseBenchArgs(['--truth', 't']), /needs --data/);
  assert.throws(() => parseBenchArgs(['--data', 'd', '--truth', 't', '--rounds', 'x']), BenchUsageError);
  assert.throws(() => parseBenchArgs(['--data', 'd', '--truth', 't', '--rounds', '1.5']), /whole number/);
  assert.throws(() => parseBenchArgs(['--data', 'd', '--truth', 't', '--test-data', 'x']), /go together/);
  assert.throws(() => parseBenchArgs(['--data', 'd', '--truth', 't', '--bogus']), /unknown option --bogus/);
  assert.throws(() => parseTarget('final.testAccuracy ~ 3'), /bad --target/);
});

test('targets read metrics by path and a missing metric is a MISS, not a pass', () => {
  const result = { final: { testAccuracy: 0.951, wallSeconds: 1300 }, speed: { pretrainItemsPerSecond: { total: 801 } } };
  assert.equal(metricAt(result, 'speed.pretrainItemsPerSecond.total'), 801);
  assert.equal(metricAt(result, 'final.nothing'), null);
  const r = evaluateTargets(result, [
    parseTarget('final.testAccuracy>=0.95'),
    parseTarget('final.wallSeconds<=1200'),
    parseTarget('final.datasetLabelAccuracy>=0.99'),
  ]);
  assert.deepEqual(
    r.map((t) => t.pass),
    [true, false, false],
  );
  assert.equal(r[2].actual, null);
  const md = formatTargets(r);
  assert.match(md, /95\.10% \| PASS/);
  assert.match(md, /1,300 \| MISS/);
  assert.match(md, /— \| MISS/);
});

test('a target with alternatives passes when any condition does, and shows each', () => {
  const t = parseTarget('dev set=final.testAccuracy>=95% or baselineMargin.test>=0.10');
  assert.deepEqual(t, {
    name: 'dev set',
    metric: 'final.testAccuracy',
    op: '>=',
    value: 0.95,
    or: [{ metric: 'baselineMargin.test', op: '>=', value: 0.1 }],
  });
  const unnamed = parseTarget('final.testAccuracy>=0.95 or baselineMargin.test>=0.1');
  assert.equal(unnamed.name, 'final.testAccuracy >= 0.95 or baselineMargin.test >= 0.1');
  assert.throws(() => parseTarget('final.testAccuracy>=0.95 or'), /bad --target/);
  assert.throws(() => parseTarget('final.testAccuracy>=0.95 or margin ~ 3'), /bad --target/);
  const checked = [
    { final: { testAccuracy: 0.9 }, baselineMargin: { test: 0.125 } }, // 90%, 12.5 points ahead: the margin passes
    { final: { testAccuracy: 0.97 }, baselineMargin: { test: 0.02 } }, // ≥ 95%: the accuracy passes
    { final: { testAccuracy: 0.9 }, baselineMargin: { test: 0.085 } }, // neither
    { final: { testAccuracy: 0.9 }, baselineMargin: { test: null } }, // no baselines: a MISS, not a pass
  ].map((res) => evaluateTargets(res, [t])[0]);
  assert.deepEqual(
    checked.map((c) => c.pass),
    [true, true, false, false],
  );
  assert.equal(checked[0].or?.[0].actual, 0.125);
  assert.equal(checked[3].or?.[0].actual, null);
  const md = formatTargets(checked);
  assert.match(
    md,
    /\| dev set \| final\.testAccuracy >= 95\.00% or baselineMargin\.test >= \+10\.0 points \| final\.testAccuracy 90\.00%, baselineMargin\.test \+12\.5 points \| PASS \|/,
  );
  assert.match(md, /baselineMargin\.test \+8\.5 points \| MISS/);
  assert.match(md, /baselineMargin\.test — \| MISS/);
});

// ───────────── throughput figures ─────────────

test('pretrainRates: wall-clock rate over the whole stage, per-worker rate over each worker’s tasks', async () => {
  const { pretrainRates } = await import('../../src/bench/run');
  const tasks = [
    { task: 'a', epochs: 2, seconds: 10, itemsPerSecond: 100 }, // 1,000 items in 10 s
    { task: 'b', epochs: 2, seconds: 20, itemsPerSecond: 50 }, // 1,000 items in 20 s
  ];
  // 500 items × 2 epochs × 2 tasks = 2,000 item-epochs in a 25 s stage → 80/s.
  const two = pretrainRates(tasks, 500, 25, 2, 150);
  assert.equal(two.wall, 80);
  assert.deepEqual(two.perWorker, [100, 50]);
  assert.deepEqual(two.perTask, { a: 100, b: 50 });
  assert.equal(two.total, 150);
  // One worker ran both tasks: 2,000 items in 30 s of training.
  const one = pretrainRates(tasks, 500, 31, 1, 150);
  assert.ok(Math.abs(one.perWorker[0] - 2000 / 30) < 1e-9);
});

test("runSeedOfEncoder: task i of the pool's own modality was pretrained with the run's seed + i", async () => {
  const { runSeedOfEncoder } = await import('../../src/bench/run');
  // Audio's contrastive task is its first, text's its second: one name, two offsets (session 21: the audio encoders
  // of seed 1 were refused as seed 0's, read with text's order).
  assert.equal(runSeedOfEncoder('audio', 'contrastive', 1), 1);
  assert.equal(runSeedOfEncoder('audio', 'masked', 2), 1);
  assert.equal(runSeedOfEncoder('text', 'masked', 1), 1);
  assert.equal(runSeedOfEncoder('text', 'contrastive', 2), 1);
  assert.equal(runSeedOfEncoder('image', 'rotation', 4), 3);
  // A folder that is no task of the modality (or no modality known) is taken as task 0.
  assert.equal(runSeedOfEncoder('image', 'audio-student-x', 5), 5);
  assert.equal(runSeedOfEncoder(undefined, 'contrastive', 5), 5);
});

// ───────────── the whole loop against the real engine, on 90 real MNIST digits ─────────────

test('runBench drives the real Project: action counts, truthful labels, journal matches, user folder untouched', async () => {
  const { runBench } = await import('../../src/bench/run');
  const { parseBenchArgs } = await import('../../src/bench/options');
  // The data script is plain ESM JavaScript (no types): import it by a computed path and state the one export used.
  const script = path.join(__dirname, '../../scripts/prepare-data.mjs');
  const { writeMnistSample } = (await import(script)) as {
    writeMnistSample: (dir: string, o: { size: number; seed: number; truthFile: string; log?: (s: string) => void }) => unknown;
  };
  const all = path.join(tmp, 'digits-all');
  writeMnistSample(all, { size: 90, seed: 3, truthFile: path.join(tmp, 'digits-all.csv'), log: () => undefined });
  const rows = fs.readFileSync(path.join(tmp, 'digits-all.csv'), 'utf8').trim().split('\n').slice(1);
  const pool = path.join(tmp, 'digits-pool');
  const testDir = path.join(tmp, 'digits-test');
  fs.mkdirSync(pool);
  fs.mkdirSync(testDir);
  const poolCsv = ['path,label'];
  const testCsv = ['path,label'];
  rows.forEach((r, i) => {
    const [file] = r.split(',');
    fs.renameSync(path.join(all, file), path.join(i < 60 ? pool : testDir, file));
    (i < 60 ? poolCsv : testCsv).push(r);
  });
  // A truth row for a file that does not exist (not a pool item), and a broken image (a pool item the scan skips).
  fs.writeFileSync(path.join(pool, 'broken.png'), 'not a png at all');
  fs.writeFileSync(path.join(tmp, 'pool.csv'), [...poolCsv, 'ghost.png,1', 'broken.png,1'].join('\n'));
  fs.writeFileSync(path.join(tmp, 'test.csv'), testCsv.join('\n'));
  const poolTruth = new Map(poolCsv.slice(1).map((r) => r.split(',') as [string, string]));
  const nClasses = new Set(poolTruth.values()).size;
  const base = ['--data', pool, '--truth', path.join(tmp, 'pool.csv'), '--test-data', testDir, '--test-truth', path.join(tmp, 'test.csv')];
  const common = [
    '--epochs',
    '1',
    '--rounds',
    '1',
    '--seed-per-class',
    '1',
    '--no-speed',
    '--quiet',
    '--supervised-items',
    '200',
    '--scratch',
    path.join(tmp, 'scratch'),
  ];
  const before = fs.readdirSync(pool).sort();

  const tReview = Date.now();
  const review = await runBench(
    parseBenchArgs([...base, ...common, '--review', '5', '--uncertain', '4', '--finetune', '--keep', '--target', 'final.humanActions<=1'])!,
  );
  const reviewElapsed = (Date.now() - tReview) / 1000;
  const kept = fs.readdirSync(path.join(tmp, 'scratch')).map((d) => path.join(tmp, 'scratch', d));
  assert.equal(kept.length, 1, '--keep leaves the scratch workspace');
  assert.equal(review.items, 60);
  assert.equal(review.testItems, 30);
  assert.equal(review.data.missingCount, 2);
  assert.equal(review.data.notScannedCount, 1);
  assert.equal(review.final.datasetUnlabelledUnpredicted, 1, 'the broken image has neither label nor prediction');
  assert.ok(review.final.datasetLabelAccuracy <= 60 / 61 + 1e-12, 'and counts as wrong among 61 pool items');
  assert.equal(review.mode, 'review');
  const r1 = review.rounds[0];
  const a = review.final.actions;
  assert.equal(a.seed, nClasses, 'one seed label per class present in the pool');
  assert.equal(review.final.humanActions, a.seed + a.accepted + a.corrected + a.uncertain);
  assert.equal(review.final.humanActions, nClasses + r1.reviewed + r1.uncertainLabelled);
  assert.equal(r1.reviewed, r1.accepted + r1.corrected);
  assert.ok(r1.reviewed <= 5 && r1.uncertainLabelled <= 4);
  assert.equal(a.autoAccepted, 0);
  assert.equal(r1.labelAccuracy, 1, 'a truthful annotator only ever writes right labels');
  assert.equal(review.final.journalConsistent, true);
  assert.equal(review.final.labelled, review.final.humanActions);
  assert.ok(review.final.datasetLabelAccuracy >= review.final.labelled / 61 - 1e-12);
  assert.ok(review.testItems && review.final.testAccuracy !== null && review.final.testAccuracy >= 0 && review.final.testAccuracy <= 1);
  assert.deepEqual(
    review.targets.map((t) => t.pass),
    [false],
  );
  assert.ok(review.speed.pretrainItemsPerSecond.wall > 0);
  // --finetune: the final train fine-tuned networks (scored after the classifier alone, for comparison).
  const ft = review.final.finetune;
  assert.ok(ft && ft.seconds > 0 && ft.itemsPerSecond > 0, 'the final train fine-tuned the encoder');
  assert.ok(ft.before && ft.before.datasetLabelAccuracy >= 0 && ft.before.datasetLabelAccuracy <= 1);

  // Baselines on the same human labels: PCA + logistic regression, the same budget at random, the encoder from scratch.
  assert.deepEqual(
    review.baselines.map((b) => b.name),
    ['pca-logreg', 'random-pca-logreg', 'supervised-encoder'],
  );
  assert.deepEqual(
    review.baselines.map((b) => b.labels),
    [review.final.humanActions, review.final.humanActions, review.final.humanActions],
  );
  for (const b of review.baselines) {
    assert.ok(b.testAccuracy !== null && b.testAccuracy >= 0 && b.testAccuracy <= 1, `${b.name} test ${b.testAccuracy}`);
    // Its human labels are right (truthful annotator) and the 61st pool item (broken.png) is unreadable: counts as wrong.
    assert.ok(
      b.datasetLabelAccuracy >= review.final.humanActions / 61 - 1e-12 && b.datasetLabelAccuracy <= 60 / 61 + 1e-12,
      `${b.name} dataset ${b.datasetLabelAccuracy}`,
    );
    assert.ok(b.seconds > 0);
  }
  // SelfLabel's wall time does not include the baselines' (timed on their own, without overlap): together they fit in
  // the elapsed time.
  const baselineSeconds = review.baselines.reduce((t, b) => t + b.seconds, 0);
  assert.ok(
    review.final.wallSeconds + baselineSeconds <= reviewElapsed + 0.2,
    `${review.final.wallSeconds} + ${baselineSeconds} > ${reviewElapsed}`,
  );
  assert.match(formatMarkdown(review), /\| pca-logreg \| /);
  assert.match(formatMarkdown(review), /\| supervised-encoder \| /);

  // --pretrained-from resumes the kept workspace's encoders (already at the wanted epochs: no training) and says so.
  const auto = await runBench(parseBenchArgs([...base, ...common, '--no-review', '--pretrained-from', path.join(kept[0], 'pool')])!);
  assert.ok(
    auto.warnings.some((w) => w.includes('pretraining resumed the encoders')),
    auto.warnings.join('; '),
  );
  assert.ok(auto.pretrain.tasks.length === 2 && auto.pretrain.tasks.every((t) => t.epochs === 1));
  // Encoders of another seed would not be resumed (pretraining would start over, unsaid): a clear error instead.
  await assert.rejects(
    runBench(parseBenchArgs([...base, ...common, '--no-review', '--seed', '2', '--pretrained-from', path.join(kept[0], 'pool')])!),
    /pretrained with seed 1 and this run's seed is 2, so pretraining would start over/,
  );
  fs.rmSync(kept[0], { recursive: true, force: true });
  await assert.rejects(runBench(parseBenchArgs([...base, ...common, '--no-review', '--pretrained-from', tmp])!), /no pretrained encoders/);
  assert.equal(auto.mode, 'no-review');
  assert.equal(auto.final.humanActions, nClasses, 'pseudo-labelling costs no human action');
  assert.equal(auto.final.actions.autoAccepted, auto.rounds[0].proposals);
  assert.equal(auto.rounds[0].autoAccepted, auto.rounds[0].proposals);
  assert.equal(auto.final.journalConsistent, true);
  assert.equal(auto.final.finetune, null, 'no fine-tuning without --finetune');
  assert.deepEqual(
    auto.baselines.map((b) => b.name),
    ['pca-logreg', 'supervised-encoder'],
    'no random-budget baseline without review',
  );

  // The user's folder was never written to, and the scratch workspaces are gone.
  assert.deepEqual(fs.readdirSync(pool).sort(), before);
  assert.deepEqual(fs.readdirSync(path.join(tmp, 'scratch')), []);
});

// ───────────── the image dev sets of the data script ─────────────

test('prepare-data: Papirus icons are read by context, links resolved, recoloured folders grouped by glyph, both drawings in one group', async () => {
  const script = path.join(__dirname, '../../scripts/prepare-data.mjs');
  type Icon = { label: string; group: string; file: string; source: string };
  const { readPapirusIcons, papirusArtworks, renderSvgs } = (await import(script)) as {
    readPapirusIcons: (base: string, sizes?: number[]) => Icon[];
    papirusArtworks: (names: string[]) => (name: string) => string;
    renderSvgs: (files: string[], side: number, scratch: string) => (Buffer | null)[];
  };
  const base = path.join(tmp, 'papirus');
  const svg = (fill: string, size: number) =>
    `<svg xmlns="http://www.w3.org/2000/svg" width="${size}" height="${size}"><rect width="${size}" height="${size}" fill="${fill}"/></svg>`;
  const put = (size: number, context: string, name: string, fill: string) => {
    const dir = path.join(base, `${size}x${size}`, context);
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, `${name}.svg`), svg(fill, size));
  };
  const colours = ['blue', 'red', 'teal', 'grey', 'green', 'pink', 'white', 'black', 'cyan', 'brown', 'orange'];
  const glyphs = ['music', 'home', 'code', 'books', 'games', 'mail', 'photo', 'video', 'cloud', 'tools'];
  colours.forEach((c, i) => glyphs.forEach((g, j) => put(64, 'places', `folder-${c}-${g}`, `#${i.toString(16)}${j}0`)));
  put(64, 'places', 'folder-new', '#ff0'); // "new" follows folder- once: not a colour
  for (const s of [48, 64]) put(s, 'apps', 'firefox', '#f80');
  fs.symlinkSync('firefox.svg', path.join(base, '64x64', 'apps', 'firefox-esr.svg'));
  put(64, 'devices', 'same', '#123');
  put(64, 'mimetypes', 'same', '#123'); // the same bytes under two contexts: dropped
  put(64, 'emotes', 'smile', '#321'); // not a class
  fs.symlinkSync('apps', path.join(base, '64x64', 'categories'));
  const items = readPapirusIcons(base);
  const places = items.filter((i) => i.label === 'places');
  assert.equal(places.length, glyphs.length * colours.length + 1);
  assert.deepEqual(
    [...new Set(places.map((i) => i.group))].sort(),
    [...glyphs, 'new'].map((g) => `places/folder-${g}`).sort(),
    'every colour of a glyph in one group; a word after folder- in fewer than 10 names is not a colour',
  );
  const apps = items.filter((i) => i.label === 'apps');
  assert.equal(apps.length, 2, 'the 48 and 64 px drawings, the alias once');
  assert.deepEqual([...new Set(apps.map((i) => i.group))], ['apps/firefox']);
  assert.ok(!items.some((i) => i.label === 'devices' || i.label === 'mimetypes' || i.label === 'emotes' || i.label === 'categories'));
  assert.equal(papirusArtworks(['folder-new'])('folder-new'), 'folder-new');
  if (!fs.existsSync('/usr/bin/rsvg-convert')) return; // rendering needs Debian's librsvg2-bin (the data script installs it)
  // A broken drawing between two good ones: skipped (null), the others rendered in their places.
  const broken = path.join(tmp, 'broken.svg');
  fs.writeFileSync(broken, '<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64"><rect width=');
  const png = renderSvgs([apps[0].file, broken, places[0].file], 64, path.join(tmp, 'render'));
  assert.equal(png.length, 3);
  assert.equal(png[1], null, 'the broken SVG is skipped');
  const { PNG } = await import('pngjs');
  const img = PNG.sync.read(png[0]!);
  assert.equal(img.width, 64);
  assert.equal(img.height, 64);
  assert.deepEqual([...img.data.subarray(0, 4)], [0xff, 0x88, 0x00, 0xff], 'the fill colour, opaque');
  assert.equal(PNG.sync.read(png[2]!).width, 64);
  // Mostly broken: the tool, not the data — refused.
  assert.throws(() => renderSvgs([broken, broken, apps[0].file], 64, path.join(tmp, 'render2')), /rendered 1 of 3 SVGs/);
});

test('prepare-data: oxygen icons are read by context, links resolved, duplicates and ambiguous artworks dropped, split by artwork', async () => {
  const script = path.join(__dirname, '../../scripts/prepare-data.mjs');
  type Icon = { label: string; group: string; bytes: Buffer; source: string };
  const { readOxygenIcons, groupSplit, rng } = (await import(script)) as {
    readOxygenIcons: (sizes: number[], base: string) => Icon[];
    groupSplit: (groups: Map<string, Icon[]>, fraction: number, rand: () => number) => { pool: Icon[]; test: Icon[] };
    rng: (seed: number) => () => number;
  };
  const { PNG } = await import('pngjs');
  const base = path.join(tmp, 'oxygen');
  const png = (shade: number) => {
    const p = new PNG({ width: 4, height: 4 });
    p.data.fill(shade);
    return PNG.sync.write(p);
  };
  const put = (size: number, context: string, name: string, shade: number) => {
    const dir = path.join(base, `${size}x${size}`, context);
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, `${name}.png`), png(shade));
  };
  // apps: 6 artworks at two sizes; one alias (a symbolic link) of app0; actions: 4 artworks; one artwork whose bytes
  // are filed under both places and status (ambiguous: dropped); an "emotes" context that is not a class.
  for (let k = 0; k < 6; k++) for (const s of [16, 22]) put(s, 'apps', `app${k}`, k * 10 + s);
  fs.symlinkSync('app0.png', path.join(base, '16x16', 'apps', 'app0-alias.png'));
  for (let k = 0; k < 4; k++) put(16, 'actions', `act${k}`, 100 + k);
  put(16, 'places', 'same', 200);
  put(16, 'status', 'same', 200);
  put(16, 'places', 'home', 201);
  put(16, 'emotes', 'smile', 202);
  const items = readOxygenIcons([16, 22], base);
  const labels = items.map((i) => i.label);
  assert.equal(labels.filter((l) => l === 'apps').length, 12, 'the alias is the same bytes: kept once');
  assert.equal(labels.filter((l) => l === 'actions').length, 4);
  assert.deepEqual(
    items.filter((i) => i.label === 'places').map((i) => i.group),
    ['places/home'],
    'the ambiguous artwork is dropped',
  );
  assert.ok(!labels.includes('status') && !labels.includes('emotes'));
  const groups = new Map<string, Icon[]>();
  for (const it of items) groups.set(it.group, [...(groups.get(it.group) ?? []), it]);
  const split = groupSplit(groups, 0.2, rng(1));
  assert.equal(split.pool.length + split.test.length, items.length);
  const side = new Map<string, string>();
  for (const [name, list] of [
    ['pool', split.pool],
    ['test', split.test],
  ] as const) {
    for (const it of list) {
      assert.notEqual(side.get(it.group), name === 'pool' ? 'test' : 'pool', `${it.group} is on both sides`);
      side.set(it.group, name);
    }
  }
  // Every class with two or more artworks has one in test; a single-artwork class stays in the pool.
  assert.ok(split.test.some((i) => i.label === 'apps') && split.test.some((i) => i.label === 'actions'));
  assert.ok(!split.test.some((i) => i.label === 'places'));
  const again = groupSplit(groups, 0.2, rng(1));
  assert.deepEqual(
    again.test.map((i) => i.source),
    split.test.map((i) => i.source),
    'seeded: the same split',
  );
});
