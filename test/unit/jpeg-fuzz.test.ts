/**
 * Fuzzing the shrinking JPEG decoder (src/core/modalities/image/jpegScaled.ts) on the committed fixtures
 * (test/fixtures/jpeg: baseline, progressive, 4:2:0/4:2:2/4:4:0/4:4:4, gray, Adobe RGB, restart intervals), mutated
 * and truncated — 12,000+ cases in all:
 *
 *  - every truncation of a file fails with an ItemError (its end-of-image marker is gone), never another exception;
 *  - damage inside the entropy-coded data only (random bytes, stuffed 0xFF00 and RSTn markers inserted or deleted,
 *    runs of 0xFF, bits flipped) gives either the image at the size its headers promise or an ItemError;
 *  - damage anywhere (headers included: Huffman counts, sampling factors, sizes) gives a consistent image, undefined
 *    (a JPEG the decoder leaves to jpeg-js), or an ItemError.
 *
 * No hang: every case is timed and must finish under CASE_LIMIT_MS (decoding is bounded by the MCU count the headers
 * give, so a damaged size is the only way to make it slow: the cases keep sizes small).
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import fc from 'fast-check';
import { fuzzParams } from './fuzzSeed';
import { ItemError, decodeImage } from '../../src/core/modalities/image/decode';
import { decodeJpegScaled } from '../../src/core/modalities/image/jpegScaled';

const FIXTURES = path.join(__dirname, '..', 'fixtures', 'jpeg');
const FILES = fs
  .readdirSync(FIXTURES)
  .filter((f) => f.endsWith('.jpg'))
  .sort()
  .map((f) => ({ name: f, buf: fs.readFileSync(path.join(FIXTURES, f)) }));
const SCALES = [1, 2, 4] as const;
const CASE_LIMIT_MS = 2_000;
let slowest = 0;

/** The decoder's answer: an image, undefined, or an ItemError (anything else is rethrown and fails the case). */
function run(buf: Uint8Array, n: 1 | 2 | 4): ReturnType<typeof decodeJpegScaled> | ItemError {
  const t0 = performance.now();
  try {
    const img = decodeJpegScaled(buf, n);
    if (img) {
      assert.ok(img.width > 0 && img.height > 0, 'a positive size');
      assert.ok(img.channels === 1 || img.channels === 3, 'gray or RGB');
      assert.equal(img.data.length, img.width * img.height * img.channels);
    }
    return img;
  } catch (e) {
    if (!(e instanceof ItemError)) throw e;
    assert.ok(e.reason.length > 0, 'an ItemError says why');
    return e;
  } finally {
    const ms = performance.now() - t0;
    slowest = Math.max(slowest, ms);
    assert.ok(ms < CASE_LIMIT_MS, `a case took ${ms.toFixed(0)} ms`);
  }
}

/** [start, end) of each scan's entropy-coded data (after its SOS header, up to the next marker other than RSTn). */
function scanData(buf: Uint8Array): [number, number][] {
  const out: [number, number][] = [];
  for (let p = 2; p + 4 <= buf.length && buf[p + 1] !== 0xd9;) {
    const end = p + 2 + ((buf[p + 2] << 8) | buf[p + 3]);
    if (buf[p + 1] !== 0xda) {
      p = end;
      continue;
    }
    let q = end;
    while (!(buf[q] === 0xff && buf[q + 1] !== 0 && (buf[q + 1] < 0xd0 || buf[q + 1] > 0xd7))) q++;
    out.push([end, q]);
    p = q;
  }
  return out;
}
const SCANS = FILES.map((f) => scanData(f.buf));

test('the fixtures decode at every scale (the seeds of the fuzzing)', () => {
  assert.ok(FILES.length >= 11);
  for (const [i, f] of FILES.entries()) {
    assert.ok(SCANS[i].length >= 1, f.name);
    for (const n of SCALES) assert.ok(run(f.buf, n) && !(run(f.buf, n) instanceof ItemError), `${f.name} at ${n}/8`);
  }
});

test('every truncated fixture is refused with an ItemError (about 2,200 cuts)', () => {
  let cases = 0;
  for (const f of FILES) {
    const step = Math.max(1, Math.floor(f.buf.length / 200));
    for (let cut = 0; cut < f.buf.length; cut += step) {
      const r = run(f.buf.subarray(0, cut), SCALES[cases % 3]);
      assert.ok(r instanceof ItemError, `${f.name} cut at ${cut}: ${r ? 'decoded' : 'undefined'}`);
      cases++;
    }
    // The last bytes too: cut inside or right before the end-of-image marker.
    for (const cut of [f.buf.length - 1, f.buf.length - 2])
      assert.ok(run(f.buf.subarray(0, cut), 1) instanceof ItemError, `${f.name} cut at ${cut}`);
  }
  assert.ok(cases >= 2000, `${cases} cuts`);
});

/** A damage to the entropy-coded data of one scan, at a fraction of its length. */
const dataDamage = fc.record({
  scan: fc.nat(),
  at: fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }),
  op: fc.constantFrom('byte', 'flip', 'rst', 'ff00', 'ffff', 'delete', 'insert'),
  byte: fc.integer({ min: 0, max: 255 }),
  n: fc.integer({ min: 1, max: 12 }),
});
type DataDamage = typeof dataDamage extends fc.Arbitrary<infer D> ? D : never;

function damageData(src: Buffer, scans: [number, number][], ds: DataDamage[]): Buffer {
  let b = Buffer.from(src);
  // Damages from the last position to the first, so the positions of the ones still to apply do not move.
  const at = ds
    .map((d) => {
      const [s, e] = scans[d.scan % scans.length];
      return { ...d, pos: s + Math.floor(d.at * Math.max(1, e - s)) };
    })
    .sort((x, y) => y.pos - x.pos);
  for (const d of at) {
    const p = d.pos;
    const splice = (del: number, ins: number[]) => (b = Buffer.concat([b.subarray(0, p), Buffer.from(ins), b.subarray(p + del)]));
    if (d.op === 'byte')
      b[p] = d.byte === 0xff ? 0xfe : d.byte; // a lone 0xFF would be a marker: 'ffff' and 'rst' make those
    else if (d.op === 'flip') b[p] ^= 1 << (d.byte & 7) || 1;
    else if (d.op === 'rst') splice(0, [0xff, 0xd0 + (d.byte & 7)]);
    else if (d.op === 'ff00') splice(0, [0xff, 0x00]);
    else if (d.op === 'ffff') splice(0, Array.from({ length: d.n }, () => 0xff).concat([0x00]));
    else if (d.op === 'delete') splice(Math.min(d.n, Math.max(0, b.length - p - 2)), []);
    else
      splice(
        0,
        Array.from({ length: d.n }, (_, i) => (d.byte + i * 37) & 0xfe),
      );
  }
  return b;
}

test('damaged entropy-coded data: the image at its promised size or an ItemError (5,000 cases)', () => {
  let decoded = 0;
  fc.assert(
    fc.property(fc.nat(FILES.length - 1), fc.constantFrom(...SCALES), fc.array(dataDamage, { minLength: 1, maxLength: 4 }), (i, n, ds) => {
      const f = FILES[i];
      const bad = damageData(f.buf, SCANS[i], ds);
      const r = run(bad, n);
      assert.ok(r !== undefined, 'the headers are intact: the decoder takes the file');
      if (r instanceof ItemError) return;
      const want = run(f.buf, n) as NonNullable<ReturnType<typeof decodeJpegScaled>>;
      assert.deepEqual([r.width, r.height, r.channels], [want.width, want.height, want.channels]);
      decoded++;
    }),
    fuzzParams(5_000),
  );
  // Both outcomes occur: damage the decoder cannot see (a flipped bit in a coefficient) and damage it refuses.
  assert.ok(decoded > 100 && decoded < 4_900, `${decoded} of 5,000 decoded`);
});

/** Byte-level mutations anywhere in the file: overwrite, insert, delete, truncate. */
const anyDamage = fc.oneof(
  fc.record({ op: fc.constant('set' as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ op: fc.constant('insert' as const), at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }) }),
  fc.record({ op: fc.constant('delete' as const), at: fc.nat(), n: fc.integer({ min: 1, max: 16 }) }),
  fc.record({ op: fc.constant('truncate' as const), at: fc.nat() }),
);
type AnyDamage = typeof anyDamage extends fc.Arbitrary<infer M> ? M : never;

/** Mutations biased to the headers (the first ~700 bytes hold the tables and the frame) half of the time. */
function mutate(src: Buffer, ms: AnyDamage[], headers: boolean): Buffer {
  let b = Buffer.from(src);
  for (const m of ms) {
    const at = b.length ? m.at % (headers ? Math.min(b.length, 700) : b.length) : 0;
    if (m.op === 'set' && b.length) b[at] = m.byte;
    else if (m.op === 'insert') b = Buffer.concat([b.subarray(0, at), Buffer.from(m.bytes), b.subarray(at)]);
    else if (m.op === 'delete') b = Buffer.concat([b.subarray(0, at), b.subarray(at + m.n)]);
    else if (m.op === 'truncate') b = b.subarray(0, at);
  }
  return b;
}

test('damage anywhere, headers included: an image, undefined or an ItemError; decodeImage agrees (5,000 cases)', () => {
  fc.assert(
    fc.property(
      fc.nat(FILES.length - 1),
      fc.constantFrom(...SCALES),
      fc.boolean(),
      fc.array(anyDamage, { minLength: 1, maxLength: 4 }),
      (i, n, headers, ms) => {
        const bad = mutate(FILES[i].buf, ms, headers);
        const r = run(bad, n);
        if (r && !(r instanceof ItemError)) {
          // A frame size from damaged headers can be anything, but the output is the promised fraction of it.
          assert.ok(r.width <= 65535 && r.height <= 65535);
        }
        // Through decodeImage (its header probe first, then this decoder or jpeg-js), as the decodeImages job calls it.
        if (i % 4 === 0) {
          const t0 = performance.now();
          try {
            const img = decodeImage(bad, 'fuzz.jpg', { minSize: 8 });
            assert.equal(img.data.length, img.width * img.height * img.channels);
          } catch (e) {
            if (!(e instanceof ItemError)) throw e;
            assert.equal(e.item, 'fuzz.jpg');
          }
          assert.ok(performance.now() - t0 < CASE_LIMIT_MS, 'decodeImage in time');
        }
      },
    ),
    fuzzParams(5_000),
  );
  assert.ok(slowest < CASE_LIMIT_MS, `slowest case ${slowest.toFixed(0)} ms`);
});
