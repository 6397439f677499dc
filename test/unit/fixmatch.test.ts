/**
 * The scratch candidate's full network (issue 11, session 7): FixMatch consistency in the student trainer (the mask
 * of confident weak views, the checks on its options, the share of pool images that taught their strong view) and
 * the record helpers that say which networks predict and which folders a record keeps.
 */
import { test, before } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/core/backend';
import { confidentRows, trainImageStudent, type TrainStudentOptions } from '../../src/core/modalities/image/student';
import { fullNetworkName, predictingNetworks, recordFolders } from '../../src/core/modalities/image/finetune';

before(async () => {
  await initBackend('wasm');
});

test('confidentRows: the rows whose top class reaches the threshold, with that class', () => {
  const probs = Float32Array.from([0.2, 0.8, 0.0, 0.5, 0.25, 0.25, 0.01, 0.01, 0.98, 0.34, 0.33, 0.33]);
  assert.deepEqual(confidentRows(probs, 4, 3, 0.8), { rows: [0, 2], y: [1, 2] });
  assert.deepEqual(confidentRows(probs, 4, 3, 0.5), { rows: [0, 1, 2], y: [1, 0, 2] }, 'the threshold itself counts');
  assert.deepEqual(confidentRows(probs, 4, 3, 0.99), { rows: [], y: [] });
  assert.deepEqual(confidentRows(probs, 2, 3, 0.3), { rows: [0, 1], y: [1, 0] }, 'only the first n rows');
});

/** 8×8 grayscale images, class 0 bright on top, class 1 bright at the bottom, with noise. */
function halves(n: number, seed: number): { pixels: Uint8Array; y: Int32Array } {
  const pixels = new Uint8Array(n * 64);
  const y = new Int32Array(n);
  let s = seed;
  const rnd = () => ((s = (s * 1103515245 + 12345) >>> 0) / 2 ** 32) * 60;
  for (let i = 0; i < n; i++) {
    y[i] = i % 2;
    for (let r = 0; r < 8; r++) for (let c = 0; c < 8; c++) pixels[i * 64 + r * 8 + c] = (r < 4 === (y[i] === 0) ? 190 : 10) + rnd();
  }
  return { pixels, y };
}

function options(dir: string, consistency: TrainStudentOptions['consistency']): TrainStudentOptions {
  const { pixels, y } = halves(40, 3);
  const index = Int32Array.from([0, 1, 2, 3]);
  return {
    pixels,
    n: 40,
    size: 8,
    channels: 1,
    train: { index, y: Int32Array.from(index, (i) => y[i]), weight: new Float32Array(4).fill(1) },
    nClasses: 2,
    epochs: 6,
    checkpointDir: dir,
    encoder: { widths: [4, 8], dim: 8 },
    seed: 1,
    consistency,
  };
}

test('trainImageStudent with consistency: the mask rate follows the threshold, the options are checked', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'selflabel-fixmatch-'));
  try {
    const all = Int32Array.from({ length: 40 }, (_, i) => i);
    const tensors = tf.memory().numTensors;
    const every = await trainImageStudent(options(dir, { index: all, ratio: 2, threshold: 1e-6, weight: 1 }));
    assert.equal(every.maskRate, 1, 'every weak view passes a threshold near 0');
    assert.equal(tf.memory().numTensors, tensors, 'no tensor leaked');
    const state = JSON.parse(fs.readFileSync(path.join(dir, 'state.json'), 'utf8'));
    assert.equal(state.maskRate, 1, 'the mask rate is saved with the network');
    assert.equal(state.initFrom, null, 'from random init');
    // Two classes: a confidence of exactly 1 is not reached by a network this small in 6 steps.
    const none = await trainImageStudent(options(dir, { index: all, ratio: 2, threshold: 1, weight: 1 }));
    assert.ok(none.maskRate !== undefined && none.maskRate < 1, `mask rate ${none.maskRate}`);
    const plain = await trainImageStudent(options(dir, undefined));
    assert.equal(plain.maskRate, undefined, 'no consistency, no mask rate');
    await assert.rejects(
      trainImageStudent(options(dir, { index: Int32Array.from([0, 40]), ratio: 1, threshold: 0.9, weight: 1 })),
      /consistency\.index\[1\] out of range/,
    );
    await assert.rejects(
      trainImageStudent(options(dir, { index: all, ratio: 1, threshold: 0, weight: 1 })),
      /threshold must be in \(0, 1\]/,
    );
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('the full network predicts, the folds and it are kept; older records predict with their folds', () => {
  const folds = ['finetune-m1-scratch0', 'finetune-m1-scratch1', 'finetune-m1-scratch2', 'finetune-m1-scratch3'];
  assert.equal(fullNetworkName(folds[0]), 'finetune-m1-scratchall');
  assert.equal(fullNetworkName('finetune-m1-scratch12'), 'finetune-m1-scratchall');
  const full = { network: 'finetune-m1-scratchall', initFrom: null, epochs: 200, seconds: 1 };
  assert.deepEqual(predictingNetworks({ networks: folds, full }), ['finetune-m1-scratchall']);
  assert.deepEqual(recordFolders({ networks: folds, full }), [...folds, 'finetune-m1-scratchall']);
  assert.deepEqual(predictingNetworks({ networks: folds }), folds, 'a record without a full network: the folds predict');
  assert.deepEqual(recordFolders({ networks: folds }), folds);
});
