/**
 * Undo and redo act on whole steps (issue 13): a journal line — one event, or a batch (label all from the map, an
 * accept of many, similar items, a class change) — is undone by one undo and redone by one redo; redo works only
 * until something new is done; a fresh replay of the journal agrees (other windows, the CLI). Through the store and
 * through the Project facade.
 */
import { test, before, after } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { LabelStore } from '../../src/core/store';
import { Project } from '../../src/core/project';

let tmp: string;
before(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'selflabel-undo-batch-'));
});
after(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

let n = 0;
async function newStore(classes = ['cat', 'dog', 'bird']): Promise<{ root: string; store: LabelStore }> {
  const root = path.join(tmp, `ws${++n}`);
  await fs.mkdir(root);
  const store = await LabelStore.open(root, { create: true });
  await store.setClasses(classes);
  return { root, store };
}

const labels = (s: LabelStore) => Object.fromEntries([...s.current()].map(([k, v]) => [k, v.label]));
const lines = async (root: string) =>
  (await fs.readFile(path.join(root, '.selflabel', 'labels.jsonl'), 'utf8')).split('\n').filter((l) => l.trim());

test('one undo reverts a whole batch, restoring each item to what it was; the undo is one journal line', async () => {
  const { root, store } = await newStore();
  await store.record({ item: 'a', label: 'dog', source: 'human' });
  const before = labels(store);
  const batch = await store.recordMany(['a', 'b', 'c'].map((item) => ({ item, label: 'cat', source: 'human' as const })));
  await store.record({ item: 'd', label: 'bird', source: 'human' });
  const written = (await lines(root)).length;

  const first = await store.undo();
  assert.equal(first?.item, 'd', 'the latest step first: the single label');
  assert.equal(first?.events.length, 1);
  const second = await store.undo();
  assert.deepEqual(
    second?.events.map((e) => e.id),
    batch.map((e) => e.id),
    'the whole batch, in one undo',
  );
  assert.deepEqual(labels(store), before, 'a back to dog, b and c unlabelled');
  const after = await lines(root);
  assert.equal(after.length, written + 2, 'one line per undo');
  const undoLine = JSON.parse(after[after.length - 1]) as { batch?: string; events?: { source: string; undoes: string }[] };
  assert.deepEqual(
    undoLine.events?.map((e) => [e.source, e.undoes]),
    batch.map((e) => ['undo', e.id]),
  );
  const again = await LabelStore.open(root);
  assert.deepEqual(labels(again), labels(store), 'a fresh replay agrees');
});

test('redo re-applies the undone steps latest first, once; a new action ends redo', async () => {
  const { store } = await newStore();
  await store.recordMany(['a', 'b'].map((item) => ({ item, label: 'cat', source: 'human' as const })));
  await store.record({ item: 'c', label: 'dog', source: 'human' });
  assert.equal(await store.redo(), undefined, 'nothing undone: nothing to redo');
  await store.undo(); // c
  await store.undo(); // a, b
  assert.deepEqual(labels(store), {});
  assert.ok(store.canRedo());
  const r1 = await store.redo();
  assert.deepEqual(r1?.events.map((e) => e.item).sort(), ['a', 'b'], 'the batch comes back whole');
  assert.deepEqual(labels(store), { a: 'cat', b: 'cat' });
  const r2 = await store.redo();
  assert.equal(r2?.item, 'c');
  assert.deepEqual(labels(store), { a: 'cat', b: 'cat', c: 'dog' });
  assert.equal(await store.redo(), undefined, 'nothing left to redo');
  // A redone step is undone whole again, and redone again.
  assert.equal((await store.undo())?.item, 'c');
  assert.equal((await store.undo())?.events.length, 2);
  assert.deepEqual(labels(store), {});
  await store.redo();
  assert.deepEqual(labels(store), { a: 'cat', b: 'cat' });
  // Something new: the remaining undone step (c) can no longer be redone.
  await store.record({ item: 'e', label: 'bird', source: 'human' });
  assert.equal(store.canRedo(), false);
  assert.equal(await store.redo(), undefined);
  assert.deepEqual(labels(store), { a: 'cat', b: 'cat', e: 'bird' });
});

test('redo across writers: another store on the same journal sees the undo and can redo it', async () => {
  const { root, store } = await newStore();
  await store.recordMany(['a', 'b', 'c'].map((item) => ({ item, label: 'dog', source: 'human' as const })));
  await store.undo();
  const other = await LabelStore.open(root);
  assert.deepEqual(labels(other), {});
  assert.ok(other.canRedo(), 'the redo list is rebuilt from the journal');
  assert.equal((await other.redo())?.events.length, 3);
  await store.refresh();
  assert.deepEqual(labels(store), { a: 'dog', b: 'dog', c: 'dog' });
  assert.equal(store.canRedo(), false, 'the other writer redid it');
});

test('a class change is undone and redone as one step (classes and labels)', async () => {
  const { root, store } = await newStore(['cat', 'dog']);
  await store.recordMany(['a', 'b'].map((item) => ({ item, label: 'cat', source: 'human' as const })));
  await store.changeClasses({ op: 'rename', from: 'cat', to: 'feline' });
  assert.deepEqual(labels(store), { a: 'feline', b: 'feline' });
  const u = await store.undo();
  assert.match(u?.schema ?? '', /rename cat → feline/);
  assert.equal(u?.events.length, 2);
  assert.deepEqual(store.classes(), ['cat', 'dog']);
  assert.deepEqual(labels(store), { a: 'cat', b: 'cat' });
  const r = await store.redo();
  assert.match(r?.schema ?? '', /rename cat → feline/);
  assert.deepEqual(store.classes(), ['feline', 'dog']);
  assert.deepEqual(labels(store), { a: 'feline', b: 'feline' });
  const fresh = await LabelStore.open(root);
  assert.deepEqual(fresh.classes(), ['feline', 'dog']);
  assert.deepEqual(labels(fresh), { a: 'feline', b: 'feline' });
  // and undone again: back to cat
  await store.undo();
  assert.deepEqual(store.classes(), ['cat', 'dog']);
  assert.deepEqual(labels(store), { a: 'cat', b: 'cat' });
});

test('Project: label all, and accept with labels, are one undo each; redo brings them back', async () => {
  const root = path.join(tmp, 'project');
  await fs.mkdir(root);
  for (let i = 0; i < 6; i++) await fs.writeFile(path.join(root, `t${i}.txt`), `text number ${i} about ${i % 2 ? 'cats' : 'dogs'}`);
  const p = await Project.init(root, ['cat', 'dog']);
  await p.scan();
  await p.label('t0.txt', 'dog');
  await p.labelMany(['t0.txt', 't1.txt', 't3.txt'], 'cat');
  assert.deepEqual(
    ['t0.txt', 't1.txt', 't3.txt'].map((x) => p.labelOf(x)?.label),
    ['cat', 'cat', 'cat'],
  );
  const u = await p.undo();
  assert.equal(u?.events.length, 3);
  assert.equal(p.labelOf('t0.txt')?.label, 'dog', 'back to its label before the batch');
  assert.equal(p.labelOf('t1.txt'), undefined);
  assert.equal(p.labelOf('t3.txt'), undefined);
  assert.equal((await p.redo())?.events.length, 3);
  assert.equal(p.labelOf('t3.txt')?.label, 'cat');

  await p.accept(
    [],
    [
      { item: 't2.txt', label: 'dog' },
      { item: 't4.txt', label: 'dog' },
    ],
  );
  await assert.rejects(p.accept([], [{ item: 't5.txt', label: 'bird' }]), /unknown class "bird"/);
  assert.equal(p.labelOf('t5.txt'), undefined, 'a refused batch writes nothing');
  assert.equal((await p.undo())?.events.length, 2);
  assert.equal(p.labelOf('t2.txt'), undefined);
  assert.equal(p.labelOf('t4.txt'), undefined);
  assert.equal(p.labelOf('t3.txt')?.label, 'cat', 'only the last batch');
});

test('CLI: undo takes back a whole import, redo brings it back, and say so', async () => {
  const { spawnSync } = await import('node:child_process');
  const repo = path.resolve(__dirname, '../..');
  const ws = path.join(tmp, 'cli');
  await fs.mkdir(ws);
  for (let i = 0; i < 3; i++) await fs.writeFile(path.join(ws, `m${i}.txt`), `mail ${i}`);
  const csv = path.join(tmp, 'cli-labels.csv');
  await fs.writeFile(csv, 'path,label\nm0.txt,ham\nm1.txt,spam\nm2.txt,ham\n');
  const cli = (...args: string[]) =>
    spawnSync(process.execPath, ['--import', 'tsx', path.join(repo, 'src/cli/main.ts'), ...args, '--workspace', ws], {
      encoding: 'utf8',
      timeout: 120_000,
    });
  assert.equal(cli('init', '--classes', 'ham,spam').status, 0);
  const imp = cli('import', csv);
  assert.equal(imp.status, 0, imp.stderr);
  const un = cli('undo', '--json');
  assert.equal(un.status, 0, un.stderr);
  assert.equal((JSON.parse(un.stdout) as { events: number }).events, 3);
  assert.match(cli('undo').stdout, /nothing to undo/);
  const store = await LabelStore.open(ws);
  assert.deepEqual(labels(store), {});
  const re = cli('redo');
  assert.equal(re.status, 0, re.stderr);
  assert.match(re.stdout, /redid a batch of 3 label events \(m0\.txt, m1\.txt, m2\.txt\)/);
  await store.refresh();
  assert.deepEqual(labels(store), { 'm0.txt': 'ham', 'm1.txt': 'spam', 'm2.txt': 'ham' });
  assert.match(cli('redo').stdout, /nothing to redo/);
});
