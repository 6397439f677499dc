/**
 * The image modality's pixel candidate (src/core/modalities/image/pixels.ts): the PCA of the raw pixels (default) or HOG
 * + the baseline's logistic regression, cross-validated, saved in classifier.json and used again for other folders.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import type { ImageData } from '../../src/protocol/jobs';
import { Rng } from '../../src/core/models/random';
import { argmaxRow } from '../../src/core/util/math';
import {
  decodePixelPca,
  encodePixelPca,
  fitPixelCandidate,
  fitPixelPca,
  isPixelState,
  pixelFeatures,
  pixelProbs,
  PIXEL_PCA_COMPONENTS,
  PIXEL_PROPOSAL_THRESHOLD,
  PIXEL_FEATURES,
  type PixelFeatureKind,
} from '../../src/core/modalities/image/pixels';

/**
 * n colour images of `size` px in 3 classes by their dominant colour channel (class c: channel c bright, the others
 * dim), with noise; class of image i = i % 3.
 */
function colourImages(n: number, size: number, seed: number): { data: ImageData; y: Int32Array } {
  const rng = new Rng(seed);
  const per = size * size * 3;
  const sab = new SharedArrayBuffer(n * per);
  const px = new Uint8Array(sab);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    y[i] = i % 3;
    for (let q = 0; q < size * size; q++)
      for (let ch = 0; ch < 3; ch++) {
        const base = ch === y[i] ? 170 : 60;
        px[i * per + q * 3 + ch] = Math.max(0, Math.min(255, Math.round(base + 60 * rng.normal())));
      }
  }
  return { data: { kind: 'image', pixels: sab, n, size, channels: 3 }, y };
}

/**
 * n gray images of `size` px in 3 classes by their stripes (vertical, horizontal, diagonal) at a random phase and
 * contrast, with noise: the same mean brightness in every class, so only gradients tell them apart.
 */
function stripeImages(n: number, size: number, seed: number): { data: ImageData; y: Int32Array } {
  const rng = new Rng(seed);
  const sab = new SharedArrayBuffer(n * size * size);
  const px = new Uint8Array(sab);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    y[i] = i % 3;
    const phase = rng.int(4);
    const amp = 50 + rng.int(60);
    for (let r = 0; r < size; r++)
      for (let c = 0; c < size; c++) {
        const t = y[i] === 0 ? c : y[i] === 1 ? r : r + c;
        const v = 128 + (((t + phase) >> 1) % 2 ? amp : -amp) + 20 * rng.normal();
        px[i * size * size + r * size + c] = Math.max(0, Math.min(255, Math.round(v)));
      }
  }
  return { data: { kind: 'image', pixels: sab, n, size, channels: 1 }, y };
}

test('fitPixelPca: k components of the pixels in [0, 1]; the saved PCA gives the same features', () => {
  const { data } = colourImages(90, 6, 1);
  const { pca, X } = fitPixelPca(data, 3);
  assert.equal(pca.dim, 6 * 6 * 3);
  assert.equal(pca.k, Math.min(PIXEL_PCA_COMPONENTS, 89));
  assert.equal(X.length, 90 * pca.k);
  // The mean pixel is a value in [0, 1] (bytes / 255).
  assert.ok([...pca.mean].every((m) => m >= 0 && m <= 1));
  // Features are centred: the mean of each component over the images it was fitted on is ~0.
  for (let c = 0; c < 3; c++) {
    let s = 0;
    for (let i = 0; i < 90; i++) s += X[i * pca.k + c];
    assert.ok(Math.abs(s / 90) < 1e-4, `component ${c} centred`);
  }
  const back = decodePixelPca(JSON.parse(JSON.stringify(encodePixelPca(pca, { size: 6, channels: 3 }))));
  const again = pixelFeatures(back, data);
  for (let q = 0; q < X.length; q++) assert.ok(Math.abs(again[q] - X[q]) < 1e-3, 'float32 round trip');
  // Deterministic for a seed.
  assert.deepEqual([...fitPixelPca(data, 3).X], [...X]);
});

test('fitPixelPca fits on a seeded subset of a large pool and still projects every image', () => {
  const { data } = colourImages(5100, 2, 2);
  const { pca, X } = fitPixelPca(data, 1, 4);
  assert.equal(pca.k, 4);
  assert.equal(X.length, 5100 * 4);
  assert.ok(
    X.some((v, q) => q >= 5000 * 4 && v !== 0),
    'the images past the fit limit are projected too',
  );
});

for (const [features, images] of [
  ['pca', colourImages],
  ['hog', stripeImages],
] as [PixelFeatureKind, typeof colourImages][])
  test(`fitPixelCandidate (${features}): out-of-fold score on every label, calibrated probabilities, other folders predicted alike`, async () => {
    const { data, y } = images(150, 8, 3);
    // 30 labels (10 per class); the rest is the pool to predict.
    const index = Int32Array.from({ length: 30 }, (_, i) => i);
    const train = { index, y: Int32Array.from(index, (i) => y[i]), weight: new Float32Array(30).fill(1) };
    const { state, probs } = await fitPixelCandidate(data, train, 3, 7, features);
    assert.ok(isPixelState(state));
    assert.equal(state.features, features);
    assert.equal(state.oof?.index.length, 30, 'every label scored out of fold');
    assert.ok((state.estimatedAccuracy ?? 0) >= 0.9, `these classes are easy: ${state.estimatedAccuracy}`);
    assert.ok(state.temperature > 0 && Number.isFinite(state.temperature));
    let ok = 0;
    for (let i = 30; i < 150; i++) {
      let s = 0;
      for (let c = 0; c < 3; c++) s += probs[i * 3 + c];
      assert.ok(Math.abs(s - 1) < 1e-5, 'probabilities sum to 1');
      if (argmaxRow(probs, i, 3) === y[i]) ok++;
    }
    assert.ok(ok / 120 >= 0.9, `unlabelled images right: ${ok}/120`);
    // Saved as JSON and used on another folder of the same geometry: the same probabilities for the same images.
    const saved = JSON.parse(JSON.stringify(state));
    assert.ok(isPixelState(saved));
    const other = images(20, 8, 3);
    const p2 = pixelProbs(saved, other.data);
    assert.equal(p2.length, 20 * 3);
    for (let q = 0; q < 20 * 3; q++) assert.ok(Math.abs(p2[q] - probs[q]) < 1e-3, 'same images, same probabilities');
  });

test('pixel candidate: bad input is refused with a reason', async () => {
  const { data, y } = colourImages(30, 4, 4);
  const one = { index: Int32Array.of(0), y: Int32Array.of(y[0]), weight: Float32Array.of(1) };
  await assert.rejects(fitPixelCandidate(data, one, 3, 1), /at least 2 labels/);
  const index = Int32Array.from({ length: 12 }, (_, i) => i);
  const { state } = await fitPixelCandidate(
    data,
    { index, y: Int32Array.from(index, (i) => y[i]), weight: new Float32Array(12).fill(1) },
    3,
    1,
    'pca',
  );
  // Another geometry (grey images of another size) is not silently projected.
  const grey: ImageData = { kind: 'image', pixels: new SharedArrayBuffer(5 * 16), n: 5, size: 4, channels: 1 };
  assert.throws(() => pixelProbs(state, grey), /train again/);
  // A damaged state: components cut short, weights of the wrong shape.
  const pca = state.pixelPca!;
  assert.throws(() => pixelProbs({ ...state, pixelPca: { ...pca, components: pca.mean } }, data), /train again/);
  assert.throws(() => pixelProbs({ ...state, W: state.W.slice(1) }, data), /damaged/);
  assert.equal(isPixelState({ ...state, kind: 'softmax' }), false);
  // A state saved before session 9 (no `features`) is the PCA's.
  const { features: _, ...old } = state;
  assert.ok(isPixelState(old));
  assert.deepEqual([...pixelProbs(old, data)], [...pixelProbs(state, data)]);
  // HOG: another geometry, and damaged statistics, are refused too; a HOG state without them is no pixel state.
  const hog = (
    await fitPixelCandidate(data, { index, y: Int32Array.from(index, (i) => y[i]), weight: new Float32Array(12).fill(1) }, 3, 1, 'hog')
  ).state;
  assert.throws(() => pixelProbs(hog, grey), /train again/);
  assert.throws(() => pixelProbs({ ...hog, hog: { ...hog.hog!, sd: hog.hog!.sd.slice(8) } }, data), /train again/);
  assert.equal(isPixelState({ ...hog, hog: undefined }), false);
  // Without a `features` argument the product's default is fitted (HOG since session 10).
  const plain = await fitPixelCandidate(
    data,
    { index, y: Int32Array.from(index, (i) => y[i]), weight: new Float32Array(12).fill(1) },
    3,
    1,
  );
  assert.equal(plain.state.features, PIXEL_FEATURES);
});

test('pixel candidate: a weak model whose held-out labels never reached the threshold claims no more than they did', async () => {
  // Pure noise: no colour says the class, so out of fold the model is near chance and never confident.
  const rng = new Rng(11);
  const n = 120;
  const size = 3;
  const per = size * size * 3;
  const sab = new SharedArrayBuffer(n * per);
  const px = new Uint8Array(sab);
  for (let q = 0; q < px.length; q++) px[q] = rng.int(256);
  const data: ImageData = { kind: 'image', pixels: sab, n, size, channels: 3 };
  const index = Int32Array.from({ length: 30 }, (_, i) => i);
  const { state, probs } = await fitPixelCandidate(
    data,
    { index, y: Int32Array.from(index, (i) => i % 3), weight: new Float32Array(30).fill(1) },
    3,
    2,
  );
  assert.ok(state.maxConfidence !== undefined && state.maxConfidence < PIXEL_PROPOSAL_THRESHOLD, `held out up to ${state.maxConfidence}`);
  let top = 0;
  for (let i = 0; i < n; i++) {
    top = Math.max(top, probs[i * 3 + argmaxRow(probs, i, 3)]);
    let s = 0;
    for (let c = 0; c < 3; c++) s += probs[i * 3 + c];
    assert.ok(Math.abs(s - 1) < 1e-5, 'rows still sum to 1');
  }
  assert.ok(top <= state.maxConfidence! + 1e-6, `no probability above the cap: ${top} vs ${state.maxConfidence}`);
  const again = pixelProbs(state, data);
  for (let q = 0; q < again.length; q++) assert.ok(Math.abs(again[q] - probs[q]) < 1e-3, 'other folders capped alike');
});
