/**
 * Tests of the dataset layer (src/core/dataset) on real files in temp folders: image decoding and resizing, cheap
 * image validation, CSV/JSONL rows, text files, globs, symlinks, the incremental scan cache, loading items back.
 */
import { test, describe, before, after } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { createHash } from 'node:crypto';
import { PNG } from 'pngjs';
import * as jpeg from 'jpeg-js';
import fc from 'fast-check';
import { fuzzParams } from './fuzzSeed';
import {
  scanWorkspace,
  decodeImage,
  probeImage,
  toTensorData,
  toUint8,
  ItemError,
  parseCsv,
  CsvParser,
  csvLine,
  loadTexts,
  loadImage,
  readRawRows,
  type DecodedImage,
  type RawRow,
} from '../../src/core/dataset';
import type { Item, Progress } from '../../src/core/types';

let tmp: string;
before(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'selflabel-dataset-'));
});
after(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

let wsCount = 0;
/** A fresh workspace folder with the given files (string → UTF-8, Buffer → bytes). */
async function workspace(files: Record<string, string | Uint8Array>): Promise<string> {
  const root = path.join(tmp, `ws${++wsCount}`);
  await fs.mkdir(root, { recursive: true });
  for (const [rel, content] of Object.entries(files)) {
    const abs = path.join(root, rel);
    await fs.mkdir(path.dirname(abs), { recursive: true });
    await fs.writeFile(abs, content);
  }
  return root;
}

/** Independent reference hash (sha256 hex, 32 chars). */
function sha32(data: Uint8Array | string): string {
  return createHash('sha256').update(data).digest('hex').slice(0, 32);
}

/** Encodes a PNG whose stored colour type matches the given pixel layout (no conversion by pngjs). */
function pngBytes(width: number, height: number, channels: 1 | 2 | 3 | 4, data: Uint8Array): Buffer {
  const colorType = ({ 1: 0, 2: 4, 3: 2, 4: 6 } as const)[channels];
  const png = new PNG({
    width,
    height,
    colorType,
    inputColorType: colorType,
    bitDepth: 8,
    inputHasAlpha: channels === 2 || channels === 4,
  });
  png.data = Buffer.from(data);
  return PNG.sync.write(png, { colorType, inputColorType: colorType, bitDepth: 8, inputHasAlpha: channels === 2 || channels === 4 });
}

function jpegBytes(width: number, height: number, rgb: (x: number, y: number) => [number, number, number], quality = 100): Buffer {
  const data = Buffer.alloc(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const [r, g, b] = rgb(x, y);
      const o = (y * width + x) * 4;
      data[o] = r;
      data[o + 1] = g;
      data[o + 2] = b;
      data[o + 3] = 255;
    }
  }
  return jpeg.encode({ width, height, data }, quality).data;
}

function pattern(n: number, seed: number): Uint8Array {
  const a = new Uint8Array(n);
  for (let i = 0; i < n; i++) a[i] = (i * 37 + seed * 11) % 256;
  return a;
}

// ───────────────────────────── images ─────────────────────────────

describe('images', () => {
  test('PNG gray, RGB, RGBA and gray+alpha decode to the exact pixels, odd sizes included', () => {
    for (const [w, h] of [
      [1, 1],
      [7, 3],
      [13, 17],
    ]) {
      const gray = pattern(w * h, 1);
      const g = decodeImage(pngBytes(w, h, 1, gray), 'g.png');
      assert.deepEqual([g.width, g.height, g.channels], [w, h, 1]);
      assert.deepEqual(Array.from(g.data), Array.from(gray));

      const rgb = pattern(w * h * 3, 2);
      const c = decodeImage(pngBytes(w, h, 3, rgb), 'c.png');
      assert.deepEqual([c.width, c.height, c.channels], [w, h, 3]);
      assert.deepEqual(Array.from(c.data), Array.from(rgb));

      const rgba = pattern(w * h * 4, 3);
      rgba[3] = 10; // make sure some alpha is not opaque
      const a = decodeImage(pngBytes(w, h, 4, rgba), 'a.png');
      assert.deepEqual([a.width, a.height, a.channels], [w, h, 4]);
      assert.deepEqual(Array.from(a.data), Array.from(rgba));

      const ga = pattern(w * h * 2, 4);
      ga[1] = 0;
      const d = decodeImage(pngBytes(w, h, 2, ga), 'ga.png');
      assert.equal(d.channels, 4);
      for (let p = 0; p < w * h; p++) {
        assert.deepEqual(Array.from(d.data.subarray(p * 4, p * 4 + 4)), [ga[p * 2], ga[p * 2], ga[p * 2], ga[p * 2 + 1]]);
      }
    }
  });

  test('an RGBA PNG that is fully opaque decodes as RGB', () => {
    const rgba = pattern(6 * 4, 5);
    for (let p = 0; p < 6; p++) rgba[p * 4 + 3] = 255;
    const img = decodeImage(pngBytes(3, 2, 4, rgba), 'o.png');
    assert.equal(img.channels, 3);
    assert.deepEqual(Array.from(img.data.subarray(0, 3)), Array.from(rgba.subarray(0, 3)));
  });

  test('JPEG decodes close to the encoded colours, odd size', () => {
    // 8×8 solid blocks survive JPEG almost exactly at quality 100
    const colours: [number, number, number][] = [
      [200, 30, 30],
      [20, 180, 60],
      [40, 40, 220],
      [250, 250, 250],
    ];
    const w = 24;
    const h = 17;
    const at = (x: number, y: number) => colours[(Math.floor(x / 8) + Math.floor(y / 8)) % 4];
    const img = decodeImage(jpegBytes(w, h, at), 'x.jpg');
    assert.deepEqual([img.width, img.height, img.channels], [w, h, 3]);
    for (const [x, y] of [
      [3, 3],
      [11, 4],
      [19, 12],
      [4, 12],
    ]) {
      const o = (y * w + x) * 3;
      const want = at(x, y);
      for (let c = 0; c < 3; c++)
        assert.ok(Math.abs(img.data[o + c] - want[c]) <= 4, `pixel ${x},${y} channel ${c}: ${img.data[o + c]} vs ${want[c]}`);
    }
    assert.deepEqual(probeImage(jpegBytes(w, h, at)), { format: 'jpeg', width: w, height: h, channels: 3 });
  });

  test('toUint8 at the same size is the identity; toTensorData scales to [0,1]', () => {
    const data = pattern(4 * 4 * 3, 6);
    const img: DecodedImage = { width: 4, height: 4, channels: 3, data };
    assert.deepEqual(Array.from(toUint8(img, 4, 3)), Array.from(data));
    const f = toTensorData(img, 4, 3);
    for (let i = 0; i < data.length; i++) assert.ok(Math.abs(f[i] - data[i] / 255) < 1e-6);
  });

  test('shrinking averages areas (integer and fractional factors)', () => {
    // 4×4 gray → 2×2: each output is the mean of a 2×2 block
    const g = Uint8Array.from([0, 10, 100, 110, 20, 30, 120, 130, 200, 210, 40, 50, 220, 230, 60, 70]);
    const out = toUint8({ width: 4, height: 4, channels: 1, data: g }, 2, 1);
    assert.deepEqual(Array.from(out), [15, 115, 215, 55]);
    // 3×1 → 2×1 horizontally is fractional: out0 = (a + b/2)/1.5, out1 = (b/2 + c)/1.5. Height 3 → 2 likewise.
    const row = Float32Array.from([30, 90, 150]);
    const img: DecodedImage = { width: 3, height: 3, channels: 1, data: Uint8Array.from([30, 90, 150, 30, 90, 150, 30, 90, 150]) };
    const f = toTensorData(img, 2, 1);
    const e0 = (row[0] + row[1] / 2) / 1.5 / 255;
    const e1 = (row[1] / 2 + row[2]) / 1.5 / 255;
    assert.ok(
      Math.abs(f[0] - e0) < 1e-6 && Math.abs(f[1] - e1) < 1e-6 && Math.abs(f[2] - e0) < 1e-6 && Math.abs(f[3] - e1) < 1e-6,
      `${Array.from(f)}`,
    );
  });

  test('enlarging is bilinear with half-pixel centres, clamped at the borders', () => {
    // 2×1 row [0, 200] enlarged to 4: sample positions -0.25, 0.25, 0.75, 1.25 → clamp → 0, .25, .75, 1
    const img: DecodedImage = { width: 2, height: 2, channels: 1, data: Uint8Array.from([0, 200, 0, 200]) };
    const out = toUint8(img, 4, 1);
    for (let y = 0; y < 4; y++) assert.deepEqual(Array.from(out.subarray(y * 4, y * 4 + 4)), [0, 50, 150, 200]);
  });

  test('gray↔RGB conversion and alpha composited on white', () => {
    const rgb: DecodedImage = { width: 1, height: 1, channels: 3, data: Uint8Array.from([100, 150, 200]) };
    assert.deepEqual(Array.from(toUint8(rgb, 1, 1)), [Math.round(0.299 * 100 + 0.587 * 150 + 0.114 * 200)]);
    const gray: DecodedImage = { width: 1, height: 1, channels: 1, data: Uint8Array.from([77]) };
    assert.deepEqual(Array.from(toUint8(gray, 1, 3)), [77, 77, 77]);
    const rgba: DecodedImage = { width: 2, height: 1, channels: 4, data: Uint8Array.from([0, 0, 0, 0, 100, 50, 0, 128]) };
    const a = 128 / 255;
    const exp = [255, 255, 255, Math.round(100 * a + 255 * (1 - a)), Math.round(50 * a + 255 * (1 - a)), Math.round(255 * (1 - a))];
    assert.deepEqual(Array.from(toUint8(rgba, 2, 3).subarray(0, 3)), exp.slice(0, 3));
    // a 2×1 image squashed to 1×1 averages the two composited pixels; check at size 2 instead (no resampling in x)
    const big = toUint8(
      { width: 2, height: 2, channels: 4, data: Uint8Array.from([0, 0, 0, 0, 100, 50, 0, 128, 0, 0, 0, 0, 100, 50, 0, 128]) },
      2,
      3,
    );
    assert.deepEqual(Array.from(big.subarray(0, 6)), exp);
  });

  test('corrupt, truncated and foreign files throw ItemError with a reason', () => {
    const good = pngBytes(8, 8, 3, pattern(8 * 8 * 3, 7));
    const bad: [string, Uint8Array, RegExp][] = [
      ['empty', Buffer.alloc(0), /empty/],
      ['truncated png', good.subarray(0, good.length - 20), /truncated PNG/],
      ['garbage', Buffer.from('this is not an image at all'), /not a PNG or JPEG/],
      ['gif', Buffer.from('GIF89a\x01\x00\x01\x00', 'latin1'), /GIF/],
    ];
    const jpg = jpegBytes(16, 16, () => [10, 20, 30]);
    bad.push(['truncated jpeg', jpg.subarray(0, Math.floor(jpg.length / 2)), /truncated JPEG|corrupt JPEG/]);
    // valid header and IEND, broken pixel data (CRC mismatch)
    const flipped = Buffer.from(good);
    const idat = flipped.indexOf('IDAT');
    flipped[idat + 6] ^= 0xff;
    bad.push(['corrupt idat', flipped, /corrupt PNG/]);
    for (const [name, buf, re] of bad) {
      assert.throws(
        () => decodeImage(buf, name),
        (e: unknown) => e instanceof ItemError && re.test(e.reason) && e.message.includes(name),
        name,
      );
    }
  });
});

// ───────────────────────────── CSV / JSONL parsing ─────────────────────────────

describe('rows', () => {
  test('CSV: quotes, escaped quotes, CRLF, newlines inside quotes; same result for any chunking', () => {
    const text = 'id,text\r\n1,"hello, ""world"""\r\n2,"two\r\nlines"\r\n\r\n3,plain\r\n4,"a\nb\nc",x\n5,last';
    const recs = parseCsv(text);
    const data = recs.filter((r) => !r.blank);
    assert.deepEqual(
      data.map((r) => [r.line, r.fields, r.error]),
      [
        [1, ['id', 'text'], undefined],
        [2, ['1', 'hello, "world"'], undefined],
        [3, ['2', 'two\r\nlines'], undefined],
        [6, ['3', 'plain'], undefined],
        [7, ['4', 'a\nb\nc', 'x'], undefined],
        [10, ['5', 'last'], undefined],
      ],
    );
    const whole = JSON.stringify(recs);
    for (let k = 1; k < text.length; k++) {
      const out: unknown[] = [];
      const p = new CsvParser((r) => out.push(r));
      p.push(text.slice(0, k));
      p.push(text.slice(k));
      p.end();
      assert.equal(JSON.stringify(out), whole, `split at ${k}`);
    }
  });

  test('CSV: unterminated quote and text after a closing quote are reported and parsing resumes', () => {
    const recs = parseCsv('a,b\n1,"never closed\n2,ok\n3,"x"y\n4,fine\n').filter((r) => !r.blank);
    assert.deepEqual(
      recs.map((r) => [r.line, r.error ? 'ERR' : r.fields.join('|')]),
      [
        [1, 'a|b'],
        [2, 'ERR'],
        [3, '2|ok'],
        [4, 'ERR'],
        [5, '4|fine'],
      ],
    );
    assert.match(recs[1].error!, /quote opened on line 2/);
    assert.match(recs[3].error!, /after a closing quote/);
  });

  test('CSV recovery gives the same records for any chunking', () => {
    const text = 'a,b\r\n1,"never closed\r\n2,ok\r\n3,"x"y\r\n4,"multi\r\nline" junk\r\n5,fine\r\n6,"open';
    const whole = JSON.stringify(parseCsv(text));
    assert.ok(whole.includes('"5","fine"'), whole);
    for (let k = 1; k < text.length; k++) {
      for (const j of [k + 1, k + 3]) {
        const out: unknown[] = [];
        const p = new CsvParser((r) => out.push(r));
        p.push(text.slice(0, k));
        p.push(text.slice(k, j));
        p.push(text.slice(j));
        p.end();
        assert.equal(JSON.stringify(out), whole, `split at ${k}, ${j}`);
      }
    }
  });

  test('property: any table written with csvLine parses back to the same fields', () => {
    const field = fc.string({ unit: fc.constantFrom('a', 'b', ' ', ',', '"', '\n', '\r', 'é', '😀'), maxLength: 8 });
    fc.assert(
      fc.property(
        fc
          .integer({ min: 1, max: 4 })
          .chain((cols) => fc.array(fc.array(field, { minLength: cols, maxLength: cols }), { minLength: 1, maxLength: 6 })),
        (rows) => {
          const text = rows.map(csvLine).join('');
          const parsed = parseCsv(text).map((r) => r.fields);
          assert.deepEqual(parsed, rows);
        },
      ),
      fuzzParams(300),
    );
  });

  test('readRawRows gives the same rows for any chunk size (multi-byte characters split across chunks)', async () => {
    const root = await workspace({
      'r.jsonl': '\ufeff{"text":"héllo 😀"}\r\n\n{"text":"' + 'long '.repeat(50) + '"}\nnot json\n{"text":"ünïcode"}',
      'r.csv': 'text,n\r\n"a ""q"" é",1\r\n"multi\nline 😀",2\r\nbad\r\nplain,3',
    });
    for (const [file, format] of [
      ['r.jsonl', 'jsonl'],
      ['r.csv', 'csv'],
    ] as const) {
      const collect = async (chunkBytes?: number) => {
        const rows: RawRow[] = [];
        const stats = await readRawRows(path.join(root, file), format, (r) => rows.push(r), { chunkBytes });
        return { rows, stats };
      };
      const whole = await collect();
      assert.equal(whole.stats.hash, sha32(await fs.readFile(path.join(root, file))));
      assert.equal(whole.stats.rows, 4);
      for (const size of [1, 2, 3, 5, 7, 64]) assert.deepEqual(await collect(size), whole, `${file} in ${size}-byte chunks`);
    }
  });

  test('csvLine quotes what needs quoting and parses back', () => {
    const fields = ['plain', 'a,b', 'say "hi"', 'two\nlines', ' padded ', ''];
    const line = csvLine(fields);
    assert.equal(line, 'plain,"a,b","say ""hi""","two\nlines"," padded ",\r\n');
    assert.deepEqual(parseCsv(line)[0].fields, fields);
  });
});

// ───────────────────────────── scanning ─────────────────────────────

describe('scanWorkspace', () => {
  test('finds images, texts and rows with ids, hashes, sizes, previews and lines', async () => {
    const png = pngBytes(5, 4, 1, pattern(20, 8));
    const jpg = jpegBytes(9, 7, () => [1, 2, 3]);
    const long = 'x'.repeat(150) + 'é'.repeat(100);
    const root = await workspace({
      'img/a.png': png,
      'img/B.JPG': jpg,
      'notes/long.txt': long,
      'data.jsonl': '{"text":"first"}\n\n{"text":"second","y":1}\r\n',
      'table.csv': 'text,label\n"multi\nline",a\nsingle,b\n',
      'ignored.md': '# not scanned',
    });
    const res = await scanWorkspace(root);
    const ids = res.items.map((i) => i.id);
    assert.deepEqual(ids, ['data.jsonl#1', 'data.jsonl#2', 'img/B.JPG', 'img/a.png', 'notes/long.txt', 'table.csv#1', 'table.csv#2']);
    assert.equal(res.filesSeen, 5);
    assert.deepEqual(res.skipped, []);
    const by = new Map(res.items.map((i) => [i.id, i]));
    const a = by.get('img/a.png')!;
    assert.deepEqual(
      [a.kind, a.modality, a.hash, a.size, a.width, a.height, a.channels],
      ['image', 'image', sha32(png), png.length, 5, 4, 1],
    );
    assert.equal(by.get('img/B.JPG')!.hash, sha32(jpg));
    const t = by.get('notes/long.txt')!;
    assert.deepEqual([t.kind, t.modality, t.hash, t.size], ['text', 'text', sha32(Buffer.from(long)), Buffer.byteLength(long)]);
    assert.equal(t.preview, long.slice(0, 200));
    const r2 = by.get('data.jsonl#2')!;
    assert.deepEqual(
      [r2.kind, r2.row, r2.line, r2.hash, r2.size, r2.preview, r2.path],
      ['row', 2, 3, sha32('second'), 6, 'second', 'data.jsonl'],
    );
    const c1 = by.get('table.csv#1')!;
    assert.deepEqual([c1.row, c1.line, c1.preview, c1.hash], [1, 2, 'multi\nline', sha32('multi\nline')]);
    assert.equal(by.get('table.csv#2')!.line, 4);
    const st = await fs.stat(path.join(root, 'img/a.png'));
    assert.equal(a.mtimeMs, st.mtimeMs);
  });

  test('corrupt, truncated, zero-byte and foreign images are skipped with reasons; a PNG named .jpg is fine', async () => {
    const png = pngBytes(6, 6, 3, pattern(108, 9));
    const jpg = jpegBytes(16, 16, () => [9, 9, 9]);
    const root = await workspace({
      'ok.png': png,
      'really-a-png.jpg': png,
      'trunc.png': png.subarray(0, png.length - 16),
      'trunc.jpg': jpg.subarray(0, jpg.length - 200),
      'zero.png': Buffer.alloc(0),
      'noise.jpeg': Buffer.from('\u0001\u0002 definitely not an image'),
      'anim.png': Buffer.from('GIF89a\u0001\u0000\u0001\u0000\u0000\u0000\u0000', 'latin1'),
    });
    const res = await scanWorkspace(root);
    assert.deepEqual(
      res.items.map((i) => i.id),
      ['ok.png', 'really-a-png.jpg'],
    );
    const reasons = Object.fromEntries(res.skipped.map((s) => [s.path, s.reason]));
    assert.deepEqual(Object.keys(reasons).sort(), ['anim.png', 'noise.jpeg', 'trunc.jpg', 'trunc.png', 'zero.png']);
    assert.match(reasons['trunc.png'], /truncated PNG/);
    assert.match(reasons['trunc.jpg'], /truncated JPEG/);
    assert.match(reasons['zero.png'], /empty file/);
    assert.match(reasons['noise.jpeg'], /not a PNG or JPEG/);
    assert.match(reasons['anim.png'], /GIF/);
    assert.equal(res.filesSeen, 7);
  });

  test('CSV rows: malformed rows, missing/empty text and a single-column file', async () => {
    const root = await workspace({
      'a.csv':
        'id,text,n\n1,good one,1\n2,"bad ""quote"" here" oops,2\n3,,3\n4,too,many,fields\n5,"line\nbreak",5\n6,"never closed,6\n7,recovered,7\n',
      'one.csv': 'sentence\nhello\n\nworld\n',
      'nocol.csv': 'a,b\n1,2\n',
      'headeronly.csv': 'text\n',
    });
    const res = await scanWorkspace(root);
    assert.deepEqual(
      res.items.map((i) => [i.id, i.preview, i.line]),
      [
        ['a.csv#1', 'good one', 2],
        ['a.csv#5', 'line\nbreak', 6],
        ['a.csv#7', 'recovered', 9],
        ['one.csv#1', 'hello', 2],
        ['one.csv#2', 'world', 4],
      ],
    );
    const skips = res.skipped.map((s) => [s.path, s.row, s.reason]);
    assert.equal(skips.length, 6, JSON.stringify(skips));
    const find = (p: string, row?: number) => res.skipped.find((s) => s.path === p && s.row === row)?.reason ?? '';
    assert.match(find('a.csv', 2), /after a closing quote.*line 3/);
    assert.match(find('a.csv', 3), /empty "text"/);
    assert.match(find('a.csv', 4), /expected 3 fields, found 4/);
    assert.match(find('a.csv', 6), /unterminated.*line 8/);
    assert.match(find('nocol.csv'), /no column named "text"/);
    assert.match(find('headeronly.csv'), /no data rows/);
  });

  test('JSONL rows: bad lines skipped with reasons, blank lines not counted, custom text field', async () => {
    const lines = [
      '{"body":"alpha"}',
      '',
      'not json',
      '[1,2]',
      '{"other":"x"}',
      '{"body":42}',
      '{"body":"   "}',
      '   ',
      '{"body":"omega"}',
    ];
    const bad = Buffer.concat([Buffer.from('{"body":"'), Buffer.from([0xc3, 0x28]), Buffer.from('"}\n')]);
    const root = await workspace({
      'd.ndjson': Buffer.concat([Buffer.from(lines.join('\n') + '\n'), bad, Buffer.from('{"body":"tail"}')]),
    });
    const res = await scanWorkspace(root, { textField: 'body' });
    assert.deepEqual(
      res.items.map((i) => [i.id, i.preview, i.line]),
      [
        ['d.ndjson#1', 'alpha', 1],
        ['d.ndjson#7', 'omega', 9],
        ['d.ndjson#9', 'tail', 11],
      ],
    );
    const reasons = res.skipped.map((s) => [s.row, s.reason.replace(/ \(line \d+\)$/, '')]);
    assert.equal(reasons.length, 6);
    assert.match(String(reasons[0][1]), /invalid JSON/);
    assert.match(String(reasons[1][1]), /not a JSON object \(an array\)/);
    assert.match(String(reasons[2][1]), /no "body" field/);
    assert.match(String(reasons[3][1]), /a number, not text/);
    assert.match(String(reasons[4][1]), /empty "body"/);
    assert.deepEqual(reasons[5], [8, 'not valid UTF-8']);
    assert.deepEqual(
      res.skipped.map((s) => s.row),
      [2, 3, 4, 5, 6, 8],
    );
  });

  test('text files: binary, invalid UTF-8, UTF-16 and whitespace-only are skipped; a BOM is dropped', async () => {
    const root = await workspace({
      'ok.txt': '\ufeffHello there',
      'bin.txt': Buffer.from([0x68, 0x69, 0x00, 0x01, 0x02]),
      'latin1.txt': Buffer.from([0x63, 0x61, 0x66, 0xe9]),
      'utf16.txt': Buffer.from('\ufeffhi', 'utf16le'),
      'blank.txt': ' \n\t\n',
      'empty.txt': '',
    });
    const res = await scanWorkspace(root);
    assert.deepEqual(
      res.items.map((i) => [i.id, i.preview]),
      [['ok.txt', 'Hello there']],
    );
    const reasons = Object.fromEntries(res.skipped.map((s) => [s.path, s.reason]));
    assert.match(reasons['bin.txt'], /binary/);
    assert.match(reasons['latin1.txt'], /not valid UTF-8/);
    assert.match(reasons['utf16.txt'], /UTF-16/);
    assert.match(reasons['blank.txt'], /whitespace/);
    assert.match(reasons['empty.txt'], /empty file/);
  });

  test('built-in and user excludes, include globs, size limit', async () => {
    const root = await workspace({
      'keep/a.txt': 'a',
      'keep/b.txt': 'b',
      'raw/c.txt': 'c',
      'deep/x/scratch.txt': 'd',
      '.git/objects/e.txt': 'e',
      'node_modules/pkg/f.txt': 'f',
      '.selflabel/cache/g.txt': 'g',
      'sub/node_modules/h.txt': 'h',
      '.hidden/i.txt': 'i',
      'big.txt': 'x'.repeat(2000),
    });
    const all = await scanWorkspace(root);
    assert.deepEqual(
      all.items.map((i) => i.id),
      ['.hidden/i.txt', 'big.txt', 'deep/x/scratch.txt', 'keep/a.txt', 'keep/b.txt', 'raw/c.txt'],
    );
    const ex = await scanWorkspace(root, { exclude: ['raw/**', 'scratch.txt'] });
    assert.deepEqual(
      ex.items.map((i) => i.id),
      ['.hidden/i.txt', 'big.txt', 'keep/a.txt', 'keep/b.txt'],
    );
    const inc = await scanWorkspace(root, { include: ['keep/**'], exclude: ['b.txt'] });
    assert.deepEqual(
      inc.items.map((i) => i.id),
      ['keep/a.txt'],
    );
    const small = await scanWorkspace(root, { include: ['big.txt', 'keep/a.txt'], maxFileBytes: 1000 });
    assert.deepEqual(
      small.items.map((i) => i.id),
      ['keep/a.txt'],
    );
    assert.match(small.skipped[0].reason, /too large/);
  });

  test('symlink loops do not hang; symlinked folders are not followed; symlinked files are read', async () => {
    const root = await workspace({ 'a/x.txt': 'x', 'b/y.txt': 'y' });
    await fs.symlink('..', path.join(root, 'a', 'up'));
    await fs.symlink(path.join(root, 'b'), path.join(root, 'a', 'toB'));
    await fs.symlink('self.txt', path.join(root, 'self.txt')); // points at itself
    await fs.symlink(path.join(root, 'b', 'y.txt'), path.join(root, 'link.txt'));
    await fs.symlink('missing.txt', path.join(root, 'dangling.txt'));
    const res = await Promise.race([
      scanWorkspace(root),
      new Promise<never>((_, rej) => setTimeout(() => rej(new Error('scan hung')), 5000).unref()),
    ]);
    assert.deepEqual(
      res.items.map((i) => i.id),
      ['a/x.txt', 'b/y.txt', 'link.txt'],
    );
    const reasons = Object.fromEntries(res.skipped.map((s) => [s.path, s.reason]));
    assert.match(reasons['a/up'], /not followed/);
    assert.match(reasons['a/toB'], /not followed/);
    assert.match(reasons['self.txt'], /symbolic link/);
    assert.match(reasons['dangling.txt'], /broken symbolic link/);
  });

  test('a file deleted during the scan (between listing and reading) is skipped with a reason', async () => {
    const root = await workspace({ 'a.txt': 'a', 'b.txt': 'b' });
    const res = await scanWorkspace(root, {
      onProgress: (p) => {
        if (p.total === 2 && p.done === 0) require('node:fs').rmSync(path.join(root, 'a.txt'));
      },
    });
    assert.deepEqual(
      res.items.map((i) => i.id),
      ['b.txt'],
    );
    assert.deepEqual(res.skipped, [{ path: 'a.txt', reason: 'file disappeared during the scan' }]);
  });

  test('progress is reported and the signal cancels with an AbortError', async () => {
    const files: Record<string, string> = {};
    for (let i = 0; i < 50; i++) files[`f${i}.txt`] = `text ${i}`;
    const root = await workspace(files);
    const seen: Progress[] = [];
    await scanWorkspace(root, { onProgress: (p) => seen.push(p) });
    assert.ok(seen.every((p) => p.stage === 'scan'));
    assert.deepEqual(seen.at(-1), { stage: 'scan', done: 50, total: 50, message: undefined });
    const pre = new AbortController();
    pre.abort();
    await assert.rejects(scanWorkspace(root, { signal: pre.signal }), (e: Error) => e.name === 'AbortError');
    const mid = new AbortController();
    await assert.rejects(
      scanWorkspace(root, {
        signal: mid.signal,
        onProgress: (p) => {
          if (p.total === 50 && p.done === 0) mid.abort(); // after listing, before reading
        },
      }),
      (e: Error) => e.name === 'AbortError',
    );
  });

  test('incremental: unchanged files come from the cache; an edit and a rename are noticed', async () => {
    const root = await workspace({
      'a.txt': 'alpha',
      'b.txt': 'bravo',
      'r.csv': 'text\none\ntwo\n',
      'p.png': pngBytes(2, 2, 1, pattern(4, 1)),
    });
    const old = new Date(Date.now() - 3600_000);
    for (const f of ['a.txt', 'b.txt', 'r.csv', 'p.png']) await fs.utimes(path.join(root, f), old, old);
    const cacheFile = path.join(root, '.selflabel', 'cache', 'scan.json');
    const first = await scanWorkspace(root, { cacheFile });
    assert.equal(first.items.length, 5);

    // Tamper with the cached hash of a.txt: if the rescan still reports it, the file was not read again.
    const cache = JSON.parse(await fs.readFile(cacheFile, 'utf8'));
    cache.files['a.txt'].h = 'f'.repeat(32);
    await fs.writeFile(cacheFile, JSON.stringify(cache));
    // Edit b.txt keeping its size and mtime (only ctime changes), rename the CSV.
    await fs.writeFile(path.join(root, 'b.txt'), 'BRAVO');
    await fs.utimes(path.join(root, 'b.txt'), old, old);
    await fs.rename(path.join(root, 'r.csv'), path.join(root, 'renamed.csv'));
    const second = await scanWorkspace(root, { cacheFile });
    const by = new Map(second.items.map((i) => [i.id, i]));
    assert.equal(by.get('a.txt')!.hash, 'f'.repeat(32), 'unchanged file served from the cache');
    assert.equal(by.get('b.txt')!.hash, sha32('BRAVO'));
    assert.notEqual(by.get('b.txt')!.hash, first.items.find((i) => i.id === 'b.txt')!.hash);
    assert.equal(by.get('b.txt')!.preview, 'BRAVO');
    assert.equal(by.has('r.csv#1'), false);
    assert.equal(by.get('renamed.csv#1')!.hash, first.items.find((i) => i.id === 'r.csv#1')!.hash);
    assert.equal(by.get('renamed.csv#2')!.preview, 'two');
    assert.deepEqual(
      by.get('p.png'),
      first.items.find((i) => i.id === 'p.png'),
    );
    // The cache forgets deleted files and is ignored when the text field changes.
    const saved = JSON.parse(await fs.readFile(cacheFile, 'utf8'));
    assert.deepEqual(Object.keys(saved.files).sort(), ['a.txt', 'b.txt', 'p.png', 'renamed.csv']);
    const other = await scanWorkspace(root, { cacheFile, textField: 'other' });
    assert.equal(other.items.find((i) => i.id === 'a.txt')!.hash, sha32('alpha'));
  });

  test('a corrupt cache file is ignored', async () => {
    const root = await workspace({ 'a.txt': 'alpha' });
    const cacheFile = path.join(root, 'scan.json');
    await fs.writeFile(cacheFile, '{"version":1,"key":');
    const res = await scanWorkspace(root, { cacheFile });
    assert.equal(res.items[0].hash, sha32('alpha'));
  });
});

// ───────────────────────────── loading ─────────────────────────────

describe('loading items', () => {
  test('loadTexts returns texts in order, each file read once, rows found without the text field', async () => {
    const root = await workspace({
      'a.txt': 'file text',
      'b.jsonl': '{"body":"row one","text":"decoy"}\n{"body":"row two"}\n',
      'c.csv': 'id,body\n1,"multi\nline"\n2,plain\n',
    });
    const scan = await scanWorkspace(root, { textField: 'body' });
    assert.equal(scan.items.length, 5);
    const order = [...scan.items].reverse();
    const texts = await loadTexts(root, order);
    assert.deepEqual(texts, ['plain', 'multi\nline', 'row two', 'row one', 'file text']);
    const withField = await loadTexts(root, scan.items, { textField: 'body' });
    assert.deepEqual(withField, ['file text', 'row one', 'row two', 'multi\nline', 'plain']);
  });

  test('loadTexts gives ItemErrors for changed, missing and unreadable items', async () => {
    const root = await workspace({ 'a.txt': 'one', 'b.txt': 'two', 'r.jsonl': '{"text":"x"}\n{"text":"y"}\n' });
    const scan = await scanWorkspace(root);
    await fs.writeFile(path.join(root, 'a.txt'), 'changed');
    await fs.rm(path.join(root, 'b.txt'));
    await fs.writeFile(path.join(root, 'r.jsonl'), '{"text":"x"}\n');
    const fake: Item = { ...scan.items[0], id: '../outside.txt', path: '../outside.txt' };
    const res = await loadTexts(root, [...scan.items, fake]);
    assert.ok(res[0] instanceof ItemError && /changed since the last scan/.test(res[0].reason));
    assert.ok(res[1] instanceof ItemError && /cannot read/.test(res[1].reason));
    assert.equal(res[2], 'x');
    assert.ok(res[3] instanceof ItemError && /no longer exists/.test(res[3].reason));
    assert.ok(res[4] instanceof ItemError && /outside the workspace/.test(res[4].reason));
  });

  test('loadImage decodes and resizes; a changed or corrupt file throws ItemError', async () => {
    const gray = pattern(6 * 6, 3);
    const root = await workspace({ 'g.png': pngBytes(6, 6, 1, gray), 'c.jpg': jpegBytes(10, 10, () => [50, 100, 150]) });
    const scan = await scanWorkspace(root);
    const g = scan.items.find((i) => i.id === 'g.png')!;
    const px = await loadImage(root, g, 3, 1);
    // 6 → 3 averages 2×2 blocks
    const want: number[] = [];
    for (let y = 0; y < 3; y++) {
      for (let x = 0; x < 3; x++) {
        const s = gray[2 * y * 6 + 2 * x] + gray[2 * y * 6 + 2 * x + 1] + gray[(2 * y + 1) * 6 + 2 * x] + gray[(2 * y + 1) * 6 + 2 * x + 1];
        want.push(Math.round(s / 4));
      }
    }
    assert.deepEqual(Array.from(px), want);
    const c = await loadImage(
      root,
      scan.items.find((i) => i.id === 'c.jpg')!,
      4,
      3,
    );
    assert.equal(c.length, 4 * 4 * 3);
    for (let p = 0; p < 16; p++)
      assert.ok(Math.abs(c[p * 3] - 50) <= 3 && Math.abs(c[p * 3 + 1] - 100) <= 3 && Math.abs(c[p * 3 + 2] - 150) <= 3);
    await fs.writeFile(path.join(root, 'g.png'), 'garbage');
    await assert.rejects(loadImage(root, g, 3, 1), (e: unknown) => e instanceof ItemError && /changed since the last scan/.test(e.reason));
    await assert.rejects(
      loadImage(root, { ...g, hash: '' }, 3, 1),
      (e: unknown) => e instanceof ItemError && /not a PNG or JPEG/.test(e.reason),
    );
  });
});
