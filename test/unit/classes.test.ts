/**
 * Class schema changes as journal batches (LabelStore.changeClasses): rename, merge, split, delete, reorder — the
 * labels (and rejections) follow, one batch line records the change, one undo reverts all of it, a reopened store
 * replays it, bad changes are refused without touching anything; and the CLI door (`selflabel classes …`, `undo`).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { LabelStore } from '../../src/core/store';
import { journalEvents } from '../fixtures/journal';

let tmp: string;
before(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'selflabel-classes-'));
});
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

async function store(name: string, classes: string[]): Promise<{ s: LabelStore; root: string }> {
  const root = path.join(tmp, name);
  fs.mkdirSync(root, { recursive: true });
  const s = await LabelStore.open(root, { create: true });
  await s.setClasses(classes);
  return { s, root };
}

const labels = (s: LabelStore) =>
  Object.fromEntries([...s.current().values()].sort((a, b) => (a.item < b.item ? -1 : 1)).map((c) => [c.item, `${c.label}/${c.source}`]));
const classesFile = (root: string) => JSON.parse(fs.readFileSync(path.join(root, '.selflabel', 'classes.json'), 'utf8')).classes;
const journalLines = (root: string) =>
  fs
    .readFileSync(path.join(root, '.selflabel', 'labels.jsonl'), 'utf8')
    .split('\n')
    .filter((l) => l.trim());

test('rename: labels keep their source, rejections follow, one batch line; undo reverts it all; a reopened store agrees', async () => {
  const { s, root } = await store('rename', ['cat', 'dog']);
  await s.record({ item: 'a.png', label: 'cat', source: 'human' });
  await s.record({ item: 'b.png', label: 'cat', source: 'accepted', confidence: 0.97 });
  await s.record({ item: 'c.png', label: 'dog', source: 'human' });
  await s.record({ item: 'd.png', label: 'cat', source: 'rejected' });
  const linesBefore = journalLines(root).length;
  const r = await s.changeClasses({ op: 'rename', from: 'cat', to: 'feline' });
  assert.deepEqual(r.classes, ['feline', 'dog']);
  assert.deepEqual(classesFile(root), ['feline', 'dog']);
  assert.deepEqual(labels(s), { 'a.png': 'feline/human', 'b.png': 'feline/accepted', 'c.png': 'dog/human' });
  assert.ok(s.rejectedLabels('d.png').has('feline'));
  const lines = journalLines(root);
  assert.equal(lines.length, linesBefore + 1, 'the change is one journal line');
  const batch = JSON.parse(lines[lines.length - 1]);
  assert.equal(batch.schema.op, 'rename');
  assert.deepEqual(
    [batch.schema.before, batch.schema.after],
    [
      ['cat', 'dog'],
      ['feline', 'dog'],
    ],
  );
  assert.equal(batch.events.length, 3);

  const reopened = await LabelStore.open(root);
  assert.deepEqual(labels(reopened), labels(s), 'replay gives the same labels');

  const u = await s.undo();
  assert.ok(u);
  assert.deepEqual(labels(s), { 'a.png': 'cat/human', 'b.png': 'cat/accepted', 'c.png': 'dog/human' });
  assert.deepEqual(classesFile(root), ['cat', 'dog']);
  assert.ok(!s.rejectedLabels('d.png').has('feline'));
  // The next undo is the last label action before the change.
  await s.undo();
  assert.ok(!s.rejectedLabels('d.png').has('cat'));
  const again = await LabelStore.open(root);
  assert.deepEqual(labels(again), { 'a.png': 'cat/human', 'b.png': 'cat/accepted', 'c.png': 'dog/human' });
});

test('merge into a new class, split a selection out, delete (history keeps the labels), reorder — each undone', async () => {
  const { s, root } = await store('merge', ['a', 'b', 'c']);
  await s.recordMany([
    { item: 'x1', label: 'a', source: 'human' },
    { item: 'x2', label: 'b', source: 'human' },
    { item: 'x3', label: 'c', source: 'imported' },
    { item: 'x4', label: 'a', source: 'human' },
  ]);
  const start = labels(s);

  await s.changeClasses({ op: 'merge', from: ['a', 'b'], into: 'ab' });
  assert.deepEqual(s.classes(), ['ab', 'c']);
  assert.deepEqual(labels(s), { x1: 'ab/human', x2: 'ab/human', x3: 'c/imported', x4: 'ab/human' });
  await s.undo();
  assert.deepEqual(s.classes(), ['a', 'b', 'c']);
  assert.deepEqual(labels(s), start);

  await s.changeClasses({ op: 'split', from: 'a', into: 'a2', items: ['x4'] });
  assert.deepEqual(s.classes(), ['a', 'a2', 'b', 'c']);
  assert.equal(s.get('x4')?.label, 'a2');
  assert.equal(s.get('x1')?.label, 'a');
  await s.undo();
  assert.deepEqual(s.classes(), ['a', 'b', 'c']);
  assert.deepEqual(labels(s), start);

  await s.changeClasses({ op: 'delete', cls: 'a' });
  assert.deepEqual(s.classes(), ['b', 'c']);
  assert.equal(s.get('x1'), undefined);
  assert.ok(
    journalEvents(fs.readFileSync(path.join(root, '.selflabel', 'labels.jsonl'), 'utf8')).some(
      (e: { item: string; label: string }) => e.item === 'x1' && e.label === 'a',
    ),
    'the journal keeps the labels of the deleted class',
  );
  await s.undo();
  assert.deepEqual(labels(s), start);
  assert.deepEqual(s.classes(), ['a', 'b', 'c']);

  await s.changeClasses({ op: 'reorder', classes: ['c', 'a', 'b'] });
  assert.deepEqual(classesFile(root), ['c', 'a', 'b']);
  assert.deepEqual(labels(s), start);
  await s.undo();
  assert.deepEqual(classesFile(root), ['a', 'b', 'c']);
  assert.deepEqual((await LabelStore.open(root)).classes(), ['a', 'b', 'c']);
});

test('bad changes are refused with a clear error and change nothing', async () => {
  const { s, root } = await store('bad', ['a', 'b']);
  await s.record({ item: 'x', label: 'a', source: 'human' });
  const journal = fs.readFileSync(path.join(root, '.selflabel', 'labels.jsonl'), 'utf8');
  await assert.rejects(s.changeClasses({ op: 'rename', from: 'zz', to: 'y' }), /unknown class "zz"/);
  await assert.rejects(s.changeClasses({ op: 'rename', from: 'a', to: 'B' }), /exists already/);
  await assert.rejects(s.changeClasses({ op: 'split', from: 'b', into: 'c', items: ['x'] }), /x is not labelled "b"/);
  await assert.rejects(s.changeClasses({ op: 'reorder', classes: ['a'] }), /every class exactly once/);
  await assert.rejects(s.changeClasses({ op: 'rename', from: 'a', to: '' }), /class name/);
  assert.equal(fs.readFileSync(path.join(root, '.selflabel', 'labels.jsonl'), 'utf8'), journal);
  assert.deepEqual(classesFile(root), ['a', 'b']);
  assert.equal(s.get('x')?.label, 'a');
});

test('a journal written before schema changes existed replays as before, and a label given after a change is undone first', async () => {
  const { s, root } = await store('old', ['a', 'b']);
  // An old journal: single events and a plain batch line, no schema records.
  const e = (id: string, item: string, label: string) => ({ id, time: '2026-01-01T00:00:00.000Z', item, label, source: 'human' });
  fs.writeFileSync(
    path.join(root, '.selflabel', 'labels.jsonl'),
    JSON.stringify(e('e1', 'x', 'a')) +
      '\n' +
      JSON.stringify({ batch: 'b1', time: '2026-01-01T00:00:01.000Z', events: [e('e2', 'y', 'b'), e('e3', 'z', 'a')] }) +
      '\n',
  );
  const old = await LabelStore.open(root);
  assert.deepEqual(labels(old), { x: 'a/human', y: 'b/human', z: 'a/human' });
  await old.changeClasses({ op: 'rename', from: 'a', to: 'alpha' });
  await old.record({ item: 'w', label: 'alpha', source: 'human' });
  await old.undo(); // the label given after the change
  assert.equal(old.get('w'), undefined);
  assert.equal(old.get('x')?.label, 'alpha');
  await old.undo(); // then the change
  assert.deepEqual(labels(old), { x: 'a/human', y: 'b/human', z: 'a/human' });
  void s;
});

test('CLI: classes lists, renames and merges; undo reverts the change', () => {
  const root = path.join(tmp, 'cli');
  fs.mkdirSync(root);
  fs.writeFileSync(path.join(root, 'one.txt'), 'hello there');
  fs.writeFileSync(path.join(root, 'two.txt'), 'win money now');
  const cli = (...args: string[]) =>
    spawnSync(process.execPath, ['--import', 'tsx', path.resolve(__dirname, '../../src/cli/main.ts'), ...args, '--workspace', root], {
      encoding: 'utf8',
      env: { ...process.env, CI: 'true' },
    });
  assert.equal(cli('init', '--classes', 'ham,spam').status, 0);
  assert.equal(cli('label', 'one.txt', 'ham').status, 0);
  assert.equal(cli('label', 'two.txt', 'spam').status, 0);
  const r = cli('classes', 'rename', 'spam', 'junk');
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /classes: ham, junk/);
  const list = cli('classes', '--json');
  assert.deepEqual(JSON.parse(list.stdout).classes, ['ham', 'junk']);
  const m = cli('classes', 'merge', 'ham', 'junk', '--into', 'mail', '--json');
  assert.equal(m.status, 0, m.stderr);
  assert.deepEqual(JSON.parse(m.stdout).classes, ['mail']);
  const u = cli('undo');
  assert.match(u.stdout, /undid the class change: merge ham, junk into mail/);
  assert.deepEqual(classesFile(root), ['ham', 'junk']);
  const bad = cli('classes', 'explode', 'ham');
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /unknown classes action "explode"/);
});
