import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as jpeg from 'jpeg-js';
import { syntheticJpeg, syntheticPhoto } from '../../src/bench/photos';
import { ItemError, decodeImage, toUint8, type DecodedImage } from '../../src/core/modalities/image/decode';
import { decodeJpegScaled, jpegScaleFor } from '../../src/core/modalities/image/jpegScaled';

const FIXTURES = path.join(__dirname, '..', 'fixtures', 'jpeg');

/** Mean absolute difference between `scaled` and `full` box-downscaled by `f` (whole f×f boxes only). */
function maeAgainstBox(
  scaled: DecodedImage,
  full: { width: number; height: number; channels: number; data: Uint8Array },
  f: number,
): number {
  assert.equal(scaled.width, Math.ceil(full.width / f));
  assert.equal(scaled.height, Math.ceil(full.height / f));
  const c = scaled.channels;
  let err = 0;
  let n = 0;
  for (let y = 0; y < Math.floor(full.height / f); y++) {
    for (let x = 0; x < Math.floor(full.width / f); x++) {
      for (let ch = 0; ch < c; ch++) {
        let m = 0;
        for (let dy = 0; dy < f; dy++) {
          for (let dx = 0; dx < f; dx++)
            m += full.data[((y * f + dy) * full.width + x * f + dx) * full.channels + (full.channels === 1 ? 0 : ch)];
        }
        err += Math.abs(m / (f * f) - scaled.data[(y * scaled.width + x) * c + ch]);
        n++;
      }
    }
  }
  return err / n;
}

test('a camera-like JPEG shrunk on load matches the full decode box-downscaled (1/8, 1/4, 1/2)', () => {
  const buf = syntheticJpeg(800, 600, 3);
  const full = jpeg.decode(buf, { useTArray: true, formatAsRGBA: false });
  for (const n of [1, 2, 4] as const) {
    const s = decodeJpegScaled(buf, n);
    assert.ok(s, `scale ${n}/8 decoded`);
    const mae = maeAgainstBox(s, { ...full, channels: 3 }, 8 / n);
    assert.ok(mae < 1.5, `scale ${n}/8: mean abs error ${mae.toFixed(2)}`);
  }
});

test('decodeImage with minSize shrinks in the DCT domain and the model input matches the full path', () => {
  const buf = syntheticJpeg(1024, 768, 5);
  const small = decodeImage(buf, 'photo.jpg', { minSize: 64 });
  assert.deepEqual([small.width, small.height, small.channels], [128, 96, 3]);
  const mid = decodeImage(buf, 'photo.jpg', { minSize: 200 });
  assert.deepEqual([mid.width, mid.height], [512, 384]); // 1/4 would give 192 rows < 200
  const whole = decodeImage(buf, 'photo.jpg', { minSize: 500 });
  assert.deepEqual([whole.width, whole.height], [1024, 768]);
  const a = toUint8(small, 64, 3);
  const b = toUint8(decodeImage(buf, 'photo.jpg'), 64, 3);
  let err = 0;
  for (let i = 0; i < a.length; i++) err += Math.abs(a[i] - b[i]);
  assert.ok(err / a.length < 1.5, `mean abs error ${(err / a.length).toFixed(2)}`);
});

test('jpegScaleFor never shrinks below the size asked for', () => {
  assert.equal(jpegScaleFor(4000, 3000, 64), 1);
  assert.equal(jpegScaleFor(4000, 3000, 375), 1);
  assert.equal(jpegScaleFor(4000, 3000, 376), 2);
  assert.equal(jpegScaleFor(4000, 3000, 1500), 4);
  assert.equal(jpegScaleFor(4000, 3000, 1501), 8);
  assert.equal(jpegScaleFor(100, 5000, 20), 2);
  assert.equal(jpegScaleFor(100, 5000, 60), 8);
});

// The committed fixtures: every kind of JPEG the decoder takes (see test/fixtures/jpeg/README.md). Their source is
// regenerated here, so the expected pixels do not come from any decoder.
const SOURCE = syntheticPhoto(131, 97, 7);
const KINDS = fs.readdirSync(FIXTURES).filter((f) => f.endsWith('.jpg'));

test('baseline, progressive, subsampled, restart-marker, gray and Adobe-RGB JPEGs match their source box-downscaled', () => {
  assert.ok(KINDS.length >= 8);
  for (const f of KINDS) {
    const buf = fs.readFileSync(path.join(FIXTURES, f));
    const gray = f.startsWith('gray');
    const src = new Uint8Array(131 * 97 * (gray ? 1 : 3));
    for (let i = 0; i < 131 * 97; i++) {
      const [r, g, b] = [SOURCE[i * 4], SOURCE[i * 4 + 1], SOURCE[i * 4 + 2]];
      if (gray) src[i] = Math.round(0.299 * r + 0.587 * g + 0.114 * b);
      else src.set([r, g, b], i * 3);
    }
    for (const n of [1, 2, 4] as const) {
      const s = decodeJpegScaled(buf, n);
      assert.ok(s, `${f} decoded at ${n}/8`);
      assert.equal(s.channels, gray ? 1 : 3, f);
      const mae = maeAgainstBox(s, { width: 131, height: 97, channels: gray ? 1 : 3, data: src }, 8 / n);
      // The JPEG's own loss at quality 95 on a noisy image plus the scaled IDCT: a few levels at most.
      assert.ok(mae < (n === 4 ? 6 : 3), `${f} at ${n}/8: mean abs error ${mae.toFixed(2)}`);
    }
  }
});

test('a truncated JPEG is refused with a reason, not decoded into garbage', () => {
  const buf = syntheticJpeg(320, 240, 9);
  for (const cut of [0.3, 0.6, 0.95]) {
    const part = buf.subarray(0, Math.floor(buf.length * cut));
    assert.throws(
      () => decodeImage(part, 'cut.jpg', { minSize: 32 }),
      (e: unknown) => e instanceof ItemError && /truncated/.test(e.message),
    );
    // The decoder on its own (without the header probe) notices too.
    assert.throws(
      () => decodeJpegScaled(part, 1),
      (e: unknown) => e instanceof ItemError && /truncated|ends early/.test(e.message),
    );
  }
});

test('corrupt JPEGs give an ItemError with a reason, never another exception', () => {
  const buf = syntheticJpeg(320, 240, 11);
  // A Huffman table whose counts overrun its segment.
  const dht = buf.indexOf(Buffer.from([0xff, 0xc4]));
  const badTable = Buffer.from(buf);
  badTable.fill(0xff, dht + 5, dht + 21);
  assert.throws(
    () => decodeImage(badTable, 'bad.jpg', { minSize: 32 }),
    (e: unknown) => e instanceof ItemError && /corrupt JPEG/.test(e.message),
  );
  // Random bytes in the entropy-coded data: either decodes at the right size or is refused with an ItemError.
  const sos = buf.indexOf(Buffer.from([0xff, 0xda]));
  for (let seed = 1; seed <= 20; seed++) {
    const bad = Buffer.from(buf);
    for (let k = 0; k < 8; k++) bad[sos + 20 + ((seed * 7919 * (k + 1)) % (bad.length - sos - 30))] = (seed * 31 + k * 17) & 0xfe;
    try {
      const img = decodeImage(bad, 'bad.jpg', { minSize: 32 });
      assert.deepEqual([img.width, img.height], [80, 60]); // 1/8 would give 30 rows < 32
    } catch (e) {
      assert.ok(e instanceof ItemError, `seed ${seed}: ${String(e)}`);
    }
  }
});

/** The entropy-coded data of each scan of a JPEG: [start, end) after its header, and the scan's spectral band. */
function scans(buf: Uint8Array): { start: number; end: number; ss: number; se: number }[] {
  const out: { start: number; end: number; ss: number; se: number }[] = [];
  for (let p = 2; p + 4 <= buf.length && buf[p + 1] !== 0xd9;) {
    const end = p + 2 + ((buf[p + 2] << 8) | buf[p + 3]);
    if (buf[p + 1] !== 0xda) {
      p = end;
      continue;
    }
    const ns = buf[p + 4];
    let q = end;
    while (!(buf[q] === 0xff && buf[q + 1] !== 0 && (buf[q + 1] < 0xd0 || buf[q + 1] > 0xd7))) q++;
    out.push({ start: end, end: q, ss: buf[p + 5 + ns * 2], se: buf[p + 6 + ns * 2] });
    p = q;
  }
  return out;
}

test('progressive JPEGs at 1/8: the scans of coefficients the scaled IDCT never reads are stepped over, not decoded', () => {
  for (const f of ['gray-progressive.jpg', 'progressive-420.jpg', 'progressive-444-restart.jpg']) {
    const buf = fs.readFileSync(path.join(FIXTURES, f));
    const ac = scans(buf).filter((s) => s.ss > 0);
    assert.ok(ac.length >= 2, `${f} has AC scans`);
    // Every AC scan's data made undecodable (all one-bits, stuffed: no valid Huffman code is all ones).
    const bad = Buffer.from(buf);
    for (const s of ac) for (let i = s.start; i + 1 < s.end; i += 2) bad.set([0xff, 0x00], i);
    assert.throws(() => decodeJpegScaled(bad, 4), ItemError, `${f}: the damage is seen where the AC scans are needed`);
    const gray = f.startsWith('gray');
    if (gray || f.includes('444')) {
      // Every component keeps its DC coefficient alone at 1/8: no AC scan is read, the pixels are those of the intact file.
      assert.deepEqual(decodeJpegScaled(bad, 1)?.data, decodeJpegScaled(buf, 1)?.data, f);
    } else {
      // 4:2:0: chroma keeps 2×2 coefficients at 1/8, so only the luma AC scans may be skipped.
      const lumaOnly = Buffer.from(buf);
      const lumaId = buf[buf.indexOf(Buffer.from([0xff, 0xc2])) + 10];
      const sosOf = (s: { start: number }) => buf.lastIndexOf(Buffer.from([0xff, 0xda]), s.start);
      for (const s of ac.filter((x) => buf[sosOf(x) + 5] === lumaId))
        for (let i = s.start; i + 1 < s.end; i += 2) lumaOnly.set([0xff, 0x00], i);
      assert.deepEqual(decodeJpegScaled(lumaOnly, 1)?.data, decodeJpegScaled(buf, 1)?.data, f);
    }
  }
});

/**
 * The first 16 hex digits of the SHA-256 of decodeJpegScaled's pixels for each fixture at 1/8, 1/4 and 1/2, as
 * session 7's decoder produced them (its Huffman decoding bit by bit and 9-bit tables; the code is kept as
 * research/speed/jpegScaledS7.ts, whose jpegSpeed.ts compares the two on any file). The table-driven decoder must give
 * the same bytes: the entropy decoding changed, not the arithmetic.
 */
const SESSION7: Record<string, [string, string, string]> = {
  'adobe-rgb.jpg': ['c409546e5ba7e3ec', '27aacacad980c8e7', 'b12c3ac6b25b340d'],
  'baseline-420.jpg': ['ca7a43d58fdd5cbe', 'efc8b607f2702386', 'b5e2804eebd22edf'],
  'baseline-420-3scans.jpg': ['ca7a43d58fdd5cbe', 'efc8b607f2702386', 'b5e2804eebd22edf'],
  'baseline-422-restart.jpg': ['24a0d304590da1fd', 'c4f5bd5568efc08d', '38d81f1b18ec2357'],
  'baseline-440.jpg': ['32b04517a97a2cfa', 'a04e0eff02c377a9', '354196efac522770'],
  'baseline-444-restart3.jpg': ['44eda044e09e96e0', '8c5e24fd3d3b5232', '18369cdf08c5d016'],
  'gray-progressive.jpg': ['46e231c9bb67905b', '4c991f74b5cf4a9e', '54a8a4ef209f1728'],
  'gray-restart.jpg': ['46e231c9bb67905b', '4c991f74b5cf4a9e', '54a8a4ef209f1728'],
  'gray.jpg': ['46e231c9bb67905b', '4c991f74b5cf4a9e', '54a8a4ef209f1728'],
  'progressive-420-restart.jpg': ['ca7a43d58fdd5cbe', 'efc8b607f2702386', 'b5e2804eebd22edf'],
  'progressive-420.jpg': ['ca7a43d58fdd5cbe', 'efc8b607f2702386', 'b5e2804eebd22edf'],
  'progressive-444-restart.jpg': ['44eda044e09e96e0', '8c5e24fd3d3b5232', '18369cdf08c5d016'],
};

test("the table-driven decoder's pixels are bit-identical to session 7's on every fixture (1/8, 1/4, 1/2)", () => {
  assert.deepEqual([...KINDS].sort(), Object.keys(SESSION7).sort(), 'every fixture has its reference');
  // What the fixtures exercise: restart intervals (DRI), byte stuffing (0xFF00 in the scans), progressive frames.
  const bufs = KINDS.map((f) => fs.readFileSync(path.join(FIXTURES, f)));
  const has = (b: Buffer, bytes: number[]) => b.indexOf(Buffer.from(bytes)) >= 0;
  assert.ok(bufs.filter((b) => has(b, [0xff, 0xdd])).length >= 4, 'restart intervals');
  assert.ok(bufs.filter((b) => has(b, [0xff, 0xdd]) && has(b, [0xff, 0xc2])).length >= 2, 'progressive with restarts');
  assert.ok(
    bufs.every((b) => has(b.subarray(b.indexOf(Buffer.from([0xff, 0xda]))), [0xff, 0x00])),
    'stuffed bytes in the scans',
  );
  for (const [i, f] of KINDS.entries()) {
    for (const [j, n] of ([1, 2, 4] as const).entries()) {
      const img = decodeJpegScaled(bufs[i], n);
      assert.ok(img, `${f} at ${n}/8`);
      const h = createHash('sha256').update(img.data).digest('hex').slice(0, 16);
      assert.equal(h, SESSION7[f][j], `${f} at ${n}/8`);
    }
  }
});

test('a CMYK JPEG is left to the full decoder (undefined), which still reads it', () => {
  const buf = fs.readFileSync(path.join(FIXTURES, 'unsupported', 'cmyk.jpg'));
  assert.equal(decodeJpegScaled(buf, 1), undefined);
  const img = decodeImage(buf, 'cmyk.jpg', { minSize: 16 });
  assert.deepEqual([img.width, img.height, img.channels], [131, 97, 3]);
});

test('frame headers the fuzzing found: a sampling factor of 3 and a 0-high frame are left to jpeg-js, a 0-wide one is an ItemError', () => {
  const buf = fs.readFileSync(path.join(FIXTURES, 'baseline-420.jpg'));
  const sof = buf.indexOf(Buffer.from([0xff, 0xc0]));
  const withBytes = (at: number, bytes: number[]) => {
    const b = Buffer.from(buf);
    b.set(bytes, sof + at);
    return b;
  };
  // Luma sampled 3×1 against 1×1 chroma: chroma blocks would need a 3/8-point IDCT (it used to throw a TypeError).
  const triple = withBytes(11, [0x31]);
  assert.equal(buf[sof + 11], 0x22, 'the first component’s sampling byte');
  for (const n of [1, 2, 4] as const) assert.equal(decodeJpegScaled(triple, n), undefined, `at ${n}/8`);
  // 0 pixels wide (it used to decode to a 0×N image): refused by both decoders.
  for (const n of [1, 2, 4] as const) assert.throws(() => decodeJpegScaled(withBytes(7, [0, 0]), n), ItemError);
  assert.throws(() => decodeImage(withBytes(7, [0, 0]), 'wide0.jpg', { minSize: 8 }), ItemError);
  // 0 rows: the height comes in a DNL marker after the first scan, which this decoder leaves to jpeg-js.
  assert.equal(decodeJpegScaled(withBytes(5, [0, 0]), 1), undefined);
});

test('jpeg-js agrees: its full decode box-downscaled is within 2.5 levels of the shrunk decode on the fixtures it reads', () => {
  // Where jpeg-js itself goes wrong (checked below, so the list stays true): it converts the Adobe file's RGB as
  // if it were YCbCr, and refuses a progressive file with restart markers in the middle of a row.
  const JPEGJS_WRONG: Record<string, 'colours' | 'throws'> = { 'adobe-rgb.jpg': 'colours', 'progressive-420-restart.jpg': 'throws' };
  for (const f of KINDS) {
    const buf = fs.readFileSync(path.join(FIXTURES, f));
    if (JPEGJS_WRONG[f] === 'throws') {
      assert.throws(() => jpeg.decode(buf, { useTArray: true, formatAsRGBA: false }), f);
      continue;
    }
    const full = jpeg.decode(buf, { useTArray: true, formatAsRGBA: false });
    for (const n of [1, 2, 4] as const) {
      const s = decodeJpegScaled(buf, n);
      assert.ok(s, `${f} at ${n}/8`);
      const mae = maeAgainstBox(s, { ...full, channels: 3 }, 8 / n);
      if (JPEGJS_WRONG[f] === 'colours') assert.ok(mae > 20, `${f}: jpeg-js still misreads it (${mae.toFixed(1)})`);
      else assert.ok(mae < 2.5, `${f} at ${n}/8: mean abs difference to jpeg-js ${mae.toFixed(2)}`);
    }
  }
});
