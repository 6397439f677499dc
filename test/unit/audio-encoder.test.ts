/**
 * The audio encoder's shape options (src/core/modalities/audio/encoder.ts): the dense layer on the mean over time
 * ('time-mean') sees a sound moved in time as the same sound, where 'flatten' (the default) does not; the first
 * stride; and the student (src/core/modalities/audio/student.ts) built with either, warm-started only from its own.
 */
import { test, before } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/core/backend';
import { buildAudioEncoder, defaultAudioEncoderConfig } from '../../src/core/modalities/audio/encoder';
import { AUDIO_STUDENT_DEFAULTS, trainAudioStudent } from '../../src/core/modalities/audio/student';

before(async () => {
  await initBackend('wasm');
});

const FRAMES = 98;
const MELS = 40;

/** Zeros but a blob of frames [at, at + 5) over mels 10–25 (the encoder's biases start at 0, so zeros stay 0). */
function blob(at: number): Float32Array {
  const x = new Float32Array(FRAMES * MELS);
  for (let t = at; t < at + 5; t++) for (let m = 10; m < 26; m++) x[t * MELS + m] = 1 + 0.1 * (((t - at) * 7 + m * 3) % 5);
  return x;
}

function embed(model: tf.LayersModel, x: Float32Array): Float32Array {
  return tf.tidy(() => (model.predict(tf.tensor4d(x, [1, FRAMES, MELS, 1])) as tf.Tensor).dataSync() as Float32Array);
}

const maxDiff = (a: Float32Array, b: Float32Array) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);

test("time-mean: a sound moved by one cell of the last map (16 frames) embeds the same; flatten's embedding moves", () => {
  const cfg = defaultAudioEncoderConfig(FRAMES, MELS);
  const mean = buildAudioEncoder({ ...cfg, pool: 'time-mean' }, 3);
  const flat = buildAudioEncoder(cfg, 3);
  try {
    // The last map is 7 × 3 × 128; the dense layer reads 3 × 128 (bands × channels) after the mean over time.
    assert.deepEqual(mean.getLayer('features').getWeights()[0].shape, [3 * 128, 128]);
    assert.deepEqual(flat.getLayer('features').getWeights()[0].shape, [7 * 3 * 128, 128]);
    const a = blob(32);
    const b = blob(48);
    const ma = embed(mean, a);
    const mb = embed(mean, b);
    assert.ok(Math.max(...ma) > 1e-3, 'the blob reaches the embedding');
    assert.ok(maxDiff(ma, mb) < 1e-4 * Math.max(...ma), `time-mean moved by ${maxDiff(ma, mb)}`);
    const fa = embed(flat, a);
    const fb = embed(flat, b);
    assert.ok(maxDiff(fa, fb) > 1e-2 * Math.max(...fa), `flatten moved by only ${maxDiff(fa, fb)}`);
    // A move that is not a whole cell of the last map changes the time-mean embedding too (it is not a trivial map).
    assert.ok(maxDiff(ma, embed(mean, blob(40))) > 1e-4 * Math.max(...ma));
  } finally {
    mean.dispose();
    flat.dispose();
  }
});

test('the first stride: [1, 2] keeps every frame in the first layer, the default halves both axes', () => {
  const cfg = defaultAudioEncoderConfig(FRAMES, MELS);
  const fine = buildAudioEncoder({ ...cfg, firstStride: [1, 2] }, 1);
  const plain = buildAudioEncoder(cfg, 1);
  try {
    assert.deepEqual(fine.getLayer('conv0').outputShape, [null, 98, 20, 16]);
    assert.deepEqual(plain.getLayer('conv0').outputShape, [null, 49, 20, 16]);
    assert.deepEqual(fine.getLayer('conv3').outputShape, [null, 13, 3, 128]);
  } finally {
    fine.dispose();
    plain.dispose();
  }
});

test("the student's encoder: flatten by default; it starts afresh from a saved student of the other pooling, warm from its own", async () => {
  assert.deepEqual(AUDIO_STUDENT_DEFAULTS.arch, {});
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'selflabel-audio-encoder-'));
  try {
    const n = 8;
    const spec = new Float32Array(n * FRAMES * MELS);
    for (let i = 0; i < n; i++) spec.set(blob(10 + 8 * i), i * FRAMES * MELS);
    const base = { spec, n, frames: FRAMES, mels: MELS, rows: Int32Array.from({ length: n }, (_, i) => i), nClasses: 2, seed: 1 };
    const y = Int32Array.from({ length: n }, (_, i) => i % 2);
    const flatDir = path.join(tmp, 'flat');
    const flat = await trainAudioStudent({ ...base, y, dir: flatDir, steps: 2 });
    assert.equal(flat.warm, false);
    assert.ok(
      !fs.readFileSync(path.join(flatDir, 'student.json'), 'utf8').includes('time_mean'),
      'the default student has no time_mean layer',
    );
    // A time-mean student given the flatten one to start from starts afresh, and saves its time_mean layer.
    const meanDir = path.join(tmp, 'mean');
    const fresh = await trainAudioStudent({ ...base, y, dir: meanDir, initFrom: flatDir, arch: { pool: 'time-mean' }, steps: 2 });
    assert.equal(fresh.warm, false);
    assert.ok(fs.readFileSync(path.join(meanDir, 'student.json'), 'utf8').includes('time_mean'));
    // …from a time-mean one it starts warm, and so does the default from the default.
    const again = await trainAudioStudent({
      ...base,
      y,
      dir: path.join(tmp, 'again'),
      initFrom: meanDir,
      arch: { pool: 'time-mean' },
      steps: 2,
    });
    assert.equal(again.warm, true);
    const flatAgain = await trainAudioStudent({ ...base, y, dir: path.join(tmp, 'flat2'), initFrom: flatDir, steps: 2 });
    assert.equal(flatAgain.warm, true);
    // The default never starts from a time-mean student.
    const notWarm = await trainAudioStudent({ ...base, y, dir: path.join(tmp, 'flat3'), initFrom: meanDir, steps: 2 });
    assert.equal(notWarm.warm, false);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});
