/**
 * The jobs a training worker can run, by name. Each handler runs inside a worker thread (src/worker/trainWorker.ts),
 * gets its params as sent by WorkerPool.run (structured clone; SharedArrayBuffers are shared, not copied) and returns
 * its result plus an optional transfer list. Handlers must check ctx.signal between batches so a cancel is prompt.
 */
import * as tf from '@tensorflow/tfjs';
import { parentPort, threadId, type TransferListItem } from 'node:worker_threads';
import type { Progress } from '../core/types';
import { engineJobs } from './engineJobs';
import { textJobs } from './textJobs';

export interface JobContext {
  signal: AbortSignal;
  progress(p: Progress): void;
  backend: string;
}
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type JobHandler = (params: any, ctx: JobContext) => Promise<{ result: unknown; transfer?: TransferListItem[] }>;

export const jobs: Record<string, JobHandler> = {
  ...engineJobs,
  ...textJobs,
};

// ─────────────── Diagnostic and test jobs (used by test/unit/pool.test.ts; 'selfTest' is also a health check) ───────────────

function abortError(): Error {
  const e = new Error('cancelled');
  e.name = 'AbortError';
  return e;
}

/** Trains a tiny conv net for `steps` steps on seeded random data; returns the losses, timings and the backend. */
jobs.selfTest = async (params: { steps?: number; batch?: number; seed?: number }, ctx) => {
  const steps = Math.max(1, Math.min(1000, Math.floor(params?.steps ?? 3)));
  const batch = Math.max(1, Math.min(256, Math.floor(params?.batch ?? 8)));
  const seed = params?.seed ?? 1;
  const started = Date.now();
  const model = tf.sequential({
    layers: [
      tf.layers.conv2d({ inputShape: [8, 8, 1], filters: 4, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed }) }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 3, kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 1 }) }),
    ],
  });
  const optimizer = tf.train.sgd(0.1);
  const x = tf.randomNormal([batch, 8, 8, 1], 0, 1, 'float32', seed);
  const y = tf.oneHot(tf.tensor1d(Array.from({ length: batch }, (_, i) => i % 3), 'int32'), 3);
  const losses: number[] = [];
  try {
    for (let s = 0; s < steps; s++) {
      if (ctx.signal.aborted) throw abortError();
      const loss = optimizer.minimize(() => tf.losses.softmaxCrossEntropy(y, model.apply(x) as tf.Tensor), true);
      losses.push((await loss!.data())[0]);
      loss!.dispose();
      ctx.progress({ stage: 'pretrain', done: s + 1, total: steps, loss: losses[s] });
    }
  } finally {
    tf.dispose([x, y]);
    model.dispose();
    optimizer.dispose();
  }
  return { result: { backend: ctx.backend, losses, threadId, startedAt: started, endedAt: Date.now(), tensors: tf.memory().numTensors } };
};

/** Waits `ms` milliseconds in small slices, checking the signal between them (like a job between batches). */
jobs.sleep = async (params: { ms?: number; value?: unknown }, ctx) => {
  const ms = Math.max(0, Number(params?.ms ?? 0));
  const startedAt = Date.now();
  while (Date.now() - startedAt < ms) {
    if (ctx.signal.aborted) throw abortError();
    await new Promise((r) => setTimeout(r, Math.min(10, ms)));
  }
  return { result: { value: params?.value, threadId, startedAt, endedAt: Date.now() } };
};

/** Ends the worker the way real failures do: 'exit' (process.exit), 'throw' (uncaught exception), 'reject'. */
jobs.crash = async (params: { mode?: 'exit' | 'throw' | 'reject'; code?: number }) => {
  const mode = params?.mode ?? 'exit';
  if (mode === 'exit') process.exit(params?.code ?? 3);
  if (mode === 'throw') setTimeout(() => { throw new Error('uncaught test error'); }, 0);
  if (mode === 'reject') void Promise.reject(new Error('unhandled test rejection'));
  return new Promise<never>(() => undefined); // never settles: the worker must still report and exit
};

/** Blocks the worker's thread for `ms` ms without looking at the signal (a job that ignores cancellation). */
jobs.hang = async (params: { ms?: number }) => {
  const end = Date.now() + Math.max(0, Number(params?.ms ?? 60_000));
  while (Date.now() < end) {
    // busy: cancellation cannot be noticed
  }
  return { result: 'finished' };
};

/** Posts malformed messages to the host, then returns `ok`. */
jobs.malformed = async () => {
  for (const m of [null, 42, 'result', { type: 'result' }, { type: 'progress', id: -1 }, { type: 'nope', id: 1 }, { type: 'ready' }]) {
    parentPort?.postMessage(m);
  }
  return { result: 'ok' };
};

/** Writes `value` into every byte of the SharedArrayBuffer `buffer` and returns the byte length it saw. */
jobs.sharedWrite = async (params: { buffer: SharedArrayBuffer; value: number }) => {
  const bytes = new Uint8Array(params.buffer);
  bytes.fill(params.value);
  return { result: bytes.length };
};

/** Returns a Float32Array of `n` values 0..n-1, transferring its buffer. */
jobs.transferOut = async (params: { n: number }) => {
  const out = Float32Array.from({ length: params.n }, (_, i) => i);
  return { result: out, transfer: [out.buffer] };
};

