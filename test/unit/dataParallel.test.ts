/**
 * Data-parallel training across worker threads (src/core/backend/dataParallel.ts): the shared-memory all-reduce
 * returns the mean of every worker's values at every step (with workers at uneven paces), a stop vote reaches all
 * workers at the same step, a missing peer times out with a clear error, and two workers each training on half of a
 * batch end with the same weights as one thread training on the whole batch.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import * as os from 'node:os';
import * as fsp from 'node:fs/promises';
import { Worker } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs';
import { GradientExchange, allocateExchange, exchangeBytes, shareOf } from '../../src/core/backend/dataParallel';
import { batchData, buildModel, lossOf, vars } from '../fixtures/dpWorker';
import { LOOP_N, runLoop } from '../fixtures/dpLoopWorker';
import { readPretextState } from '../../src/core/ssl/loop';
import { loadModel } from '../../src/core/models/checkpoint';

const WORKER = path.join(__dirname, '..', 'fixtures', 'dpWorker.ts');

function runWorker(job: Record<string, unknown>): Promise<unknown> {
  const w = new Worker(WORKER, { workerData: { dpTest: true, job }, execArgv: ['--require', require.resolve('tsx/cjs')] });
  return new Promise((resolve, reject) => {
    w.once('message', (m: { ok?: unknown; error?: string }) => {
      void w.terminate();
      if (m.error !== undefined) reject(new Error(m.error));
      else resolve(m.ok);
    });
    w.once('error', reject);
  });
}

test('shareOf splits a batch into contiguous shares that differ by at most one', () => {
  for (const [batch, world] of [
    [256, 2],
    [7, 2],
    [10, 3],
    [1, 2],
  ]) {
    let next = 0;
    for (let r = 0; r < world; r++) {
      const s = shareOf(batch, r, world);
      assert.equal(s.start, next);
      assert.ok(s.end - s.start >= Math.floor(batch / world) && s.end - s.start <= Math.ceil(batch / world));
      next = s.end;
    }
    assert.equal(next, batch);
  }
});

test('a GradientExchange rejects a buffer of the wrong size and a rank outside the world', () => {
  assert.throws(() => new GradientExchange(new SharedArrayBuffer(exchangeBytes(2, 10) - 4), 0, 2, 10), /expected/);
  assert.throws(() => new GradientExchange(allocateExchange(2, 10), 2, 2, 10), /outside/);
  assert.throws(() => allocateExchange(0, 10), /world/);
});

test('a barrier whose peer never arrives fails with a clear error instead of hanging', () => {
  // Atomics.wait is not allowed on Node's main thread, so the lone rank runs in a worker.
  return assert.rejects(
    runWorker({ mode: 'reduce', buffer: allocateExchange(2, 3), rank: 0, world: 2, params: 3, steps: 1, stopAt: -1, timeoutMs: 200 }),
    /other workers did not arrive within 200 ms/,
  );
});

test('two workers at uneven paces get the mean of both contributions at every step, and a stop vote reaches both', async () => {
  const params = 257;
  const steps = 12;
  const buffer = allocateExchange(2, params);
  const [a, b] = (await Promise.all(
    [0, 1].map((rank) => runWorker({ mode: 'reduce', buffer, rank, world: 2, params, steps, stopAt: rank === 1 ? 5 : -1 })),
  )) as {
    mean: number[];
    loss: number;
    stop: boolean;
  }[][];
  for (let s = 0; s < steps; s++) {
    for (const got of [a[s], b[s]]) {
      // (100·0 + 10s + i + 100·1 + 10s + i) / 2 = 50 + 10s + i
      got.mean.forEach((v, i) => assert.equal(v, 50 + 10 * s + i, `step ${s} value ${i}`));
      assert.equal(got.loss, s + 0.5);
      assert.equal(got.stop, s === 5, `stop at step ${s}`);
    }
  }
});

test('two data-parallel workers training on halves of a batch match one thread training on the whole batch', async () => {
  await tf.setBackend('cpu');
  const batch = 12;
  const steps = 4;
  const seed = 5;
  // Reference: one thread, the whole batch, the same optimizer.
  const m = buildModel(seed);
  const v = vars(m);
  const params = v.reduce((n, w) => n + w.size, 0);
  const d = batchData(batch);
  const x = tf.tensor2d(d.x, [batch, 5]);
  const y = tf.tensor2d(d.y, [batch, 3]);
  const opt = tf.train.adam(0.05);
  const refLosses: number[] = [];
  for (let s = 0; s < steps; s++) {
    const l = opt.minimize(lossOf(m, x, y), true, v) as tf.Scalar;
    refLosses.push(l.dataSync()[0]);
    l.dispose();
  }
  const ref = v.map((w) => Array.from(w.dataSync()));
  // Rank 1 starts from scrambled weights: broadcast() must make it rank 0's.
  const buffer = allocateExchange(2, params);
  const out = (await Promise.all(
    [0, 1].map((rank) => runWorker({ mode: 'train', buffer, rank, world: 2, params, steps, batch, seed, scramble: rank === 1 })),
  )) as {
    losses: number[];
    weights: number[][];
  }[];
  for (const o of out) {
    o.losses.forEach((l, s) =>
      assert.ok(Math.abs(l - refLosses[s]) <= 1e-5 * Math.max(1, Math.abs(refLosses[s])), `loss of step ${s}: ${l} vs ${refLosses[s]}`),
    );
    o.weights.forEach((w, k) =>
      w.forEach((val, i) => assert.ok(Math.abs(val - ref[k][i]) <= 1e-5, `weight ${k}[${i}]: ${val} vs ${ref[k][i]}`)),
    );
  }
  // The replicas are bit-identical to each other.
  assert.deepEqual(out[0].weights, out[1].weights);
  assert.ok(refLosses[steps - 1] < refLosses[0], 'the model learns');
});

// ─────────── the pretext loop (src/core/ssl/loop.ts) with dataParallel: one task on two workers

const LOOP_WORKER = path.join(__dirname, '..', 'fixtures', 'dpLoopWorker.ts');

function runLoopWorker(
  job: Record<string, unknown>,
): Promise<{ result?: { epochs: number; resumed: boolean; seconds: number }; error?: string; steps: number }> {
  const w = new Worker(LOOP_WORKER, { workerData: { dpLoopTest: true, job }, execArgv: ['--require', require.resolve('tsx/cjs')] });
  return new Promise((resolve, reject) => {
    w.once(
      'message',
      (m: { ok?: { result?: { epochs: number; resumed: boolean; seconds: number }; error?: string; steps: number }; error?: string }) => {
        void w.terminate();
        if (m.error !== undefined || !m.ok) reject(new Error(m.error));
        else resolve(m.ok);
      },
    );
    w.once('error', reject);
  });
}

async function loopDir(t: { after: (f: () => Promise<void>) => void }): Promise<string> {
  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'selflabel-dploop-'));
  t.after(() => fsp.rm(dir, { recursive: true, force: true }));
  return dir;
}

/** The trainable values of the network the loop saved in `dir`. */
async function savedWeights(dir: string): Promise<number[]> {
  const m = await loadModel(dir, 'model');
  const w = m.getWeights().flatMap((t) => Array.from(t.dataSync()));
  m.dispose();
  return w;
}

test('the pretext loop on two data-parallel workers ends with the weights of one thread on whole batches', async (t) => {
  await tf.setBackend('cpu');
  const one = await loopDir(t);
  const two = await loopDir(t);
  const r1 = await runLoop(one, { epochs: 3 });
  assert.equal(r1.epochs, 3);
  const params = 6 * 5 + 5 + 5 * 2 + 2;
  const buffer = allocateExchange(2, params);
  const out = await Promise.all([0, 1].map((rank) => runLoopWorker({ dir: two, epochs: 3, buffer, rank, world: 2 })));
  assert.deepEqual(
    out.map((o) => [o.error, o.result?.epochs]),
    [
      [undefined, 3],
      [undefined, 3],
    ],
  );
  assert.ok(out[0].steps > 0, 'rank 0 reports progress');
  assert.equal(out[1].steps, 0, 'rank 1 does not');
  const a = await savedWeights(one);
  const b = await savedWeights(two);
  assert.equal(a.length, params);
  a.forEach((v, i) => assert.ok(Math.abs(v - b[i]) <= 1e-5, `weight ${i}: ${b[i]} vs ${v}`));
  const st = await readPretextState(two);
  assert.deepEqual([st?.epochsDone, st?.itemsSeen], [3, 3 * LOOP_N], 'rank 0 saved the whole batches');
});

test('a cancel on one data-parallel worker stops both after the same step, and rank 0 saves where they stopped', async (t) => {
  await tf.setBackend('cpu');
  const dir = await loopDir(t);
  const buffer = allocateExchange(2, 6 * 5 + 5 + 5 * 2 + 2);
  const out = await Promise.all(
    [0, 1].map((rank) => runLoopWorker({ dir, epochs: 100_000, buffer, rank, world: 2, cancelAfter: rank === 1 ? 400 : undefined })),
  );
  assert.deepEqual(
    out.map((o) => o.error),
    ['AbortError', 'AbortError'],
  );
  const st = await readPretextState(dir);
  assert.ok(st, 'rank 0 saved a checkpoint on cancel');
  const batches = st.epochsDone * (LOOP_N / 8) + st.batchInEpoch;
  // Rank 0 reports once before the first step, then after every step.
  assert.equal(batches, out[0].steps - 1, 'the checkpoint holds every step rank 0 reported');
  assert.ok(batches > 0 && st.epochsDone < 100_000);
});

test('data-parallel resume: rank 0 alone reads the checkpoint and the other rank follows its decision', async (t) => {
  await tf.setBackend('cpu');
  // Rank 0's folder holds 2 epochs; rank 1's is empty (as if rank 0 were still writing it): rank 1 must not start over.
  const lead = await loopDir(t);
  const other = await loopDir(t);
  await runLoop(lead, { epochs: 2 });
  const params = 6 * 5 + 5 + 5 * 2 + 2;
  const buffer = allocateExchange(2, params);
  const out = await Promise.all(
    [0, 1].map((rank) => runLoopWorker({ dir: rank === 0 ? lead : other, epochs: 4, buffer, rank, world: 2, resume: true })),
  );
  assert.deepEqual(
    out.map((o) => [o.error, o.result?.epochs, o.result?.resumed]),
    [
      [undefined, 4, true],
      [undefined, 4, true],
    ],
  );
  // Rank 0 reported the two resumed epochs only (6 steps each, plus the report before the first step).
  assert.equal(out[0].steps, 2 * (LOOP_N / 8) + 1);
  const st = await readPretextState(lead);
  assert.deepEqual([st?.epochsDone, st?.itemsSeen], [4, 4 * LOOP_N]);
  assert.equal(await readPretextState(other), undefined, 'rank 1 never writes');
  // The same weights as one thread resumed from the same checkpoint.
  const ref = await loopDir(t);
  await runLoop(ref, { epochs: 2 });
  await runLoop(ref, { epochs: 4, resume: true });
  const a = await savedWeights(ref);
  const b = await savedWeights(lead);
  a.forEach((v, i) => assert.ok(Math.abs(v - b[i]) <= 1e-5, `weight ${i}: ${b[i]} vs ${v}`));
  // Complete: rank 0 says so and rank 1 returns at once too, instead of training alone and waiting for a peer.
  const buffer2 = allocateExchange(2, params);
  const again = await Promise.all(
    [0, 1].map((rank) => runLoopWorker({ dir: rank === 0 ? lead : other, epochs: 4, buffer: buffer2, rank, world: 2, resume: true })),
  );
  assert.deepEqual(
    again.map((o) => [o.error, o.result?.epochs, o.result?.seconds]),
    [
      [undefined, 4, 0],
      [undefined, 4, 0],
    ],
  );
});

test('an exchange smaller than the model passes the gradients in chunks, with the same means', async () => {
  const params = 257;
  const steps = 4;
  // Room for 100 values per slot: 3 chunks a step.
  const buffer = allocateExchange(2, 100);
  const [a, b] = (await Promise.all(
    [0, 1].map((rank) => runWorker({ mode: 'reduce', buffer, rank, world: 2, params, steps, stopAt: rank === 0 ? 2 : -1 })),
  )) as { mean: number[]; loss: number; stop: boolean }[][];
  for (let s = 0; s < steps; s++) {
    for (const got of [a[s], b[s]]) {
      got.mean.forEach((v, i) => assert.equal(v, 50 + 10 * s + i, `step ${s} value ${i}`));
      assert.equal(got.loss, s + 0.5);
      assert.equal(got.stop, s === 2);
    }
  }
});
