/**
 * Tests of the label store (src/core/store) on real files in temp folders: journal record/replay, undo, rejections,
 * class validation, compaction, concurrent writers, torn lines, failing writes, import/export.
 */
import { test, describe, before, after } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import { existsSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { LabelStore, importCsv, exportLabels, acquireLock, EXPORT_MARKER } from '../../src/core/store';
import { parseCsv } from '../../src/core/dataset';
import type { CurrentLabel, LabelEvent } from '../../src/core/types';

let tmp: string;
before(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'selflabel-store-'));
});
after(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

let n = 0;
async function newRoot(): Promise<string> {
  const root = path.join(tmp, `ws${++n}`);
  await fs.mkdir(root);
  return root;
}

async function newStore(classes = ['cat', 'dog', 'bird']): Promise<{ root: string; store: LabelStore }> {
  const root = await newRoot();
  const store = await LabelStore.open(root, { create: true });
  await store.setClasses(classes);
  return { root, store };
}

const journal = (root: string) => path.join(root, '.selflabel', 'labels.jsonl');

/** A plain snapshot of the state: current labels (without times) and rejected sets. */
function snapshot(s: LabelStore): { current: Record<string, string>; rejected: Record<string, string[]> } {
  const current: Record<string, string> = {};
  const rejected: Record<string, string[]> = {};
  for (const [item, c] of [...s.current()].sort()) current[item] = `${c.label}/${c.source}`;
  const items = new Set<string>();
  for (const e of s.events()) items.add(e.item);
  for (const item of [...items].sort()) {
    const r = [...s.rejectedLabels(item)].sort();
    if (r.length) rejected[item] = r;
  }
  return { current, rejected };
}

/** Reference replay written independently of the store: fold the non-cancelled events per item. */
function referenceState(events: LabelEvent[]): { current: Record<string, string>; rejected: Record<string, string[]> } {
  const cancelled = new Set<string>();
  // no redo in these tests: an undo cancels its target
  for (const e of events) if (e.source === 'undo') cancelled.add(e.undoes!);
  const current: Record<string, string> = {};
  const rej: Record<string, Set<string>> = {};
  for (const e of events) {
    if (e.source === 'undo' || cancelled.has(e.id)) continue;
    if (e.source === 'rejected') (rej[e.item] ??= new Set()).add(e.label!);
    else if (e.source === 'removed') delete current[e.item];
    else current[e.item] = `${e.label}/${e.source}`;
  }
  const rejected: Record<string, string[]> = {};
  for (const k of Object.keys(rej).sort()) rejected[k] = [...rej[k]].sort();
  const sorted: Record<string, string> = {};
  for (const k of Object.keys(current).sort()) sorted[k] = current[k];
  return { current: sorted, rejected };
}

/** The journal's non-blank lines, without the header line of a compacted journal. */
async function journalLines(root: string): Promise<string[]> {
  return (await fs.readFile(journal(root), 'utf8')).split('\n').filter((l) => l.trim() && !l.startsWith('{"journal":'));
}

describe('opening and classes', () => {
  test('a folder without .selflabel is refused unless create; create writes .gitignore and an empty journal', async () => {
    const root = await newRoot();
    await assert.rejects(LabelStore.open(root), /not a SelfLabel workspace: run init/);
    const s = await LabelStore.open(root, { create: true });
    assert.equal(await fs.readFile(path.join(root, '.selflabel', '.gitignore'), 'utf8'), 'cache/\nmodels/\n*.tmp\nlabels.jsonl.prev-*\n');
    assert.equal(await fs.readFile(journal(root), 'utf8'), '');
    assert.deepEqual(s.classes(), []);
    assert.deepEqual(s.warnings, []);
    await s.setClasses(['cat', 'dog']);
    assert.deepEqual(JSON.parse(await fs.readFile(path.join(root, '.selflabel', 'classes.json'), 'utf8')), {
      version: 1,
      classes: ['cat', 'dog'],
    });
    const again = await LabelStore.open(root);
    assert.deepEqual(again.classes(), ['cat', 'dog']);
  });

  test('class lists are validated', async () => {
    const { store } = await newStore();
    const bad: [string[], RegExp][] = [
      [[], /at least one class/],
      [['cat', 'cat'], /listed twice/],
      [['Cat', 'cat'], /differ only in case/],
      [['a,b'], /comma/],
      [['two\nlines'], /line break/],
      [[' cat'], /spaces/],
      [[''], /empty/],
      [['a/b'], /slash/],
      [['..'], /folder name/],
      [['x'.repeat(101)], /longer than/],
    ];
    for (const [classes, re] of bad) await assert.rejects(store.setClasses(classes), re, JSON.stringify(classes));
    assert.deepEqual(store.classes(), ['cat', 'dog', 'bird']);
  });

  test('removing a class that has labels needs force, which removes those labels', async () => {
    const { root, store } = await newStore();
    await store.record({ item: 'a', label: 'bird', source: 'human' });
    await store.record({ item: 'b', label: 'cat', source: 'human' });
    await store.setClasses(['cat', 'dog', 'bird', 'fish']); // adding is fine
    await assert.rejects(store.setClasses(['cat', 'dog']), /"bird" \(1 label\).*force/);
    assert.deepEqual(store.classes(), ['cat', 'dog', 'bird', 'fish']);
    await store.setClasses(['cat', 'dog'], { force: true });
    assert.deepEqual(store.classes(), ['cat', 'dog']);
    assert.equal(store.get('a'), undefined);
    assert.deepEqual(store.counts(), { cat: 1, dog: 0 });
    const reopened = await LabelStore.open(root);
    assert.deepEqual(snapshot(reopened), snapshot(store));
  });

  test('a broken classes.json does not lock the labels away: open warns, labels and export work, setClasses repairs it', async () => {
    const { root, store } = await newStore();
    await store.record({ item: 'a.png', label: 'cat', source: 'human' });
    await fs.writeFile(path.join(root, '.selflabel', 'classes.json'), '{"version":1,"classes":[');
    const s = await LabelStore.open(root); // threw "cannot read …classes.json" before
    assert.match(s.warnings.join('\n'), /cannot read .*classes\.json.*init --force/);
    assert.equal(s.get('a.png')!.label, 'cat');
    await assert.rejects(s.record({ item: 'b.png', label: 'cat', source: 'human' }), /cannot read .*classes\.json.*init --force/);
    const out = path.join(root, 'out.csv');
    assert.equal((await exportLabels(s, { format: 'csv', out, root })).written, 1);
    assert.equal(await fs.readFile(out, 'utf8'), 'path,label\r\na.png,cat\r\n');
    await s.setClasses(['cat', 'dog']);
    assert.deepEqual((await LabelStore.open(root)).classes(), ['cat', 'dog']);
    assert.deepEqual((await LabelStore.open(root)).warnings, []);
  });
});

describe('journal', () => {
  test('record fills id and time, validates, and replays identically', async () => {
    const { root, store } = await newStore();
    const e1 = await store.record({ item: 'img/1.png', label: 'cat', source: 'human', hash: 'h1' });
    const e2 = await store.record({ item: 'img/2.png', label: 'dog', source: 'accepted', model: 'm1', confidence: 0.93 });
    await store.record({ item: 'img/3.png', label: 'gone-class', source: 'rejected', model: 'm1', confidence: 0.4 });
    assert.notEqual(e1.id, e2.id);
    assert.ok(!Number.isNaN(Date.parse(e1.time)));
    assert.deepEqual(e2, { id: e2.id, time: e2.time, item: 'img/2.png', label: 'dog', source: 'accepted', model: 'm1', confidence: 0.93 });
    await assert.rejects(store.record({ item: 'x', label: 'wolf', source: 'human' }), /unknown class "wolf"/);
    await assert.rejects(store.record({ item: 'x', label: 'cat', source: 'accepted', confidence: 1.5 }), /confidence/);
    await assert.rejects(store.record({ item: '', label: 'cat', source: 'human' }), /invalid item id "": it is empty/);
    await assert.rejects(store.record({ item: 'x', label: null, source: 'undo', undoes: 'nope' }), /cannot undo/);
    assert.equal((await journalLines(root)).length, 3, 'rejected records wrote nothing');
    const lines = (await journalLines(root)).map((l) => JSON.parse(l));
    assert.deepEqual(lines[0], e1);
    const again = await LabelStore.open(root);
    assert.deepEqual(again.events(), store.events());
    assert.deepEqual(snapshot(again), {
      current: { 'img/1.png': 'cat/human', 'img/2.png': 'dog/accepted' },
      rejected: { 'img/3.png': ['gone-class'] },
    });
    assert.deepEqual(again.counts(), { cat: 1, dog: 1, bird: 0 });
    assert.deepEqual(again.warnings, []);
  });

  test('undo walks back and restores exactly what each event changed', async () => {
    const { root, store } = await newStore();
    await store.record({ item: 'a', label: 'cat', source: 'human' });
    await store.record({ item: 'a', label: 'dog', source: 'rejected' });
    await store.record({ item: 'a', label: 'bird', source: 'corrected' });
    await store.record({ item: 'a', label: null, source: 'removed' });
    assert.equal(store.get('a'), undefined);
    assert.deepEqual([...store.rejectedLabels('a')], ['dog']);

    assert.equal((await store.undo())!.source, 'removed');
    assert.equal(store.get('a')!.label, 'bird', 'undo of removed re-adds');
    assert.equal((await store.undo())!.source, 'corrected');
    assert.equal(store.get('a')!.label, 'cat', 'undo of a correction restores the previous label');
    assert.equal((await store.undo())!.source, 'rejected');
    assert.deepEqual([...store.rejectedLabels('a')], [], 'undo of a rejection un-rejects');
    assert.equal(store.get('a')!.label, 'cat', 'rejections do not touch the label');
    const last = await store.undo();
    assert.equal(last!.source, 'human');
    assert.equal(store.get('a'), undefined);
    assert.equal(await store.undo(), undefined, 'nothing left to undo');
    // 4 events + 4 undos on disk; a fresh replay agrees
    assert.equal((await journalLines(root)).length, 8);
    const again = await LabelStore.open(root);
    assert.deepEqual(snapshot(again), snapshot(store));
    // an undo of an undo is a redo
    const undoEvent = again.events().find((e) => e.source === 'undo' && e.undoes === last!.id)!;
    await again.record({ item: 'a', label: null, source: 'undo', undoes: undoEvent.id });
    assert.equal(again.get('a')!.label, 'cat');
  });

  test('undo of an earlier event restores the label of the events still in effect', async () => {
    const { store } = await newStore();
    const first = await store.record({ item: 'x', label: 'cat', source: 'human' });
    await store.record({ item: 'x', label: 'dog', source: 'corrected' });
    await store.record({ item: 'x', label: null, source: 'undo', undoes: first.id });
    assert.equal(store.get('x')!.label, 'dog', 'the later correction still holds');
  });

  test('rejections accumulate per item and survive labels and removals', async () => {
    const { store } = await newStore();
    await store.record({ item: 'p', label: 'cat', source: 'rejected' });
    await store.record({ item: 'p', label: 'dog', source: 'rejected' });
    await store.record({ item: 'p', label: 'dog', source: 'rejected' });
    await store.record({ item: 'p', label: 'bird', source: 'human' });
    assert.deepEqual([...store.rejectedLabels('p')].sort(), ['cat', 'dog']);
    assert.equal(store.get('p')!.label, 'bird');
    await store.record({ item: 'p', label: null, source: 'removed' });
    assert.deepEqual([...store.rejectedLabels('p')].sort(), ['cat', 'dog']);
    assert.deepEqual([...store.rejectedLabels('other')], []);
  });

  test('recordMany writes one batch (all or nothing)', async () => {
    const { root, store } = await newStore();
    const evs = await store.recordMany([
      { item: 'a', label: 'cat', source: 'accepted', confidence: 0.9 },
      { item: 'b', label: 'dog', source: 'accepted', confidence: 0.8 },
    ]);
    assert.equal(evs.length, 2);
    await assert.rejects(
      store.recordMany([
        { item: 'c', label: 'cat', source: 'accepted' },
        { item: 'd', label: 'nope', source: 'accepted' },
      ]),
      /unknown class/,
    );
    const lines = await journalLines(root);
    assert.equal(lines.length, 1, 'one batch line: a torn write loses the whole batch, never a part of it');
    assert.deepEqual(
      (JSON.parse(lines[0]) as { events: LabelEvent[] }).events.map((e) => e.id),
      evs.map((e) => e.id),
    );
    assert.deepEqual(await store.recordMany([]), []);
  });

  test('a torn last line is skipped with a warning, the file is not rewritten on open, and writing continues on a new line', async () => {
    const { root, store } = await newStore();
    await store.record({ item: 'a', label: 'cat', source: 'human' });
    await store.record({ item: 'b', label: 'dog', source: 'human' });
    await fs.appendFile(journal(root), '{"id":"torn","time":"2024-01-01T00:00:00Z","item":"c","lab');
    const before = await fs.readFile(journal(root));
    const s2 = await LabelStore.open(root);
    assert.deepEqual(await fs.readFile(journal(root)), before, 'open does not rewrite');
    assert.equal(s2.warnings.length, 1);
    assert.match(s2.warnings[0], /line \d+ is incomplete/);
    assert.deepEqual(Object.keys(snapshot(s2).current), ['a', 'b']);
    const e = await s2.record({ item: 'c', label: 'bird', source: 'human' });
    const s3 = await LabelStore.open(root);
    assert.equal(s3.get('c')!.eventId, e.id);
    assert.equal(s3.current().size, 3);
    assert.match(s3.warnings.join('\n'), /line \d+ is not valid JSON/);
  });

  test('unreadable lines in the middle are skipped with warnings; a last line without newline still counts', async () => {
    const { root, store } = await newStore();
    await store.record({ item: 'a', label: 'cat', source: 'human' });
    await fs.appendFile(journal(root), 'garbage\n{"id":"q","item":"z","source":"bogus","time":"t","label":"cat"}\n[1]\n\n');
    await fs.appendFile(
      journal(root),
      JSON.stringify({ id: 'hand', time: '2024-01-01T00:00:00Z', item: 'h', label: 'dog', source: 'human' }),
    );
    const s = await LabelStore.open(root);
    assert.equal(s.warnings.length, 3, s.warnings.join('\n'));
    assert.equal(s.get('h')!.label, 'dog');
    assert.equal(s.get('a')!.label, 'cat');
  });

  test('refresh picks up events written by another store; compaction keeps the state', async () => {
    const { root, store: s1 } = await newStore();
    const s2 = await LabelStore.open(root);
    const items = Array.from({ length: 40 }, (_, i) => `item${i}`);
    const classes = ['cat', 'dog', 'bird'];
    // a deterministic pseudo-random history with every kind of event
    let seed = 7;
    const rnd = (k: number) => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % k;
    };
    for (let i = 0; i < 300; i++) {
      const s = i % 2 ? s1 : s2;
      const kind = rnd(10);
      const item = items[rnd(items.length)];
      if (kind < 5)
        await s.record({ item, label: classes[rnd(3)], source: (['human', 'accepted', 'corrected', 'imported'] as const)[rnd(4)] });
      else if (kind < 7) await s.record({ item, label: classes[rnd(3)], source: 'rejected' });
      else if (kind < 8) await s.record({ item, label: null, source: 'removed' });
      else await s.undo();
    }
    await s1.refresh();
    await s2.refresh();
    const all = [...s1.events()];
    assert.deepEqual(snapshot(s1), referenceState(all));
    assert.deepEqual(snapshot(s2), snapshot(s1));
    const linesBefore = (await journalLines(root)).length;
    await s1.compact();
    const linesAfter = (await journalLines(root)).length;
    assert.ok(linesAfter < linesBefore, `${linesAfter} < ${linesBefore}`);
    assert.deepEqual(snapshot(s1), referenceState(all));
    await s2.refresh(); // the journal was replaced: s2 replays it from the start
    assert.deepEqual(snapshot(s2), referenceState(all));
    const fresh = await LabelStore.open(root);
    assert.deepEqual(snapshot(fresh), referenceState(all));
    assert.equal(fresh.events().length, linesAfter);
    const ids = new Set(all.map((e) => e.id));
    assert.ok(
      fresh.events().every((e) => ids.has(e.id)),
      'compaction keeps original event ids',
    );
    // writing after compaction still works for the store that did not compact
    await s2.record({ item: 'new', label: 'cat', source: 'human' });
    assert.equal((await LabelStore.open(root)).get('new')!.label, 'cat');
  });

  test('refresh notices a journal replaced under the same inode number and not shorter', async () => {
    // File systems reuse freed inode numbers (ext4 hands a compacted journal's number to a later one), so a
    // replaced journal can look like the same file. Rewriting the file in place gives that situation every time.
    const { root, store: s1 } = await newStore();
    for (let i = 0; i < 30; i++) await s1.record({ item: `i${i}`, label: 'cat', source: 'human' });
    const s2 = await LabelStore.open(root);
    const ino = (await fs.stat(journal(root))).ino;
    const other: string[] = [];
    for (let i = 0; i < 40; i++)
      other.push(JSON.stringify({ id: `other-${i}`, time: '2024-01-01T00:00:00.000Z', item: `j${i}`, label: 'bird', source: 'human' }));
    await fs.writeFile(journal(root), other.join('\n') + '\n'); // O_TRUNC: same inode, longer content
    assert.equal((await fs.stat(journal(root))).ino, ino);
    await s2.refresh();
    assert.deepEqual(snapshot(s2), snapshot(await LabelStore.open(root)));
    assert.equal(s2.current().size, 40);
    assert.deepEqual(s2.warnings, []);
  });

  test('two stores appending concurrently (with a compaction in between) lose nothing', async () => {
    const { root, store: s1 } = await newStore();
    const s2 = await LabelStore.open(root);
    const acked: string[] = [];
    const writer = async (s: LabelStore, tag: string) => {
      for (let i = 0; i < 150; i++) {
        if (i % 25 === 24) {
          const evs = await s.recordMany([
            { item: `${tag}-m${i}a`, label: 'cat', source: 'accepted' },
            { item: `${tag}-m${i}b`, label: 'dog', source: 'accepted' },
          ]);
          acked.push(...evs.map((e) => e.id));
        } else {
          acked.push((await s.record({ item: `${tag}-${i}`, label: i % 2 ? 'cat' : 'dog', source: 'human' })).id);
        }
      }
    };
    const compactor = async () => {
      for (let k = 0; k < 3; k++) {
        await new Promise((r) => setTimeout(r, 15));
        await s1.compact();
      }
    };
    await Promise.all([writer(s1, 'one'), writer(s2, 'two'), writer(s1, 'three'), compactor()]);
    const fresh = await LabelStore.open(root);
    assert.deepEqual(fresh.warnings, []);
    const have = new Set(fresh.events().map((e) => e.id));
    const missing = acked.filter((id) => !have.has(id));
    assert.deepEqual(missing, []);
    assert.equal(fresh.current().size, 3 * (150 + 6));
    for (const line of await journalLines(root)) JSON.parse(line); // every line is whole
  });

  test('compaction waits for the lock and breaks a stale one', async () => {
    const { root, store } = await newStore();
    await store.record({ item: 'a', label: 'cat', source: 'human' });
    const lock = path.join(root, '.selflabel', 'labels.lock');
    const release = await acquireLock(lock, 'test');
    let done = false;
    const p = store.compact().then(() => (done = true));
    await new Promise((r) => setTimeout(r, 150));
    assert.equal(done, false, 'compaction waits while the lock is held');
    await release();
    await p;
    // a lock left by a dead process is broken at once
    await fs.mkdir(lock);
    await fs.writeFile(
      path.join(lock, 'owner.json'),
      JSON.stringify({ pid: 2 ** 22 + 12345, host: os.hostname(), time: Date.now(), nonce: 'x' }),
    );
    const t0 = Date.now();
    await store.compact();
    assert.ok(Date.now() - t0 < 2000);
    assert.equal(existsSync(lock), false);
  });

  test('compaction saves unreadable lines aside instead of dropping them', async () => {
    const { root, store } = await newStore();
    await store.record({ item: 'a', label: 'cat', source: 'human' });
    await fs.appendFile(journal(root), 'my hand-written note\n');
    await store.refresh();
    await store.compact();
    const aside = (await fs.readdir(path.join(root, '.selflabel'))).filter((f) => f.startsWith('labels-unreadable-'));
    assert.equal((await fs.readdir(path.join(root, '.selflabel'))).filter((f) => f.includes('.prev-')).length, 0, 'prev file removed');
    assert.equal(aside.length, 1);
    assert.equal(await fs.readFile(path.join(root, '.selflabel', aside[0]), 'utf8'), 'my hand-written note\n');
    assert.equal((await journalLines(root)).length, 1);
  });
});

describe('failing writes', () => {
  test(
    'a full disk gives a clear error and changes nothing (journal redirected to /dev/full)',
    { skip: !existsSync('/dev/full') && 'no /dev/full' },
    async () => {
      const { root, store } = await newStore();
      await store.record({ item: 'a', label: 'cat', source: 'human' });
      const saved = await fs.readFile(journal(root));
      const before = snapshot(store);
      const nEvents = store.events().length;
      await fs.rm(journal(root));
      await fs.symlink('/dev/full', journal(root));
      await assert.rejects(store.record({ item: 'b', label: 'dog', source: 'human' }), (e: Error) =>
        /^cannot write label: disk full \(.*labels\.jsonl\)$/.test(e.message),
      );
      await assert.rejects(store.recordMany([{ item: 'c', label: 'dog', source: 'human' }]), /cannot write labels: disk full/);
      assert.deepEqual(snapshot(store), before);
      assert.equal(store.events().length, nEvents);
      await fs.rm(journal(root));
      await fs.writeFile(journal(root), saved);
      const again = await LabelStore.open(root);
      assert.deepEqual(snapshot(again), before);
    },
  );

  test('an unwritable folder (its path is a file: root cannot be denied by permissions) gives a clear error and loses nothing', async () => {
    const { root, store } = await newStore();
    await store.record({ item: 'a', label: 'cat', source: 'human' });
    const before = snapshot(store);
    const dir = path.join(root, '.selflabel');
    await fs.rename(dir, dir + '.away');
    await fs.writeFile(dir, 'not a folder');
    await assert.rejects(
      store.record({ item: 'b', label: 'dog', source: 'human' }),
      /^Error: cannot write label: (a parent of the path is not a folder|folder does not exist)/,
    );
    await assert.rejects(store.setClasses(['cat', 'dog', 'bird', 'fish']), /cannot (write classes|read)/);
    await assert.rejects(store.undo(), /cannot undo/);
    assert.deepEqual(snapshot(store), before);
    await fs.rm(dir);
    await fs.rename(dir + '.away', dir);
    const again = await LabelStore.open(root);
    assert.deepEqual(snapshot(again), before);
    assert.deepEqual(again.classes(), ['cat', 'dog', 'bird']);
  });

  test(
    'a read-only folder gives a clear error (only when not running as root)',
    { skip: process.getuid?.() === 0 && 'running as root: permissions do not stop root' },
    async () => {
      const { root, store } = await newStore();
      const dir = path.join(root, '.selflabel');
      await fs.chmod(journal(root), 0o444);
      await fs.chmod(dir, 0o555);
      try {
        await assert.rejects(store.record({ item: 'b', label: 'dog', source: 'human' }), /cannot write label: permission denied/);
      } finally {
        await fs.chmod(dir, 0o755);
        await fs.chmod(journal(root), 0o644);
      }
    },
  );
});

describe('import and export', () => {
  async function labelled(): Promise<{ root: string; store: LabelStore }> {
    const { root, store } = await newStore(['cat', 'dog']);
    await fs.mkdir(path.join(root, 'a'), { recursive: true });
    await fs.mkdir(path.join(root, 'b'), { recursive: true });
    await fs.writeFile(path.join(root, 'a', 'x.png'), 'png-a');
    await fs.writeFile(path.join(root, 'b', 'x.png'), 'png-b');
    await fs.writeFile(path.join(root, 'c, "odd".png'), 'png-c');
    await fs.writeFile(path.join(root, 'rows.jsonl'), '{"text":"first row"}\n{"text":"second row"}\n');
    await store.recordMany([
      { item: 'a/x.png', label: 'cat', source: 'human' },
      { item: 'b/x.png', label: 'cat', source: 'accepted', confidence: 0.9 },
      { item: 'c, "odd".png', label: 'dog', source: 'human' },
      { item: 'rows.jsonl#2', label: 'dog', source: 'human' },
      { item: 'rows.jsonl#1', label: 'dog', source: 'rejected' },
    ]);
    return { root, store };
  }

  test('csv export is exactly path,label, sorted, quoted; importing it into a fresh store gives the same labels', async () => {
    const { root, store } = await labelled();
    const out = path.join(root, 'out', 'labels.csv');
    const res = await exportLabels(store, { format: 'csv', out, root });
    assert.equal(res.written, 4);
    const text = await fs.readFile(out, 'utf8');
    assert.equal(text, 'path,label\r\na/x.png,cat\r\nb/x.png,cat\r\n"c, ""odd"".png",dog\r\nrows.jsonl#2,dog\r\n');
    const { store: fresh } = await newStore(['cat', 'dog']);
    const imp = await importCsv(fresh, out);
    assert.deepEqual(imp, { imported: 4, skipped: [] });
    const want: Record<string, string> = {};
    for (const [k, v] of store.current()) want[k] = v.label;
    const got: Record<string, string> = {};
    for (const [k, v] of fresh.current()) got[k] = v.label;
    assert.deepEqual(got, want);
    assert.ok([...fresh.current().values()].every((c: CurrentLabel) => c.source === 'imported'));
    // importing again changes nothing
    const again = await importCsv(fresh, out);
    assert.equal(again.imported, 0);
    assert.equal(again.skipped.length, 4);
  });

  test('jsonl export with proposals for unlabelled, not-rejected items', async () => {
    const { root, store } = await labelled();
    const out = path.join(root, 'labels.jsonl.out');
    const res = await exportLabels(store, {
      format: 'jsonl',
      out,
      root,
      proposals: [
        { item: 'rows.jsonl#1', label: 'dog', confidence: 0.7 }, // rejected by the user
        { item: 'new.png', label: 'cat', confidence: 0.95 },
        { item: 'a/x.png', label: 'dog', confidence: 0.99 }, // already labelled
      ],
    });
    assert.equal(res.written, 5);
    const lines = (await fs.readFile(out, 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    assert.deepEqual(
      lines.map((l) => [l.path, l.label, l.source]),
      [
        ['a/x.png', 'cat', 'human'],
        ['b/x.png', 'cat', 'accepted'],
        ['c, "odd".png', 'dog', 'human'],
        ['new.png', 'cat', 'proposed'],
        ['rows.jsonl#2', 'dog', 'human'],
      ],
    );
    assert.equal(lines[3].confidence, 0.95);
    assert.ok(lines.every((l) => typeof l.time === 'string'));
  });

  test('folders export links files into class folders (clashing names get a suffix) and rows into class.jsonl', async () => {
    const { root, store } = await labelled();
    const out = path.join(tmp, `export-${n}`);
    const res = await exportLabels(store, { format: 'folders', out, root });
    assert.equal(res.written, 4);
    assert.deepEqual(res.skipped, []);
    assert.deepEqual((await fs.readdir(path.join(out, 'cat'))).sort(), ['x-2.png', 'x.png']);
    assert.equal(await fs.readFile(path.join(out, 'cat', 'x.png'), 'utf8'), 'png-a');
    assert.equal(await fs.readFile(path.join(out, 'cat', 'x-2.png'), 'utf8'), 'png-b');
    const [src, dst] = await Promise.all([fs.stat(path.join(root, 'a', 'x.png')), fs.stat(path.join(out, 'cat', 'x.png'))]);
    assert.equal(dst.ino, src.ino, 'hard link on the same file system');
    assert.deepEqual(await fs.readdir(path.join(out, 'dog')), ['c, "odd".png']);
    const rows = (await fs.readFile(path.join(out, 'dog.jsonl'), 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    assert.deepEqual(rows, [{ path: 'rows.jsonl#2', text: 'second row', label: 'dog', source: 'human' }]);
    assert.ok(existsSync(path.join(out, EXPORT_MARKER)));
    // re-export replaces the previous export; a missing file is reported, not fatal
    await store.record({ item: 'a/x.png', label: 'dog', source: 'corrected' });
    await fs.rm(path.join(root, 'b', 'x.png'));
    const res2 = await exportLabels(store, { format: 'folders', out, root });
    assert.equal(res2.written, 3);
    assert.deepEqual(res2.skipped, [{ item: 'b/x.png', reason: 'file not found' }]);
    assert.equal(existsSync(path.join(out, 'cat')), false);
    assert.deepEqual((await fs.readdir(path.join(out, 'dog'))).sort(), ['c, "odd".png', 'x.png']);
    assert.equal(
      (await fs.readdir(path.dirname(out))).filter((f) => f.startsWith(path.basename(out) + '.')).length,
      0,
      'no temp folders left',
    );
    // a folder that holds something else is not replaced
    const foreign = path.join(tmp, `foreign-${n}`);
    await fs.mkdir(foreign);
    await fs.writeFile(path.join(foreign, 'precious.txt'), 'keep me');
    await assert.rejects(exportLabels(store, { format: 'folders', out: foreign, root }), /not empty/);
    assert.equal(await fs.readFile(path.join(foreign, 'precious.txt'), 'utf8'), 'keep me');
  });

  test('import skips bad rows with reasons and can add classes', async () => {
    const { root, store } = await newStore(['cat', 'dog']);
    await store.record({ item: 'same.png', label: 'cat', source: 'human' });
    const csv = path.join(root, 'in.csv');
    await fs.writeFile(
      csv,
      [
        'label,path,extra',
        'cat,a.png,1',
        'wolf,b.png,2',
        ',c.png,3',
        'dog,a.png,4',
        'cat,a.png,5',
        'dog,unknown.png,6',
        'cat,same.png,7',
        'bad,row',
        'dog,"never closed,8',
      ].join('\n') + '\n',
    );
    const known = new Set(['a.png', 'b.png', 'c.png', 'same.png']);
    const res = await importCsv(store, csv, { knownItems: known });
    assert.equal(res.imported, 1);
    assert.deepEqual(
      res.skipped.map((s) => s.row),
      [2, 3, 4, 5, 6, 7, 8, 9],
    );
    const reason = (row: number) => res.skipped.find((s) => s.row === row)!.reason;
    assert.match(reason(2), /unknown class "wolf"/);
    assert.match(reason(3), /empty label/);
    assert.match(reason(4), /conflicts with row 1/);
    assert.match(reason(5), /duplicate of row 1/);
    assert.match(reason(6), /unknown item/);
    assert.match(reason(7), /already labelled/);
    assert.match(reason(8), /expected 3 fields/);
    assert.match(reason(9), /unterminated/);
    const res2 = await importCsv(store, csv, { knownItems: known, addClasses: true });
    assert.equal(res2.imported, 1);
    assert.deepEqual(store.classes(), ['cat', 'dog', 'wolf']);
    assert.equal(store.get('b.png')!.label, 'wolf');
    await fs.writeFile(csv, 'just,a,header\n');
    await assert.rejects(importCsv(store, csv), /header with "path" and "label"/);
    assert.deepEqual(parseCsv('x')[0].fields, ['x']); // keep the shared parser import honest
  });
});
