/**
 * Parquet export read back by an independent reader (hyparquet: a separate package from the writer), Parquet and
 * class-folder imports, and their bad input. Real files in temp workspaces, through the Project API and the CLI.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { PNG } from 'pngjs';
import { parquetMetadata, parquetReadObjects } from 'hyparquet';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { Project } from '../../src/core/project';

const repo = path.resolve(__dirname, '../..');
let tmp: string;

function png(file: string, shade: number) {
  const p = new PNG({ width: 8, height: 8, colorType: 0, inputColorType: 0, bitDepth: 8 });
  p.data = Buffer.alloc(64, shade);
  fs.writeFileSync(file, PNG.sync.write(p, { colorType: 0, inputColorType: 0, bitDepth: 8 }));
}

function imageWorkspace(name: string): string {
  const root = path.join(tmp, name);
  fs.mkdirSync(path.join(root, 'img'), { recursive: true });
  for (let i = 0; i < 6; i++) png(path.join(root, 'img', `${i}.png`), 20 + i * 30);
  return root;
}

async function readParquet(file: string) {
  const buf = fs.readFileSync(file);
  const ab = buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) as ArrayBuffer;
  const schema = parquetMetadata(ab).schema.slice(1);
  // utf8: false — only columns annotated as UTF-8 text come back as strings; binary ones stay bytes (as pyarrow reads them).
  return { names: schema.map((s) => s.name), schema, rows: await parquetReadObjects({ file: ab, utf8: false }) };
}

before(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'selflabel-parquet-'));
});
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

test('export --format parquet: path, label, source, time, confidence and the image bytes, read back by hyparquet', async () => {
  const root = imageWorkspace('a');
  const p = await Project.init(root, ['dark', 'light']);
  try {
    await p.scan();
    await p.label('img/0.png', 'dark');
    await p.label('img/1.png', 'dark');
    await p.label('img/5.png', 'light');
    const out = path.join(tmp, 'a.parquet');
    const r = await p.exportLabels({ format: 'parquet', out });
    assert.equal(r.written, 3);
    const { names, schema, rows } = await readParquet(out);
    assert.deepEqual(names, ['path', 'label', 'source', 'time', 'confidence', 'image']);
    assert.deepEqual(
      schema.map((s) => [s.type, s.converted_type]),
      [
        ['BYTE_ARRAY', 'UTF8'],
        ['BYTE_ARRAY', 'UTF8'],
        ['BYTE_ARRAY', 'UTF8'],
        ['BYTE_ARRAY', 'UTF8'],
        ['DOUBLE', undefined],
        ['BYTE_ARRAY', undefined],
      ],
    );
    assert.deepEqual(
      rows.map((x) => [x.path, x.label, x.source, x.confidence]),
      [
        ['img/0.png', 'dark', 'human', null],
        ['img/1.png', 'dark', 'human', null],
        ['img/5.png', 'light', 'human', null],
      ],
    );
    for (const x of rows) {
      assert.ok(!Number.isNaN(Date.parse(x.time as string)));
      const bytes = x.image as Uint8Array;
      assert.ok(bytes instanceof Uint8Array, 'image bytes as a byte array');
      assert.deepEqual(Buffer.from(bytes), fs.readFileSync(path.join(root, x.path as string)), `${x.path}: the file's bytes`);
    }

    // The same labels imported into a fresh copy of the workspace.
    const root2 = imageWorkspace('a2');
    const q = await Project.init(root2, ['dark', 'light']);
    try {
      const imp = await q.importLabels(out);
      assert.equal(imp.imported, 3);
      assert.deepEqual(imp.skipped, []);
      assert.equal(q.labelOf('img/5.png')?.label, 'light');
      assert.equal(q.labelOf('img/5.png')?.source, 'imported');
      assert.equal(q.labelOf('img/2.png'), undefined);
    } finally {
      await q.dispose();
    }
  } finally {
    await p.dispose();
  }
});

test('import from Parquet: unknown items, classes and empty cells are skipped with their row, the rest lands in one batch', async () => {
  const root = imageWorkspace('b');
  const file = path.join(tmp, 'b.parquet');
  fs.writeFileSync(
    file,
    new Uint8Array(
      parquetWriteBuffer({
        columnData: [
          { name: 'path', data: ['img/0.png', 'img/9.png', 'img/1.png', 'img/2.png', 'img/0.png'], type: 'STRING' },
          { name: 'label', data: ['dark', 'dark', 'purple', '', 'light'], type: 'STRING' },
        ],
      }),
    ),
  );
  const p = await Project.init(root, ['dark', 'light']);
  try {
    const before = fs.readFileSync(path.join(root, '.selflabel', 'labels.jsonl'), 'utf8');
    const r = await p.importLabels(file);
    assert.equal(r.imported, 1);
    assert.deepEqual(
      r.skipped.map((s) => s.row),
      [2, 3, 4, 5],
    );
    assert.match(r.skipped[0].reason, /unknown item/);
    assert.match(r.skipped[1].reason, /unknown class "purple"/);
    assert.match(r.skipped[2].reason, /empty label/);
    assert.match(r.skipped[3].reason, /conflicts with row 1/);
    const after = fs.readFileSync(path.join(root, '.selflabel', 'labels.jsonl'), 'utf8');
    assert.equal(after.slice(0, before.length), before, 'the journal is only appended to');
    // Not a Parquet file, or no label column: a clear error, nothing recorded.
    fs.writeFileSync(path.join(tmp, 'bad.parquet'), 'path,label\nimg/1.png,dark\n');
    await assert.rejects(p.importLabels(path.join(tmp, 'bad.parquet')), /not a Parquet file/);
    const nolabel = path.join(tmp, 'nolabel.parquet');
    fs.writeFileSync(nolabel, new Uint8Array(parquetWriteBuffer({ columnData: [{ name: 'path', data: ['img/1.png'], type: 'STRING' }] })));
    await assert.rejects(p.importLabels(nolabel), /needs a "path" and a "label" column/);
    assert.equal(p.labelOf('img/1.png'), undefined);
  } finally {
    await p.dispose();
  }
});

test('import from class folders: an export elsewhere is matched by content, a folder inside the workspace by path', async () => {
  const root = imageWorkspace('c');
  const p = await Project.init(root, ['dark', 'light']);
  const out = path.join(tmp, 'c-export');
  try {
    await p.scan();
    await p.label('img/0.png', 'dark');
    await p.label('img/4.png', 'light');
    await p.exportLabels({ format: 'folders', out });
  } finally {
    await p.dispose();
  }
  fs.writeFileSync(path.join(out, 'light', 'stranger.png'), 'not an item of the workspace');
  const root2 = imageWorkspace('c2');
  const q = await Project.init(root2, ['dark', 'light']);
  try {
    const r = await q.importLabels(out);
    assert.equal(r.imported, 2);
    assert.equal(r.skipped.length, 1);
    assert.match(r.skipped[0].reason, /stranger\.png: no workspace item has this content/);
    assert.equal(q.labelOf('img/0.png')?.label, 'dark');
    assert.equal(q.labelOf('img/4.png')?.label, 'light');
  } finally {
    await q.dispose();
  }
  // Class folders inside the workspace: the files are the items.
  const root3 = path.join(tmp, 'c3');
  fs.mkdirSync(path.join(root3, 'sorted', 'dark'), { recursive: true });
  fs.mkdirSync(path.join(root3, 'sorted', 'light'), { recursive: true });
  png(path.join(root3, 'sorted', 'dark', 'x.png'), 10);
  png(path.join(root3, 'sorted', 'light', 'y.png'), 240);
  const w = await Project.init(root3, ['dark', 'light']);
  try {
    const r = await w.importLabels(path.join(root3, 'sorted'));
    assert.equal(r.imported, 2);
    assert.equal(w.labelOf('sorted/light/y.png')?.label, 'light');
  } finally {
    await w.dispose();
  }
});

test('the CLI exports Parquet and refuses an unknown format', () => {
  const root = imageWorkspace('d');
  const cli = (args: string[]) =>
    spawnSync(process.execPath, ['--import', 'tsx', path.join(repo, 'src/cli/main.ts'), ...args, '--workspace', root], {
      encoding: 'utf8',
      env: { ...process.env, CI: 'true' },
    });
  assert.equal(cli(['init', '--classes', 'dark,light']).status, 0);
  assert.equal(cli(['label', 'img/3.png', 'light']).status, 0);
  const out = path.join(tmp, 'd.parquet');
  const r = cli(['export', '--format', 'parquet', '--out', out]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /wrote 1 label/);
  assert.ok(fs.readFileSync(out).subarray(0, 4).equals(Buffer.from('PAR1')));
  const bad = cli(['export', '--format', 'xlsx', '--out', path.join(tmp, 'd.xlsx')]);
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /csv\|jsonl\|parquet\|folders/);
});
