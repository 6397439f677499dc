/**
 * Data-parallel training of ONE task across several worker threads (a prototype; issue 14 item 4).
 *
 * Each worker holds an identical replica of the models (same seed, or `broadcast` from rank 0), takes its own share
 * of every batch, computes the gradients of its share, and all workers average them through a SharedArrayBuffer
 * before each applies the same averaged gradients with its own (identical) optimizer. Replicas therefore stay
 * bit-identical: same weights, same Adam moments, same floating-point operations in the same order.
 *
 * With equal shares and a loss that is a mean over items (rotation, any classifier), the averaged gradient is the
 * full-batch gradient. SimCLR's NT-Xent is not a mean of independent terms: with this scheme each worker contrasts
 * its share against its own share only (N/world negatives instead of N), like multi-GPU SimCLR without the all-gather
 * of projections. (The exact version would all-gather the small projection matrix z, 2N × 64 floats, compute the loss
 * gradient dL/dz for the whole batch on every worker and backpropagate only the local rows: a second exchange of a
 * few hundred KB per step.)
 *
 * The shared buffer (./exchange.ts, no tfjs: the host allocates it) holds a reusable barrier and two sets of slots;
 * gradients go through it in chunks of the buffer's capacity, one barrier per chunk (one per step for the encoders
 * here). Synchronisation is Atomics.wait, which worker threads may use (never the main thread).
 *
 * No tfjs backend internals are used: gradients come from `tf.variableGrads`, are read with dataSync (one copy out
 * of the wasm heap) and go back as tensors to `optimizer.applyGradients`.
 */
import * as tf from '@tensorflow/tfjs';

import { CTL, HEAD, exchangeBytes, exchangeCapacity } from './exchange';

export { allocateExchange, exchangeBytes, exchangeCapacity, shareOf, DEFAULT_EXCHANGE_CAPACITY } from './exchange';

const COUNT = 0;
const GEN = 1;

/** The number of trainable values of `vars` (what `allocateExchange` needs as `params`). */
export function countParams(vars: readonly tf.Variable[]): number {
  return vars.reduce((n, v) => n + v.size, 0);
}

export class GradientExchange {
  private readonly ctl: Int32Array;
  private readonly slots: Float32Array;
  private readonly slotSize: number;
  /** Gradient values per slot: a model with more values exchanges them in chunks of this many. */
  readonly capacity: number;
  private round = 0;

  /**
   * @param params the number of values every worker exchanges (the trainable values of its models)
   * @param timeoutMs how long a barrier waits for the other workers before throwing (a peer that died or stopped
   *   early must not hang this worker forever)
   */
  constructor(
    buffer: SharedArrayBuffer,
    readonly rank: number,
    readonly world: number,
    readonly params: number,
    private readonly timeoutMs = 120_000,
  ) {
    if (!Number.isInteger(world) || world < 1) throw new Error(`world must be a positive integer, got ${world}`);
    const capacity = exchangeCapacity(buffer.byteLength, world);
    if (capacity === undefined) {
      throw new Error(
        `exchange buffer has ${buffer.byteLength} bytes, expected ${exchangeBytes(world, 1)} + a multiple of ${2 * world * 4} for ${world} workers`,
      );
    }
    if (!Number.isInteger(rank) || rank < 0 || rank >= world) throw new Error(`rank ${rank} is outside [0, ${world})`);
    if (!Number.isInteger(params) || params < 1) throw new Error(`params must be a positive integer, got ${params}`);
    this.capacity = capacity;
    this.ctl = new Int32Array(buffer, 0, CTL);
    this.slots = new Float32Array(buffer, CTL * 4);
    this.slotSize = HEAD + capacity;
  }

  /** Waits until all `world` workers have arrived. */
  barrier(): void {
    const gen = Atomics.load(this.ctl, GEN);
    if (Atomics.add(this.ctl, COUNT, 1) === this.world - 1) {
      Atomics.store(this.ctl, COUNT, 0);
      Atomics.add(this.ctl, GEN, 1);
      Atomics.notify(this.ctl, GEN);
      return;
    }
    const deadline = Date.now() + this.timeoutMs;
    while (Atomics.load(this.ctl, GEN) === gen) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`data-parallel worker ${this.rank}: the other workers did not arrive within ${this.timeoutMs} ms`);
      Atomics.wait(this.ctl, GEN, gen, Math.min(left, 1000));
    }
  }

  private slot(set: number, rank: number): Float32Array {
    const start = (set * this.world + rank) * this.slotSize;
    return this.slots.subarray(start, start + this.slotSize);
  }

  /**
   * Contributes this worker's gradient values (length `params`), its loss and its stop vote; returns the mean of all
   * workers' values (written into `out`), the mean loss, and whether any worker voted to stop.
   */
  allReduceMean(values: Float32Array, loss: number, stopVote: boolean, out: Float32Array): { loss: number; stop: boolean } {
    if (values.length !== this.params || out.length !== this.params) throw new Error(`allReduceMean needs ${this.params} values`);
    let lossSum = 0;
    let stop = false;
    const inv = 1 / this.world;
    for (let off = 0; off < this.params; off += this.capacity) {
      const len = Math.min(this.capacity, this.params - off);
      const set = this.round & 1;
      this.round++;
      const mine = this.slot(set, this.rank);
      mine[0] = loss;
      mine[1] = stopVote ? 1 : 0;
      mine.set(values.subarray(off, off + len), HEAD);
      this.barrier();
      const o = out.subarray(off, off + len);
      o.fill(0);
      // Sum in rank order on every worker: the same float operations everywhere, so the replicas stay identical.
      for (let r = 0; r < this.world; r++) {
        const s = this.slot(set, r);
        if (off === 0) {
          lossSum += s[0];
          if (s[1] !== 0) stop = true;
        }
        for (let i = 0; i < len; i++) o[i] += s[HEAD + i];
      }
      for (let i = 0; i < len; i++) o[i] *= inv;
    }
    return { loss: lossSum * inv, stop };
  }

  /** Makes every worker's `vars` equal to rank 0's (call once after building the models). */
  broadcast(vars: readonly tf.Variable[]): void {
    const flat =
      this.rank === 0
        ? flatten(
            vars.map((v) => v.dataSync() as Float32Array),
            this.params,
          )
        : new Float32Array(this.params);
    this.broadcastValues(flat);
    if (this.rank !== 0) assign(vars, flat);
  }

  /**
   * Makes every worker's `values` (any length, the same on every worker) equal to rank 0's, in place: e.g. what rank 0
   * alone read from a checkpoint. Ends with a barrier, so the buffer is free for any exchange after it.
   */
  broadcastValues(values: Float32Array): void {
    for (let off = 0; off < values.length; off += this.capacity) {
      const len = Math.min(this.capacity, values.length - off);
      const set = this.round & 1;
      this.round++;
      const root = this.slot(set, 0);
      if (this.rank === 0) root.set(values.subarray(off, off + len), HEAD);
      this.barrier();
      if (this.rank !== 0) values.set(root.subarray(HEAD, HEAD + len), off);
    }
    // Everyone has read the last chunk before anyone writes that set again.
    this.barrier();
  }
}

function flatten(parts: Float32Array[], total: number): Float32Array {
  const out = new Float32Array(total);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  if (o !== total) throw new Error(`flattened ${o} values, expected ${total}`);
  return out;
}

function assign(vars: readonly tf.Variable[], flat: Float32Array): void {
  let o = 0;
  for (const v of vars) {
    v.assign(tf.tensor(flat.slice(o, o + v.size), v.shape, 'float32'));
    o += v.size;
  }
}

/**
 * One data-parallel training step: gradients of `lossFn` (this worker's share of the batch) with respect to `vars`,
 * averaged over all workers through `ex`, applied by `optimizer`. Every worker must call it the same number of
 * times with the same `vars` in the same order. Returns the mean loss over workers and whether any worker voted to
 * stop (so that all stop after the same step).
 */
export function dataParallelStep(
  optimizer: tf.Optimizer,
  lossFn: () => tf.Scalar,
  vars: readonly tf.Variable[],
  ex: GradientExchange,
  scratch: { local: Float32Array; mean: Float32Array },
  stopVote = false,
): { loss: number; stop: boolean } {
  const { value, grads } = tf.variableGrads(lossFn, vars as tf.Variable[]);
  let o = 0;
  for (const v of vars) {
    const g = grads[v.name];
    if (!g) throw new Error(`no gradient for ${v.name}`);
    scratch.local.set(g.dataSync() as Float32Array, o);
    o += v.size;
  }
  const loss = value.dataSync()[0];
  tf.dispose([value, ...Object.values(grads)]);
  const r = ex.allReduceMean(scratch.local, loss, stopVote, scratch.mean);
  const named: tf.NamedTensorMap = {};
  o = 0;
  for (const v of vars) {
    named[v.name] = tf.tensor(scratch.mean.subarray(o, o + v.size), v.shape, 'float32');
    o += v.size;
  }
  optimizer.applyGradients(named);
  tf.dispose(Object.values(named));
  return r;
}

/** Scratch buffers for `dataParallelStep` (allocate once per task, not per batch). */
export function exchangeScratch(params: number): { local: Float32Array; mean: Float32Array } {
  return { local: new Float32Array(params), mean: new Float32Array(params) };
}
