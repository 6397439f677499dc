/**
 * Bad input: one workspace holding a corpus of broken files — truncated and corrupt PNG/JPEG, zero-byte files, 100 MB
 * files (sparse, so they cost no disk), binary data named .txt, invalid UTF-8, malformed CSV/JSONL rows, symlink
 * loops, a file deleted while the scan runs — next to good items, some with unicode and spaces in their paths.
 *
 * The scan must skip each bad file (or row) with a reason a user can read, keep every good item, and the Project must
 * go on labelling and exporting; labels stored before the bad files appeared stay byte-for-byte the same.
 */
import { test, before, after } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { rmSync } from 'node:fs';
import { PNG } from 'pngjs';
import * as jpeg from 'jpeg-js';
import { scanWorkspace } from '../../src/core/dataset';
import { Project } from '../../src/core/project';
import { LabelStore } from '../../src/core/store';
import type { Progress, Skipped } from '../../src/core/types';
import { workerRunner } from '../../src/worker/runner';

let tmp: string;
before(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'selflabel-badinput-'));
});
after(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

function png(w: number, h: number): Buffer {
  const p = new PNG({ width: w, height: h });
  for (let i = 0; i < p.data.length; i++) p.data[i] = (i * 37) & 255;
  return PNG.sync.write(p);
}
function jpg(w: number, h: number): Buffer {
  const data = Buffer.alloc(w * h * 4);
  for (let i = 0; i < data.length; i++) data[i] = (i * 11) & 255;
  return Buffer.from(jpeg.encode({ width: w, height: h, data }, 90).data);
}

async function put(root: string, rel: string, content: string | Uint8Array): Promise<void> {
  const abs = path.join(root, rel);
  await fs.mkdir(path.dirname(abs), { recursive: true });
  await fs.writeFile(abs, content);
}

/** Good items: (relative path → item ids it must give). */
const GOOD: Record<string, string[]> = {
  'texts/good.txt': ['texts/good.txt'],
  'texts/dossier été/naïve file 😀 #1.txt': ['texts/dossier été/naïve file 😀 #1.txt'],
  'texts/with,comma and "quotes".txt': ['texts/with,comma and "quotes".txt'],
  'rows/mixed.jsonl': ['rows/mixed.jsonl#1', 'rows/mixed.jsonl#6'],
  'rows/mixed.csv': ['rows/mixed.csv#1', 'rows/mixed.csv#4'],
  'images/good.png': ['images/good.png'],
  'images/good photo é.jpg': ['images/good photo é.jpg'],
};

/** Bad files and rows: (path, row?) → pattern the skip reason must match. */
const BAD: [string, number | undefined, RegExp][] = [
  ['images/truncated.png', undefined, /truncated PNG/],
  ['images/corrupt-header.png', undefined, /corrupt PNG/],
  ['images/truncated.jpg', undefined, /truncated JPEG/],
  ['images/corrupt.jpg', undefined, /corrupt JPEG|truncated JPEG/],
  ['images/gif-named.png', undefined, /GIF images are not supported/],
  ['images/text-named.jpg', undefined, /not a PNG or JPEG/],
  ['images/zero.png', undefined, /empty file/],
  ['images/huge.png', undefined, /file too large: 100 MB/],
  ['texts/zero.txt', undefined, /empty file/],
  ['texts/huge.txt', undefined, /file too large: 100 MB/],
  ['texts/binary.txt', undefined, /binary file/],
  ['texts/latin1.txt', undefined, /not valid UTF-8/],
  ['texts/utf16.txt', undefined, /UTF-16/],
  ['texts/blank.txt', undefined, /only whitespace/],
  ['texts/loop.txt', undefined, /broken symbolic link.*(symbolic links|ELOOP)/],
  ['texts/self', undefined, /symbolic link to a folder: not followed/],
  ['texts/vanishing.txt', undefined, /disappeared during the scan/],
  ['rows/mixed.jsonl', 2, /invalid JSON/],
  ['rows/mixed.jsonl', 3, /not a JSON object \(an array\)/],
  ['rows/mixed.jsonl', 4, /no "text" field/],
  ['rows/mixed.jsonl', 5, /not valid UTF-8/],
  ['rows/mixed.jsonl', 7, /"text" is a number/],
  ['rows/mixed.csv', 2, /expected 2 fields, found 3/],
  ['rows/mixed.csv', 3, /unexpected character after a closing quote/],
  ['rows/mixed.csv', 5, /unterminated quoted field/],
  ['rows/zero.jsonl', undefined, /empty file/],
  ['rows/header-only.csv', undefined, /no data rows/],
  ['rows/latin1.csv', undefined, /not valid UTF-8/],
  ['rows/no-text-column.csv', undefined, /no column named "text"/],
];

async function writeGood(root: string): Promise<void> {
  await put(root, 'texts/good.txt', 'a perfectly good note\n');
  await put(root, 'texts/dossier été/naïve file 😀 #1.txt', 'unicode path, spaces and a hash sign\n');
  await put(root, 'texts/with,comma and "quotes".txt', 'a comma and quotes in the file name\n');
  await put(root, 'images/good.png', png(6, 5));
  await put(root, 'images/good photo é.jpg', jpg(8, 8));
}

async function writeBad(root: string): Promise<void> {
  const goodPng = png(16, 16);
  const goodJpg = jpg(16, 16);
  await put(root, 'images/truncated.png', goodPng.subarray(0, Math.floor(goodPng.length / 2)));
  const corrupt = Buffer.from(goodPng);
  corrupt.write('XXXX', 12, 'latin1'); // IHDR chunk type destroyed
  await put(root, 'images/corrupt-header.png', corrupt);
  await put(root, 'images/truncated.jpg', goodJpg.subarray(0, Math.floor(goodJpg.length * 0.6)));
  await put(root, 'images/corrupt.jpg', Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x02]), Buffer.alloc(64, 0x41)]));
  await put(root, 'images/gif-named.png', Buffer.from('GIF89a\x01\x00\x01\x00\x00\x00\x00;', 'latin1'));
  await put(root, 'images/text-named.jpg', 'this is not an image');
  await put(root, 'images/zero.png', '');
  await put(root, 'texts/zero.txt', '');
  for (const f of ['images/huge.png', 'texts/huge.txt']) {
    await put(root, f, '');
    await fs.truncate(path.join(root, f), 100 * 1024 * 1024); // sparse: no disk blocks
  }
  await put(root, 'texts/binary.txt', Buffer.from([0x89, 0x00, 0x13, 0x37, 0x00, 0xff, 0x10, 0x20]));
  await put(root, 'texts/latin1.txt', Buffer.from('caf\xe9 cr\xe8me', 'latin1'));
  await put(root, 'texts/utf16.txt', Buffer.from('\ufeffhello', 'utf16le'));
  await put(root, 'texts/blank.txt', '  \n\t\n');
  await fs.symlink('loop.txt', path.join(root, 'texts/loop.txt')); // a link to itself: ELOOP
  await fs.symlink('.', path.join(root, 'texts/self')); // a folder link pointing at its own folder
  await put(root, 'texts/vanishing.txt', 'deleted while the scan runs');
  const jsonl = [
    '{"text":"row one is good"}',
    '{"text": "unterminated',
    '["an","array"]',
    '{"body":"no text field"}',
    Buffer.from('{"text":"caf\xe9"}', 'latin1'),
    '',
    '{"text":"row six is good, after a blank line","extra":[1,2,3]}',
    '{"text":42}',
  ];
  await put(
    root,
    'rows/mixed.jsonl',
    Buffer.concat(jsonl.map((l) => Buffer.concat([typeof l === 'string' ? Buffer.from(l) : l, Buffer.from('\n')]))),
  );
  await put(
    root,
    'rows/mixed.csv',
    'id,text\r\n1,first good row\r\n2,too,many\r\n3,"closed" then text\r\n4,"a ""quoted"" good row, with a comma"\r\n5,"never closed\r\n',
  );
  await put(root, 'rows/zero.jsonl', '');
  await put(root, 'rows/header-only.csv', 'id,text\n');
  await put(root, 'rows/latin1.csv', Buffer.from('text\ncaf\xe9\n', 'latin1'));
  await put(root, 'rows/no-text-column.csv', 'a,b\n1,2\n');
}

function findSkip(skipped: Skipped[], p: string, row: number | undefined): Skipped | undefined {
  return skipped.find((s) => s.path === p && s.row === row);
}

test(
  'a corpus of bad files: each is skipped with a reason, every good item is kept, labels and export still work',
  { timeout: 120_000 },
  async () => {
    const root = path.join(tmp, 'ws');
    await fs.mkdir(root);
    await writeGood(root);
    // Labels stored before the bad files arrive.
    const p = await Project.init(root, ['keep', 'toss'], {}, { runner: workerRunner });
    await p.scan();
    await p.label('texts/good.txt', 'keep');
    await p.label('texts/dossier été/naïve file 😀 #1.txt', 'toss');
    await p.dispose();
    const journal = await fs.readFile(path.join(root, '.selflabel', 'labels.jsonl'));

    await writeBad(root);
    let deleted = false;
    const onProgress = (pr: Progress) => {
      // Once the files are listed (total known) and before they are read: delete one of them.
      if (!deleted && pr.total !== undefined && pr.done === 0) {
        deleted = true;
        rmSync(path.join(root, 'texts/vanishing.txt')); // synchronously: the read phase starts right after
      }
    };
    const t0 = Date.now();
    const res = await scanWorkspace(root, { onProgress });
    const seconds = (Date.now() - t0) / 1000;
    assert.ok(deleted, 'the scan reported progress before reading the files');
    assert.ok(seconds < 30, `scan took ${seconds} s (the 100 MB files must not be read)`);

    const ids = new Set(res.items.map((i) => i.id));
    for (const [file, want] of Object.entries(GOOD)) for (const id of want) assert.ok(ids.has(id), `good item ${id} kept (file ${file})`);
    const goodIds = Object.values(GOOD).flat();
    assert.deepEqual(res.items.map((i) => i.id).sort(), [...goodIds].sort(), 'no item came from a bad file or row');
    for (const [file, row, reason] of BAD) {
      const s = findSkip(res.skipped, file, row);
      assert.ok(
        s,
        `${file}${row ? `#${row}` : ''} is listed as skipped (skipped: ${JSON.stringify(res.skipped.filter((x) => x.path === file))})`,
      );
      assert.match(s.reason, reason, `${file}${row ? `#${row}` : ''}`);
    }
    for (const s of res.skipped) {
      assert.ok(s.reason.length > 5 && !/undefined|\[object/.test(s.reason), `readable reason for ${s.path}: ${s.reason}`);
    }
    const jsonlRow = res.items.find((i) => i.id === 'rows/mixed.jsonl#6');
    assert.equal(jsonlRow?.line, 7, 'row 6 starts on line 7 (the blank line is not a row)');
    const png1 = res.items.find((i) => i.id === 'images/good.png');
    assert.deepEqual([png1?.width, png1?.height], [6, 5]);

    // The project goes on: labels untouched, rescan, label, export (csv and folders).
    const q = await Project.open(root, {}, { runner: workerRunner });
    assert.deepEqual(await fs.readFile(path.join(root, '.selflabel', 'labels.jsonl')), journal, 'stored labels untouched');
    const sum = await q.scan();
    assert.equal(sum.modality, 'text');
    assert.ok(sum.skipped.some((s) => s.path === 'texts/binary.txt'));
    await q.label('rows/mixed.csv#4', 'keep');
    await q.label('texts/with,comma and "quotes".txt', 'toss');
    await assert.rejects(q.label('texts/binary.txt', 'keep'), /unknown item "texts\/binary.txt"/);
    await assert.rejects(q.label('rows/mixed.jsonl#2', 'keep'), /unknown item/);
    const csvOut = path.join(tmp, 'export.csv');
    const r1 = await q.exportLabels({ format: 'csv', out: csvOut });
    assert.equal(r1.written, 4);
    const csv = await fs.readFile(csvOut, 'utf8');
    assert.equal(
      csv,
      'path,label\r\n' +
        'rows/mixed.csv#4,keep\r\n' +
        'texts/dossier été/naïve file 😀 #1.txt,toss\r\n' +
        'texts/good.txt,keep\r\n' +
        '"texts/with,comma and ""quotes"".txt",toss\r\n',
    );
    const foldersOut = path.join(tmp, 'export-folders');
    await q.exportLabels({ format: 'folders', out: foldersOut });
    assert.equal(
      await fs.readFile(path.join(foldersOut, 'toss', 'naïve file 😀 #1.txt'), 'utf8'),
      'unicode path, spaces and a hash sign\n',
    );
    const keepRows = (await fs.readFile(path.join(foldersOut, 'keep.jsonl'), 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { text: string });
    assert.deepEqual(
      keepRows.map((r) => r.text),
      ['a "quoted" good row, with a comma'],
    );
    await q.dispose();
    const store = await LabelStore.open(root);
    assert.deepEqual(store.warnings, []);
    assert.equal(store.current().size, 4);
  },
);

test('a journal damaged by hand: the store opens, keeps every readable label, says what it skipped', async () => {
  const root = path.join(tmp, 'damaged');
  await fs.mkdir(root);
  const s = await LabelStore.open(root, { create: true });
  await s.setClasses(['a', 'b']);
  const e1 = await s.record({ item: 'x.txt', label: 'a', source: 'human' });
  const e2 = await s.record({ item: 'y.txt', label: 'b', source: 'human' });
  const journal = path.join(root, '.selflabel', 'labels.jsonl');
  await fs.appendFile(
    journal,
    [
      'not json at all',
      '{"id":"q1","item":"z.txt","label":"a","source":"telepathy","time":"t"}',
      '{"id":"q2","item":"","label":"a","source":"human","time":"t"}',
      Buffer.from([0xff, 0xfe, 0x00, 0x41]).toString('latin1'),
      '{"id":"q3","item":"w.txt","label":"b","source":"human","time":"t"}',
      '{"id":"q4","item":"w.txt","label":null,"source":"undo","undoes":"nope","time":"t"}',
      '{"id":"torn","item":"v.txt","la',
    ].join('\n'),
  );
  const r = await LabelStore.open(root);
  assert.equal(r.get('x.txt')?.eventId, e1.id);
  assert.equal(r.get('y.txt')?.eventId, e2.id);
  assert.equal(r.get('w.txt')?.label, 'b');
  assert.equal(r.current().size, 3);
  const w = r.warnings.join('\n');
  // (physical line numbers: each of the two records above is written as a blank line and its own line)
  assert.match(w, /line 5 is not valid JSON/);
  assert.match(w, /line 6: unknown source "telepathy"/);
  assert.match(w, /line 7: missing "item"/);
  assert.match(w, /line 10: undo of an unknown event "nope" ignored/);
  assert.match(w, /line 11 is incomplete/);
  // The next write starts on a fresh line; compaction keeps every label and saves the unreadable lines aside.
  await r.record({ item: 'u.txt', label: 'a', source: 'human' });
  await r.compact();
  const after2 = await LabelStore.open(root);
  assert.deepEqual([...after2.current().keys()].sort(), ['u.txt', 'w.txt', 'x.txt', 'y.txt']);
  assert.deepEqual(after2.warnings, []);
  const aside = (await fs.readdir(path.join(root, '.selflabel'))).filter((f) => f.startsWith('labels-unreadable-'));
  assert.equal(aside.length, 1);
  const saved = await fs.readFile(path.join(root, '.selflabel', aside[0]), 'utf8');
  assert.match(saved, /not json at all/);
  assert.match(saved, /telepathy/);
});

test('asked.json damaged or of the wrong shape: read as no item asked, written afresh, never fatal', async () => {
  const { Artifacts } = await import('../../src/core/project/artifacts');
  const { workspacePaths } = await import('../../src/core/paths');
  const root = path.join(tmp, 'asked');
  const paths = workspacePaths(root);
  const a = new Artifacts(paths);
  assert.deepEqual([...(await a.askedItems())], [], 'no file: none asked');
  await a.addAsked(['x.png', 'y.png']);
  await a.addAsked(['y.png', 'z.png']);
  assert.deepEqual([...(await a.askedItems())], ['x.png', 'y.png', 'z.png'], 'added once each, in order');
  await fs.mkdir(path.dirname(paths.asked), { recursive: true });
  for (const bad of ['{"items": ["x.png", 3, null, {"a": 1}, "w.png"]}', '{"items": "x.png"}', 'null', '7', '{not json', '\u0000\u0001']) {
    await fs.writeFile(paths.asked, bad);
    const got = [...(await a.askedItems())];
    assert.deepEqual(got, bad.startsWith('{"items": [') ? ['x.png', 'w.png'] : [], `read ${JSON.stringify(bad)}: the strings only`);
    await a.addAsked(['v.png']);
    assert.ok((await a.askedItems()).has('v.png'), `written after ${JSON.stringify(bad)}`);
  }
});
