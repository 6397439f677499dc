import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { ItemError, decodeImage, probeImage } from '../../src/core/modalities/image/decode';
import { scanWorkspace } from '../../src/core/dataset/scan';

/** A BMP writer for the tests (BITMAPINFOHEADER): rgb is row-major top-down RGB; bpp 24, 32 or 8 (palette). */
function bmp(width: number, height: number, rgb: number[], bpp: 8 | 24 | 32, topDown = false): Buffer {
  const palette: number[] = [];
  const index: number[] = [];
  if (bpp === 8) {
    const seen = new Map<string, number>();
    for (let i = 0; i < width * height; i++) {
      const key = rgb.slice(i * 3, i * 3 + 3).join();
      if (!seen.has(key)) {
        seen.set(key, palette.length / 3);
        palette.push(...rgb.slice(i * 3, i * 3 + 3));
      }
      index.push(seen.get(key) as number);
    }
  }
  const colors = palette.length / 3;
  const stride = Math.ceil((width * bpp) / 32) * 4;
  const offset = 54 + colors * 4;
  const b = Buffer.alloc(offset + stride * height);
  b.write('BM', 0, 'latin1');
  b.writeUInt32LE(b.length, 2);
  b.writeUInt32LE(offset, 10);
  b.writeUInt32LE(40, 14);
  b.writeInt32LE(width, 18);
  b.writeInt32LE(topDown ? -height : height, 22);
  b.writeUInt16LE(1, 26);
  b.writeUInt16LE(bpp, 28);
  b.writeUInt32LE(colors, 46);
  for (let c = 0; c < colors; c++) b.set([palette[c * 3 + 2], palette[c * 3 + 1], palette[c * 3]], 54 + c * 4);
  for (let y = 0; y < height; y++) {
    const row = offset + (topDown ? y : height - 1 - y) * stride;
    for (let x = 0; x < width; x++) {
      const i = y * width + x;
      if (bpp === 8) b[row + x] = index[i];
      else b.set([rgb[i * 3 + 2], rgb[i * 3 + 1], rgb[i * 3]], row + x * (bpp / 8));
    }
  }
  return b;
}

const W = 5;
const H = 3;
const RGB = Array.from({ length: W * H * 3 }, (_, i) => (i * 37 + 11) % 256);

test('BMPs decode to their pixels: 24-bit bottom-up, 32-bit top-down, 8-bit palette (odd widths, padded rows)', () => {
  for (const [bpp, topDown] of [
    [24, false],
    [32, true],
    [8, false],
  ] as const) {
    const buf = bmp(W, H, RGB, bpp, topDown);
    assert.deepEqual(probeImage(buf), { format: 'bmp', width: W, height: H, channels: 3 });
    const img = decodeImage(buf, 'x.bmp');
    assert.deepEqual([img.width, img.height, img.channels], [W, H, 3]);
    assert.deepEqual([...img.data], RGB, `${bpp}-bit ${topDown ? 'top-down' : 'bottom-up'}`);
  }
});

test('truncated and compressed BMPs are refused with a reason', () => {
  const buf = bmp(W, H, RGB, 24);
  assert.throws(
    () => decodeImage(buf.subarray(0, buf.length - 4), 'cut.bmp'),
    (e: unknown) => e instanceof ItemError && /truncated BMP/.test(e.message),
  );
  const rle = Buffer.from(bmp(W, H, RGB, 8));
  rle.writeUInt32LE(1, 30);
  assert.throws(
    () => decodeImage(rle, 'rle.bmp'),
    (e: unknown) => e instanceof ItemError && /RLE/.test(e.message),
  );
});

test('the scan reads BMPs and lists GIF, WebP, TIFF and HEIC files as skipped with the reason', async (t) => {
  const root = await fs.mkdtemp(path.join(os.tmpdir(), 'selflabel-formats-'));
  t.after(() => fs.rm(root, { recursive: true, force: true }));
  await fs.writeFile(path.join(root, 'a.bmp'), bmp(W, H, RGB, 24));
  await fs.writeFile(path.join(root, 'b.gif'), Buffer.from('GIF89a\x05\x00\x03\x00\x00\x00\x00;', 'latin1'));
  await fs.writeFile(path.join(root, 'c.webp'), Buffer.from('RIFF\x10\x00\x00\x00WEBPVP8 ', 'latin1'));
  await fs.writeFile(path.join(root, 'd.tif'), Buffer.from('II*\x00\x08\x00\x00\x00', 'latin1'));
  await fs.writeFile(path.join(root, 'e.heic'), Buffer.from('\x00\x00\x00\x18ftypheic', 'latin1'));
  const res = await scanWorkspace(root);
  assert.deepEqual(
    res.items.map((i) => [i.id, i.width, i.height]),
    [['a.bmp', W, H]],
  );
  const reasons = Object.fromEntries(res.skipped.map((s) => [s.path, s.reason]));
  assert.match(reasons['b.gif'], /GIF images are not supported/);
  assert.match(reasons['c.webp'], /WebP images are not supported/);
  assert.match(reasons['d.tif'], /TIFF images are not supported/);
  assert.match(reasons['e.heic'], /HEIC\/AVIF images are not supported/);
});
