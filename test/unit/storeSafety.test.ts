/**
 * Issue 15: the store's promises against a torn neighbour, hostile ids and names, dangerous export targets, a
 * broken classes.json, an odd journal and a stalled compaction. Real files in temp folders; each test names the
 * issue item it covers, and fails on the code before the fix (said in each test).
 */
import { test, describe, before, after } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import { appendFileSync, existsSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { LabelStore, importCsv, exportLabels, itemIdProblem, csvSafe, csvUnsafe, EXPORT_MARKER } from '../../src/core/store';
import { isItemId } from '../../src/protocol/webview';
import { parseCsv } from '../../src/core/dataset';
import { Project } from '../../src/core/project';

let tmp: string;
before(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'selflabel-safety-'));
});
after(async () => {
  LabelStore.autoCompactMinEvents = 5000;
  await fs.rm(tmp, { recursive: true, force: true });
});

let n = 0;
async function newStore(classes = ['cat', 'dog']): Promise<{ root: string; store: LabelStore }> {
  const root = path.join(tmp, `ws${++n}`);
  await fs.mkdir(root);
  const store = await LabelStore.open(root, { create: true });
  await store.setClasses(classes);
  return { root, store };
}
const journal = (root: string) => path.join(root, '.selflabel', 'labels.jsonl');

describe('item 1 + 6: torn neighbours and atomic batches', () => {
  test('an append starts on a fresh line even if another writer’s write is torn right before it (old code: glued, lost)', async () => {
    const { root, store } = await newStore();
    await store.record({ item: 'a.png', label: 'cat', source: 'human' });
    // Between this store's look at the file and its write, another process's big write is cut short by a crash:
    // the torn fragment lands in the file first. Done by hooking the next FileHandle.write of this process.
    const probe = await fs.open(journal(root), 'r');
    const proto = Object.getPrototypeOf(probe) as { write: (...a: unknown[]) => Promise<unknown> };
    await probe.close();
    const orig = proto.write;
    proto.write = async function (this: unknown, ...args: unknown[]) {
      proto.write = orig;
      appendFileSync(journal(root), '{"batch":"killed-import","time":"2026-01-01T00:00:00Z","events":[{"id":"x1","item":"b.png","la');
      return orig.apply(this, args);
    };
    let acked;
    try {
      acked = await store.record({ item: 'c.png', label: 'dog', source: 'human' });
    } finally {
      proto.write = orig;
    }
    const again = await LabelStore.open(root);
    assert.equal(again.get('c.png')?.eventId, acked.id, 'the acknowledged label survives its torn neighbour');
    assert.equal(again.get('a.png')?.label, 'cat');
    assert.match(again.warnings.join('\n'), /not valid JSON/);
  });

  test('a batch (import, accept --all-above) torn by a crash leaves none of its events (old code: a prefix of them)', async () => {
    const { root, store } = await newStore();
    await store.record({ item: 'first.png', label: 'cat', source: 'human' });
    const before = await fs.readFile(journal(root));
    const csv = path.join(root, 'in.csv');
    await fs.writeFile(csv, 'path,label\n' + Array.from({ length: 2000 }, (_, i) => `img/${i}.png,${i % 2 ? 'cat' : 'dog'}\n`).join(''));
    const r = await importCsv(store, csv);
    assert.equal(r.imported, 2000);
    const whole = await fs.readFile(journal(root));
    const added = whole.subarray(before.length);
    assert.equal(
      added
        .toString()
        .split('\n')
        .filter((l) => l.trim()).length,
      1,
      'the import is one journal line',
    );
    // A kill in the middle of that write: only the first part of it reached the file.
    for (const frac of [0.1, 0.5, 0.999]) {
      await fs.writeFile(journal(root), Buffer.concat([before, added.subarray(0, Math.floor(added.length * frac))]));
      const s = await LabelStore.open(root);
      const imported = [...s.current().values()].filter((c) => c.source === 'imported').length;
      assert.equal(imported, 0, `cut at ${frac}: all or nothing`);
      assert.equal(s.get('first.png')?.label, 'cat');
      const e = await s.record({ item: 'after.png', label: 'dog', source: 'human' });
      assert.equal((await LabelStore.open(root)).get('after.png')?.eventId, e.id);
    }
    await fs.writeFile(journal(root), whole);
    assert.equal([...(await LabelStore.open(root)).current().values()].filter((c) => c.source === 'imported').length, 2000);
  });
});

describe('item 3: item ids', () => {
  const bad = [
    '../../etc/passwd',
    '/etc/passwd',
    '..',
    'x'.repeat(5000),
    '.selflabel/labels.jsonl',
    'a/../b',
    'C:/x.png',
    'a\\b.png',
    'a//b.png',
    './a.png',
    'a\nb',
    '',
  ];

  test('the store refuses ids that are not workspace items, with the reason (old code: stored)', async () => {
    const { root, store } = await newStore();
    for (const id of bad) {
      await assert.rejects(
        store.record({ item: id, label: 'cat', source: 'human' }),
        /invalid item id .*: it /,
        JSON.stringify(id.slice(0, 20)),
      );
    }
    await assert.rejects(
      store.recordMany([
        { item: 'ok.png', label: 'cat', source: 'human' },
        { item: '../x', label: 'cat', source: 'human' },
      ]),
      /invalid item id/,
    );
    assert.equal((await LabelStore.open(root)).current().size, 0);
    for (const ok of ['a.png', 'dir/b c.png', 'rows.jsonl#12', '.hidden/x.txt', 'ünï/ço.txt']) {
      assert.equal(itemIdProblem(ok), undefined, ok);
      await store.record({ item: ok, label: 'dog', source: 'human' });
    }
  });

  test('the rule is at least as strict as the webview’s isItemId', () => {
    for (const id of [...bad, 'a.png', 'rows.csv#3', 'x/y/z.txt', '.selflabel', 'a/./b', '#1', 'a#b']) {
      if (itemIdProblem(id) === undefined) assert.equal(isItemId(id), true, id);
    }
  });

  test('import skips rows whose path is not an item id, with the reason (old code: imported)', async () => {
    const { root, store } = await newStore();
    const csv = path.join(root, 'in.csv');
    await fs.writeFile(csv, 'path,label\n../../etc/passwd,cat\n/etc/passwd,cat\n.selflabel/labels.jsonl,dog\ngood.png,dog\n');
    const r = await importCsv(store, csv);
    assert.equal(r.imported, 1);
    assert.deepEqual(
      r.skipped.map((s) => s.row),
      [1, 2, 3],
    );
    assert.match(r.skipped[0].reason, /invalid path: it leaves the workspace/);
    assert.deepEqual([...store.current().keys()], ['good.png']);
  });

  test('Project.label labels only items that exist: scans on demand, refuses the rest (old code: stored any name)', async () => {
    const root = path.join(tmp, `proj${++n}`);
    await fs.mkdir(path.join(root, 'docs'), { recursive: true });
    await fs.writeFile(path.join(root, 'docs', 'a.txt'), 'hello there, a text');
    await fs.writeFile(path.join(root, 'docs', 'b.txt'), 'another little text');
    const p = await Project.init(root, ['english', 'other']);
    try {
      await assert.rejects(p.label('no-such-item.txt', 'english'), /unknown item "no-such-item.txt"/);
      assert.ok(existsSync(path.join(root, '.selflabel', 'cache', 'items.json')), 'scanned on demand');
      await assert.rejects(p.label('../../etc/passwd', 'english'), /invalid item id/);
      await assert.rejects(p.correct('/etc/passwd', 'english'), /invalid item id/);
      const e = await p.label('docs/a.txt', 'english');
      assert.equal(e.item, 'docs/a.txt');
      const st = await p.status();
      assert.equal(st.labelled, 1);
      assert.equal(st.counts.english, 1);
      const csv = path.join(root, '..', `imp${n}.csv`);
      await fs.writeFile(csv, 'path,label\ndocs/b.txt,other\nghost.txt,other\n');
      const r = await p.importLabels(csv);
      assert.equal(r.imported, 1);
      assert.match(r.skipped[0].reason, /unknown item/);
    } finally {
      await p.dispose();
    }
  });
});

describe('item 2: exports that would destroy data are refused', () => {
  test('no output inside .selflabel/, none onto a workspace item; the journal and classes stay intact (old code: emptied)', async () => {
    const { root, store } = await newStore();
    await store.record({ item: 'a.png', label: 'cat', source: 'human' });
    await fs.writeFile(path.join(root, 'a.png'), 'png bytes');
    const jBefore = await fs.readFile(journal(root));
    const cBefore = await fs.readFile(path.join(root, '.selflabel', 'classes.json'));
    for (const out of ['.selflabel/labels.jsonl', '.selflabel/classes.json', '.selflabel/new.csv', '.selflabel']) {
      await assert.rejects(exportLabels(store, { format: 'csv', out: path.join(root, out), root }), /inside \.selflabel\//, out);
    }
    await assert.rejects(exportLabels(store, { format: 'folders', out: path.join(root, '.selflabel', 'x'), root }), /inside \.selflabel\//);
    // through a symlinked folder too
    await fs.symlink(path.join(root, '.selflabel'), path.join(root, 'sneaky'));
    await assert.rejects(
      exportLabels(store, { format: 'jsonl', out: path.join(root, 'sneaky', 'labels.jsonl'), root }),
      /inside \.selflabel\//,
    );
    await assert.rejects(exportLabels(store, { format: 'csv', out: path.join(root, 'a.png'), root }), /is an item of the workspace/);
    assert.deepEqual(await fs.readFile(journal(root)), jBefore);
    assert.deepEqual(await fs.readFile(path.join(root, '.selflabel', 'classes.json')), cBefore);
    assert.equal(await fs.readFile(path.join(root, 'a.png'), 'utf8'), 'png bytes');
    assert.equal((await exportLabels(store, { format: 'csv', out: path.join(root, 'labels.csv'), root })).written, 1);
  });
});

describe('item 4 + 5: folders export', () => {
  test('a symlinked item is exported as its target’s content; a dangling one is skipped (old code: the link itself)', async () => {
    const { root, store } = await newStore();
    await fs.mkdir(path.join(root, 'data'));
    await fs.mkdir(path.join(root, 'links'));
    await fs.writeFile(path.join(root, 'data', 'a.txt'), 'content of a');
    const outside = path.join(tmp, `outside${n}.txt`);
    await fs.writeFile(outside, 'content outside');
    await fs.symlink('../data/a.txt', path.join(root, 'links', 'rel.txt'));
    await fs.symlink(outside, path.join(root, 'links', 'abs.txt'));
    await fs.symlink('../data/gone.txt', path.join(root, 'links', 'dangling.txt'));
    for (const it of ['links/rel.txt', 'links/abs.txt', 'links/dangling.txt'])
      await store.record({ item: it, label: 'cat', source: 'human' });
    const out = path.join(tmp, `export${n}`);
    const r = await exportLabels(store, { format: 'folders', out, root });
    assert.equal(r.written, 2);
    assert.deepEqual(r.skipped, [{ item: 'links/dangling.txt', reason: 'symlink target not found' }]);
    for (const [name, content] of [
      ['rel.txt', 'content of a'],
      ['abs.txt', 'content outside'],
    ]) {
      const f = path.join(out, 'cat', name);
      assert.equal((await fs.lstat(f)).isSymbolicLink(), false, `${name} is a file, not a link`);
      assert.equal(await fs.readFile(f, 'utf8'), content);
    }
  });

  test('an export killed between its two swap renames is put back by the next open of the store (old code: missing until the next export)', async () => {
    const { root, store } = await newStore();
    await fs.writeFile(path.join(root, 'a.txt'), 'aaa');
    await store.record({ item: 'a.txt', label: 'cat', source: 'human' });
    const out = path.join(tmp, `swap${n}`);
    await exportLabels(store, { format: 'folders', out, root });
    await store.record({ item: 'a.txt', label: 'dog', source: 'human' });
    // A second export in a child process that SIGKILLs itself right after the first swap rename (out → old).
    const script = `
      const fsp = require('node:fs/promises');
      const orig = fsp.rename;
      fsp.rename = async (from, to) => { await orig(from, to); if (from === ${JSON.stringify(out)}) process.kill(process.pid, 'SIGKILL'); };
      const { LabelStore, exportLabels } = require(${JSON.stringify(path.resolve(__dirname, '../../src/core/store'))});
      LabelStore.open(${JSON.stringify(root)}).then((s) => exportLabels(s, { format: 'folders', out: ${JSON.stringify(out)}, root: ${JSON.stringify(root)} }));
    `;
    const r = spawnSync(process.execPath, ['--import', 'tsx', '-e', script], { encoding: 'utf8', timeout: 120_000 });
    assert.equal(r.signal, 'SIGKILL', r.stderr);
    assert.equal(existsSync(out), false, 'the kill left the output missing');
    await LabelStore.open(root); // any command (status, label, the extension starting) opens the store
    assert.equal(existsSync(path.join(out, EXPORT_MARKER)), true, 'a complete export is back at once');
    const classes = (await fs.readdir(out)).filter((f) => !f.startsWith('.'));
    assert.ok(classes.length === 1 && ['cat', 'dog'].includes(classes[0]), classes.join());
    assert.deepEqual(
      (await fs.readdir(path.dirname(out))).filter((f) => f.startsWith(`${path.basename(out)}.`)),
      [],
      'no staging or old folder left',
    );
  });
});

describe('item 7 + 8: hostile class names and paths', () => {
  test('CSV export neutralises formulas and import restores them exactly (old code: exported raw)', async () => {
    const classes = ['=cmd', '+one', '-1', '@sum', "'=quoted", 'plain'];
    const { root, store } = await newStore(classes);
    const items = ['=a.txt', '-b.txt', '@c.txt', "'d.txt", "'+e.txt", 'f.txt'];
    for (let i = 0; i < items.length; i++) await store.record({ item: items[i], label: classes[i], source: 'human' });
    const out = path.join(root, 'out.csv');
    await exportLabels(store, { format: 'csv', out, root });
    const rows = parseCsv(await fs.readFile(out, 'utf8')).filter((r) => !r.blank);
    for (const r of rows) for (const f of r.fields) assert.doesNotMatch(f, /^[=+\-@\t\r]/, `cell ${f}`);
    const { store: fresh } = await newStore(classes);
    const r = await importCsv(fresh, out);
    assert.equal(r.imported, items.length, JSON.stringify(r.skipped));
    for (let i = 0; i < items.length; i++) assert.equal(fresh.get(items[i])?.label, classes[i], items[i]);
    for (const v of ['=x', "'=x", "''+x", "'x", 'x', '', "'", '-']) assert.equal(csvUnsafe(csvSafe(v)), v, v);
  });

  test('class names __proto__, constructor, toString count like any other (old code: counts lost)', async () => {
    const { store } = await newStore(['__proto__', 'constructor', 'toString', 'hasOwnProperty']);
    await store.record({ item: 'a', label: '__proto__', source: 'human' });
    await store.record({ item: 'b', label: '__proto__', source: 'human' });
    await store.record({ item: 'c', label: 'constructor', source: 'human' });
    await store.record({ item: 'd', label: 'toString', source: 'human' });
    assert.deepEqual(Object.entries(store.counts()), [
      ['__proto__', 2],
      ['constructor', 1],
      ['toString', 1],
      ['hasOwnProperty', 0],
    ]);
  });
});

describe('item 10: journal oddities', () => {
  test('an unknown class, a path-like label, an id used twice, a bad item id: one warning each, with counts (old code: silent)', async () => {
    const { root, store } = await newStore();
    const e = await store.record({ item: 'a.png', label: 'cat', source: 'human' });
    const ev = (id: string, item: string, label: string) =>
      JSON.stringify({ id, time: '2026-01-01T00:00:00Z', item, label, source: 'human' });
    await fs.appendFile(
      journal(root),
      [
        ev('u1', 'b.png', 'horse'),
        ev('u2', 'c.png', 'horse'),
        ev('u3', 'd.png', 'zebra'),
        ev('p1', 'e.png', '../../x'),
        ev(e.id, 'a.png', 'dog'),
        ev('i1', '../../etc/passwd', 'cat'),
        ev('i2', '/etc/shadow', 'cat'),
      ].join('\n') + '\n',
    );
    const s = await LabelStore.open(root);
    const w = s.warnings.join('\n');
    assert.match(w, /3 label\(s\) of class\(es\) not in classes\.json: "horse" \(2\), "zebra" \(1\)/);
    assert.match(w, /1 label\(s\) are not usable class names \(first: "\.\.\/\.\.\/x"/);
    assert.match(w, /1 event id\(s\) are used again for a different event/);
    assert.match(w, /2 event\(s\) name an invalid item id \(first: "\.\.\/\.\.\/etc\/passwd"/);
    assert.equal(new Set(s.warnings).size, s.warnings.length, 'no warning twice');
    assert.equal(s.get('a.png')?.label, 'cat', 'the first event with an id counts');
    assert.equal(s.get('../../etc/passwd'), undefined);
    assert.equal(s.get('b.png')?.label, 'horse', 'labels of unknown classes are kept');
  });
});

describe('item 11: compaction', () => {
  test('the journal is compacted automatically once most of it is superseded', async () => {
    LabelStore.autoCompactMinEvents = 60;
    try {
      const { root, store } = await newStore();
      for (let i = 0; i < 80; i++) await store.record({ item: `i${i % 8}.png`, label: i % 3 ? 'cat' : 'dog', source: 'human' });
      await store.idle();
      const want = Object.fromEntries([...store.current()].map(([k, v]) => [k, v.label]));
      const lines = (await fs.readFile(journal(root), 'utf8')).split('\n').filter((l) => l.trim());
      assert.ok(lines.length < 40, `compacted: ${lines.length} lines`);
      const again = await LabelStore.open(root);
      assert.deepEqual(Object.fromEntries([...again.current()].map(([k, v]) => [k, v.label])), want);
    } finally {
      LabelStore.autoCompactMinEvents = 5000;
    }
  });

  test('a compaction stalled for as long as it likes does not hold labelling up, and loses nothing (old code: waited 30 s)', async () => {
    const { root, store: compactor } = await newStore();
    const writer = await LabelStore.open(root);
    for (let i = 0; i < 20; i++) await writer.record({ item: `i${i % 4}.png`, label: 'cat', source: 'human' });
    await compactor.refresh();
    // Stall the compaction after it read the journal and wrote its result, just before it replaces the journal.
    const fsp = require('node:fs/promises') as typeof import('node:fs/promises');
    const origRename = fsp.rename;
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let stalled!: () => void;
    const reached = new Promise<void>((r) => (stalled = r));
    fsp.rename = async (a, b) => {
      if (b === journal(root)) {
        stalled();
        await gate;
      }
      return origRename(a, b);
    };
    const done = compactor.compact();
    try {
      await reached;
      const t0 = Date.now();
      const acked = [];
      for (let i = 0; i < 10; i++) acked.push(await writer.record({ item: `new${i}.png`, label: 'dog', source: 'human' }));
      const ms = Date.now() - t0;
      assert.ok(ms < 5000, `10 labels took ${ms} ms while the compaction was stalled`);
      release();
      await done;
      for (const s of [await LabelStore.open(root), writer]) {
        await s.refresh();
        for (const e of acked) assert.equal(s.get(e.item)?.eventId, e.id, e.item);
      }
      assert.deepEqual(
        (await fs.readdir(path.join(root, '.selflabel'))).filter((f) => f.includes('.prev-')),
        [],
        'the prev file is removed once carried over',
      );
    } finally {
      fsp.rename = origRename;
      release();
    }
  });

  test('a compaction that died after replacing the journal: what was written to the old one is still read', async () => {
    const { root, store } = await newStore();
    for (let i = 0; i < 5; i++) await store.record({ item: `i${i}.png`, label: 'cat', source: 'human' });
    await store.compact();
    const j = journal(root);
    const header = JSON.parse((await fs.readFile(j, 'utf8')).split('\n')[0]) as { journal: string };
    // State after a crash between the rename and the carry-over: the old file (here: a copy of the journal plus a
    // line acknowledged by a writer after the compaction had read it) lives on as the prev file.
    const oldContent = (await fs.readFile(j, 'utf8')) + '\n';
    const late = JSON.stringify({ id: 'late-1', time: '2026-01-01T00:00:00Z', item: 'late.png', label: 'dog', source: 'human' }) + '\n';
    const token = header.journal;
    await fs.writeFile(path.join(root, '.selflabel', `labels.jsonl.prev-${Buffer.byteLength(oldContent)}-${token}`), oldContent + late);
    const s = await LabelStore.open(root);
    assert.equal(s.get('late.png')?.label, 'dog');
    assert.equal(s.current().size, 6);
    // A later label of the same item, written to the new journal, comes after it (the prev tail is replayed where
    // it was in time, right after the compacted events, not after everything).
    const newer = await s.record({ item: 'late.png', label: 'cat', source: 'human' });
    assert.equal((await LabelStore.open(root)).get('late.png')?.eventId, newer.id);
    // A stale prev file of another journal is ignored (it must never re-apply superseded events).
    await fs.writeFile(path.join(root, '.selflabel', 'labels.jsonl.prev-0-00000000deadbeef'), late.replace('late.png', 'stale.png'));
    assert.equal((await LabelStore.open(root)).get('stale.png'), undefined);
    await s.compact();
    assert.deepEqual(
      (await fs.readdir(path.join(root, '.selflabel'))).filter((f) => f.includes('.prev-')),
      [],
    );
    assert.equal((await LabelStore.open(root)).get('late.png')?.eventId, newer.id, 'and the next compaction keeps the later one');
  });
});
