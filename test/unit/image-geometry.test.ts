/**
 * The image input geometry (src/core/modalities/image/geometry.ts: side and channels from the data and a pixel
 * budget), the letterbox of ./decode.ts (aspect kept, pad colour, alpha), and the hand-crafted features of
 * ./features.ts (HOG, colour histograms).
 */
import { test, describe } from 'node:test';
import * as assert from 'node:assert/strict';
import {
  inputGeometry,
  pretrainSide,
  AUTO_MAX_SIDE,
  AUTO_PIXEL_BUDGET,
  AUTO_LARGE_POOL_SIDE,
} from '../../src/core/modalities/image/geometry';
import { shrinkImages, toNetworkSide } from '../../src/core/modalities/image/shrink';
import { toUint8, type DecodedImage } from '../../src/core/dataset';
import { hogFeatures, colourHistogram } from '../../src/core/modalities/image/features';

const items = (n: number, width: number, height = width, channels = 1) => Array.from({ length: n }, () => ({ width, height, channels }));

describe('inputGeometry', () => {
  test('the median longer side: 28 px digits stay 28, 48 px icons 48, large photos at most 64', () => {
    assert.deepEqual(inputGeometry(items(100, 28)), { size: 28, channels: 1 });
    assert.deepEqual(inputGeometry(items(884, 48, 48, 4)), { size: 48, channels: 3 });
    assert.deepEqual(inputGeometry(items(500, 640, 480, 3)), { size: AUTO_MAX_SIDE, channels: 3 });
    // The longer side counts: 30×60 images are 60, not 30.
    assert.equal(inputGeometry(items(10, 30, 60)).size, 60);
    // Tiny images are not taken under 8 px; items without a known size fall back to 32.
    assert.equal(inputGeometry(items(10, 4)).size, 8);
    assert.equal(inputGeometry([{}, {}]).size, 32);
    // The median, not the mean or the largest.
    assert.equal(inputGeometry([...items(6, 16), ...items(5, 200)]).size, 16);
  });

  test('large pools get a smaller side (in steps of 8), never under 32: the pixel budget', () => {
    const at = (n: number) => inputGeometry(items(n, 500, 400, 3)).size;
    assert.equal(at(15_000), 64);
    assert.equal(at(30_000), 40);
    assert.equal(at(60_000), AUTO_LARGE_POOL_SIDE);
    assert.equal(at(500_000), AUTO_LARGE_POOL_SIDE);
    for (const n of [1_000, 15_000, 20_000, 30_000, 60_000])
      assert.ok(n * at(n) ** 2 <= AUTO_PIXEL_BUDGET || at(n) === AUTO_LARGE_POOL_SIDE);
    // Small images are not enlarged to the cap.
    assert.equal(inputGeometry(items(60_000, 28)).size, 28);
  });

  test('colour when any image has colour (RGB or RGBA); the settings override both', () => {
    assert.equal(inputGeometry([...items(9, 32), ...items(1, 32, 32, 3)]).channels, 3);
    assert.equal(inputGeometry(items(3, 32, 32, 4)).channels, 3);
    assert.deepEqual(inputGeometry(items(884, 48, 48, 4), 32, 1), { size: 32, channels: 1 });
    assert.deepEqual(inputGeometry(items(10, 28), 'auto', 3), { size: 28, channels: 3 });
    assert.deepEqual(inputGeometry(items(10, 28), 96, 'auto'), { size: 96, channels: 1 });
  });
});

describe('pretrainSide: the side the encoder pretrains at', () => {
  test("halved while the pool's values are over the budget, never under 32 nor from an odd side", () => {
    // MNIST (60,000 × 28²), the icons (884 × 64² × 3) and grayscale 64 px pools keep their side.
    assert.equal(pretrainSide(60_000, 28, 1), 28);
    assert.equal(pretrainSide(884, 64, 3), 64);
    assert.equal(pretrainSide(10_000, 64, 1), 64);
    // The Papirus folder (9,239 × 64² × 3 = 113 M values) pretrains at 32; just over the budget halves too.
    assert.equal(pretrainSide(9_239, 64, 3), 32);
    assert.equal(pretrainSide(Math.floor(AUTO_PIXEL_BUDGET / (64 * 64 * 3)), 64, 3), 64);
    assert.equal(pretrainSide(Math.floor(AUTO_PIXEL_BUDGET / (64 * 64 * 3)) + 1, 64, 3), 32);
    // 96 px at 20,000: 96 → 48, not 24 (under the floor); 128 px can halve twice.
    assert.equal(pretrainSide(20_000, 96, 3), 48);
    assert.equal(pretrainSide(20_000, 128, 3), 32);
    // Already at the floor, or an odd side: unchanged.
    assert.equal(pretrainSide(500_000, AUTO_LARGE_POOL_SIDE, 3), AUTO_LARGE_POOL_SIDE);
    assert.equal(pretrainSide(500_000, 63, 3), 63);
    for (const [n, size, ch] of [
      [9_239, 64, 3],
      [20_000, 128, 3],
      [100, 64, 3],
    ] as const) {
      const side = pretrainSide(n, size, ch);
      assert.equal(size % side, 0, 'the side divides the decoded one');
      assert.ok(n * side * side * ch <= AUTO_PIXEL_BUDGET || side / 2 < AUTO_LARGE_POOL_SIDE);
    }
  });
});

describe('shrinkImages', () => {
  test('each output pixel is the rounded mean of its block, per channel and per image', () => {
    // Two 4×4 RGB images → 2×2.
    const n = 2;
    const px = new Uint8Array(n * 4 * 4 * 3);
    for (let i = 0; i < n; i++)
      for (let y = 0; y < 4; y++)
        for (let x = 0; x < 4; x++)
          for (let c = 0; c < 3; c++) px[((i * 4 + y) * 4 + x) * 3 + c] = (i * 50 + y * 16 + x * 4 + c * 60) % 256;
    const out = shrinkImages({ pixels: px, n, size: 4, channels: 3 }, 2);
    assert.equal(out.size, 2);
    assert.equal(out.pixels.length, n * 2 * 2 * 3);
    for (let i = 0; i < n; i++)
      for (let by = 0; by < 2; by++)
        for (let bx = 0; bx < 2; bx++)
          for (let c = 0; c < 3; c++) {
            let s = 0;
            for (const [dy, dx] of [
              [0, 0],
              [0, 1],
              [1, 0],
              [1, 1],
            ])
              s += px[((i * 4 + by * 2 + dy) * 4 + bx * 2 + dx) * 3 + c];
            assert.equal(out.pixels[((i * 2 + by) * 2 + bx) * 3 + c], Math.round(s / 4), `image ${i} block ${by},${bx} channel ${c}`);
          }
    // By 4: one pixel, the mean of all 16.
    const one = shrinkImages({ pixels: Uint8Array.from({ length: 16 }, (_, k) => k * 10), n: 1, size: 4, channels: 1 }, 1);
    assert.deepEqual(Array.from(one.pixels), [75]);
  });

  test("its own side is the same object; a side that does not divide is refused; a network's side is followed", () => {
    const g = { pixels: new Uint8Array(6 * 6), n: 1, size: 6, channels: 1 as const };
    assert.equal(shrinkImages(g, 6), g);
    assert.throws(() => shrinkImages(g, 4), /must divide 6/);
    assert.equal(toNetworkSide(g, [null, 3, 3, 1]).size, 3);
    // Other channels, a larger side or one that does not divide: left for the caller's check.
    assert.equal(toNetworkSide(g, [null, 3, 3, 3]), g);
    assert.equal(toNetworkSide(g, [null, 12, 12, 1]), g);
    assert.equal(toNetworkSide(g, [null, 4, 4, 1]), g);
  });
});

describe('letterbox', () => {
  test('a wide image keeps its aspect: scaled to the side, centred, padded with its border colour', () => {
    // 4×2 gray, border 10 (every pixel of a 2-row image is on the border), inside 10 too: a uniform bar.
    const bar: DecodedImage = { width: 4, height: 2, channels: 1, data: new Uint8Array(8).fill(200) };
    bar.data[0] = 0; // one dark border pixel: pad = mean of the border = (7·200 + 0)/8 = 175
    const out = toUint8(bar, 4, 1);
    // The image becomes 4×2 in rows 1–2; rows 0 and 3 are the pad.
    assert.deepEqual(Array.from(out.subarray(0, 4)), [175, 175, 175, 175]);
    assert.deepEqual(Array.from(out.subarray(12, 16)), [175, 175, 175, 175]);
    assert.deepEqual(Array.from(out.subarray(4, 12)), [0, 200, 200, 200, 200, 200, 200, 200]);
    // Stretching would have filled every row with the image: the middle rows are not the pad.
    const tall: DecodedImage = { width: 1, height: 4, channels: 1, data: Uint8Array.from([0, 0, 0, 0]) };
    const t = toUint8(tall, 4, 1);
    // 1×4 → 1×4 column (tw = round(1·4/4) = 1) at x = 1, the rest the border mean 0: all zero, and no NaN.
    assert.deepEqual(Array.from(t), new Array(16).fill(0));
  });

  test('a tall white-on-black glyph is padded with black, and shrinks by area', () => {
    // 4×8: a white bar in columns 1–2, rows 1–6, on black (the border is black). Scaled to 4: 2×4 at x = 1.
    const data = new Uint8Array(32);
    for (let y = 1; y < 7; y++) data[y * 4 + 1] = data[y * 4 + 2] = 255;
    const out = toUint8({ width: 4, height: 8, channels: 1, data }, 4, 1);
    for (let y = 0; y < 4; y++) assert.deepEqual([out[y * 4], out[y * 4 + 3]], [0, 0], `row ${y}: the pad`);
    // Each output pixel averages a 2×2 source block: half white at the ends of the bar, half in the middle rows.
    assert.deepEqual(
      [1, 5, 9, 13].map((i) => out[i]),
      [64, 128, 128, 64],
    );
  });

  test('an image with alpha: transparent pixels and the pad are both white', () => {
    // 2×1 RGBA: a transparent red pixel and an opaque blue one.
    const img: DecodedImage = { width: 2, height: 1, channels: 4, data: Uint8Array.from([255, 0, 0, 0, 0, 0, 255, 255]) };
    const out = toUint8(img, 2, 3);
    // 2×1 → 2×2: the image in row 0 (offset ⌊(2 − 1)/2⌋ = 0), the pad in row 1.
    assert.deepEqual(Array.from(out), [255, 255, 255, 0, 0, 255, 255, 255, 255, 255, 255, 255]);
    // Half transparent: composited half way to white.
    const half: DecodedImage = { width: 1, height: 1, channels: 4, data: Uint8Array.from([0, 0, 0, 128]) };
    assert.deepEqual(Array.from(toUint8(half, 1, 1)), [Math.round(255 * (1 - 128 / 255))]);
  });

  test('square images are resized as before (no pad)', () => {
    const g = Uint8Array.from([0, 10, 100, 110, 20, 30, 120, 130, 200, 210, 40, 50, 220, 230, 60, 70]);
    assert.deepEqual(Array.from(toUint8({ width: 4, height: 4, channels: 1, data: g }, 2, 1)), [15, 115, 215, 55]);
  });
});

describe('hand-crafted features', () => {
  const stripes = (size: number, vertical: boolean) => {
    const px = new Uint8Array(size * size);
    for (let y = 0; y < size; y++) for (let x = 0; x < size; x++) px[y * size + x] = ((vertical ? x : y) >> 1) % 2 ? 255 : 0;
    return px;
  };

  test('HOG: its length, unit blocks, and vertical vs horizontal edges in different orientation bins', () => {
    const v = hogFeatures(stripes(24, true), 24, 1);
    const h = hogFeatures(stripes(24, false), 24, 1);
    assert.equal(v.length, 5 * 5 * 4 * 9);
    // Each block is L2-normalised.
    const norm = Math.hypot(...v.subarray(0, 36));
    assert.ok(Math.abs(norm - 1) < 1e-3, `${norm}`);
    // Vertical stripes: horizontal gradients, angle 0 → bins 0 and 8 share it; horizontal stripes: angle π/2 → bin 4.
    const bin = (f: Float32Array, b: number) => f.filter((_, i) => i % 9 === b).reduce((s, x) => s + x, 0);
    assert.ok(bin(v, 0) > 5 * bin(v, 4), `${bin(v, 0)} vs ${bin(v, 4)}`);
    assert.ok(bin(h, 4) > 5 * bin(h, 0), `${bin(h, 4)} vs ${bin(h, 0)}`);
    // A flat image has no gradient: every value 0 (not NaN).
    assert.ok(hogFeatures(new Uint8Array(24 * 24).fill(90), 24, 1).every((x) => x === 0));
    // Colour: the strongest channel's gradient, so a red-only edge counts like a gray one.
    const rgb = new Uint8Array(24 * 24 * 3);
    stripes(24, true).forEach((x, p) => (rgb[p * 3] = x));
    const c = hogFeatures(rgb, 24, 3);
    assert.ok(c.every((x, i) => Math.abs(x - v[i]) < 1e-6));
    assert.throws(() => hogFeatures(new Uint8Array(10), 24, 1), /expected 24×24×1/);
  });

  test('colour histogram: shares of RGB boxes (square-rooted), gray levels', () => {
    const px = new Uint8Array(4 * 3);
    px.set([255, 0, 0], 0);
    px.set([255, 0, 0], 3);
    px.set([0, 0, 255], 6);
    px.set([250, 250, 250], 9);
    const f = colourHistogram(px, 2, 3);
    assert.equal(f.length, 64);
    assert.ok(Math.abs(f[(3 * 4 + 0) * 4 + 0] - Math.sqrt(0.5)) < 1e-6);
    assert.ok(Math.abs(f[3] - 0.5) < 1e-6);
    assert.ok(Math.abs(f[63] - 0.5) < 1e-6);
    assert.ok(Math.abs(f.reduce((s, x) => s + x * x, 0) - 1) < 1e-6);
    const g = colourHistogram(Uint8Array.from([0, 0, 0, 255]), 2, 1);
    assert.equal(g.length, 16);
    assert.ok(Math.abs(g[0] - Math.sqrt(0.75)) < 1e-6 && Math.abs(g[15] - 0.5) < 1e-6, `${g[0]} ${g[15]}`);
  });
});
