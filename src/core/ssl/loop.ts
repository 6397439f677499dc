/**
 * The resumable training loop shared by every pretext task (image SimCLR / rotation, text masked / contrastive).
 *
 * It owns what is common: seeded per-epoch shuffles, Adam with a warm-up + cosine learning-rate schedule,
 * checkpoints (the encoder as model.json + weights.bin, each head as <head>.json + <head>.weights.bin, and
 * `state.json`), cancellation, a time budget, progress with ETA, and yielding to the event loop between batches so a
 * worker thread can receive its cancel message. A task supplies the models and a `prepare` function that builds one
 * batch's inputs (plain JS: augmentations, masking) and returns the loss closure.
 *
 * The learning rate warms up linearly, then follows a cosine to 10% of its peak over the planned steps, or over
 * `maxSeconds` when that budget ends first (so a time-limited run still anneals).
 *
 * Resume: with `resume: true` and a state.json of the same task, config and item count, training continues at the
 * batch where the last run stopped (after each epoch, on cancel, at the time limit, and at least every two minutes
 * a checkpoint is written). Shuffles and augmentation streams are seeded by (seed, epoch, batch), so a resumed run
 * sees the same batches as an uninterrupted one; only Adam's moment estimates restart (not saved).
 */
import * as tf from '@tensorflow/tfjs';
import * as path from 'node:path';
import type { Modality } from '../../protocol/modalities';
import type { Progress } from '../types';
import { AbortError } from '../util/progress';
import { readJson, writeJson } from '../util/files';
import { Rng, permutation } from '../models/random';
import { hasModel, loadModel, saveModel } from '../models/checkpoint';
import { GradientExchange, countParams, dataParallelStep, exchangeScratch, shareOf } from '../backend/dataParallel';
import { batchesPerEpoch as epochBatches, savedEpochs, type PretextState } from './state';

export type { PretextState } from './state';

export interface PretrainResult {
  task: string;
  /** Epochs completed in total (fractional when stopped mid-epoch by maxSeconds). */
  epochs: number;
  /** Seconds this call trained. */
  seconds: number;
  /** Items per second this call (for SimCLR, one item = one pair of views). */
  itemsPerSecond: number;
  /** Mean loss over the last completed epoch (or the running mean if none completed). */
  finalLoss: number;
  /** True if this call continued an earlier checkpoint. */
  resumed: boolean;
  /** True if all requested epochs are done. */
  complete: boolean;
}

export interface LoopOptions {
  checkpointDir: string;
  n: number;
  epochs: number;
  batchSize: number;
  seed: number;
  resume: boolean;
  maxSeconds?: number;
  signal?: AbortSignal;
  onProgress?: (p: Progress) => void;
  modality: Modality;
  task: string;
  config: unknown;
  learningRate: number;
  /** Steps of linear warm-up (default: 2% of the planned steps, at most 200). */
  warmupSteps?: number;
  /** Train this task on several workers at once: see DataParallel. */
  dataParallel?: DataParallel;
  /** Stop on request: see PretrainOptions.yieldFlag. */
  yieldFlag?: SharedArrayBuffer;
}

/**
 * One task on `world` workers (src/core/backend/dataParallel.ts): every worker runs this loop with the same options
 * and its own `rank`; each takes its share of every batch, the gradients are averaged through `buffer` (made by
 * `allocateExchange(world)` of src/core/backend/exchange.ts, any capacity), and all apply the same update, so the
 * replicas stay identical. Rank 0 alone reads and writes checkpoints (the others take its resume decision and its
 * weights through the exchange) and reports progress. Cancel and the time limit are votes that all workers act on
 * after the same step (a worker that left alone would leave the others waiting). The learning rate follows the planned
 * steps only (not maxSeconds: the workers' clocks would give each a different rate).
 */
export interface DataParallel {
  buffer: SharedArrayBuffer;
  rank: number;
  world: number;
}

/** The options every modality's pretraining takes (each adds its data and its own tuning knobs). */
export interface PretrainOptions {
  /** Total epochs (a resumed run continues up to this many). */
  epochs: number;
  batchSize?: number;
  seed?: number;
  checkpointDir: string;
  resume?: boolean;
  /** Stop (with a checkpoint) after this many seconds. */
  maxSeconds?: number;
  signal?: AbortSignal;
  onProgress?: (p: Progress) => void;
  learningRate?: number;
  /** Train on several workers at once (see DataParallel in ./loop.ts). */
  dataParallel?: DataParallel;
  /**
   * Stop on request: when the host stores a non-zero value in its first Int32, the task stops after its current step
   * with a checkpoint, as at the time limit, and returns incomplete (src/core/project/pretrainPlans.ts: a worker whose task
   * is done joins a task still running, which then resumes data-parallel on both).
   */
  yieldFlag?: SharedArrayBuffer;
}

/** What a modality's task decides: the item count, the resolved batch size and learning rate, the resume key. */
export interface TaskSetup {
  modality: Modality;
  task: string;
  n: number;
  batchSize: number;
  learningRate: number;
  /** Everything that must match for a resume (architecture, hyper-parameters). */
  config: unknown;
}

/** Runs (or resumes) one pretext task with the caller's options: the loop, checkpoints and all. */
export function runPretext(o: PretrainOptions, setup: TaskSetup, spec: TaskSpec): Promise<PretrainResult> {
  return runPretextLoop(
    {
      ...setup,
      checkpointDir: o.checkpointDir,
      epochs: o.epochs,
      seed: o.seed ?? 1,
      resume: o.resume ?? false,
      maxSeconds: o.maxSeconds,
      signal: o.signal,
      onProgress: o.onProgress,
      dataParallel: o.dataParallel,
      yieldFlag: o.yieldFlag,
    },
    spec,
  );
}

/** The models of one task: 'model' is the encoder (what embedding uses), the rest are heads. */
export type TaskModels = Record<string, tf.LayersModel>;

export interface TaskSpec {
  /** Fresh models (called when not resuming). */
  create(): TaskModels;
  /** Names of the models (to load them on resume), 'model' first. */
  names: string[];
  /** Builds the inputs of one batch (`items` are item indices) and returns the loss of the batch. */
  prepare(models: TaskModels, items: Int32Array, rng: Rng): () => tf.Scalar;
  /** Called once after models are created or loaded (e.g. to set up extra state); optional. */
  init?(models: TaskModels): void;
}

const SAVE_EVERY_MS = 120_000;

function sameConfig(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function disposeModels(models: TaskModels | undefined): void {
  if (!models) return;
  for (const m of Object.values(models)) m.dispose();
}

/** Reads a checkpoint's state.json (undefined if none or unreadable). */
export async function readPretextState(dir: string): Promise<PretextState | undefined> {
  const s = await readJson<PretextState>(path.join(dir, 'state.json'));
  return s && s.version === 1 ? s : undefined;
}

function batchSeed(seed: number, epoch: number, batch: number): number {
  return (Math.imul(seed + 1, 0x9e3779b1) ^ Math.imul(epoch + 1, 0x85ebca6b) ^ Math.imul(batch + 1, 0xc2b2ae35)) | 0;
}

/**
 * The learning rate of `step`: a linear warm-up over `warmup` steps, then a cosine to 10% of `peak` over the planned
 * steps, or over the time budget when its share used (`timeShare`) is further along. A run resumed at step
 * `resumedAt` > 0 starts Adam without moment estimates (they are not saved), so its first updates would be as large as
 * at the very start: its rate warms up again over `warmup` steps from there.
 */
export function scheduledRate(
  step: number,
  o: { peak: number; warmup: number; totalSteps: number; resumedAt: number; timeShare: number },
): number {
  if (step < o.warmup) return (o.peak * (step + 1)) / o.warmup;
  const p = Math.max(Math.min(1, (step - o.warmup) / Math.max(1, o.totalSteps - o.warmup)), Math.min(1, o.timeShare));
  const rewarm = o.resumedAt > 0 ? Math.min(1, (step - o.resumedAt + 1) / o.warmup) : 1;
  return rewarm * o.peak * (0.1 + 0.9 * 0.5 * (1 + Math.cos(Math.PI * p)));
}

/** Runs (or resumes) a pretext task to `epochs` epochs. */
export async function runPretextLoop(o: LoopOptions, spec: TaskSpec): Promise<PretrainResult> {
  if (!Number.isInteger(o.n) || o.n < 2) throw new Error(`Pretraining needs at least 2 items, got ${o.n}.`);
  if (!(o.epochs >= 0)) throw new Error(`epochs must be ≥ 0, got ${o.epochs}`);
  const batchSize = Math.max(2, Math.min(o.batchSize, o.n));
  const batchesPerEpoch = epochBatches(o.n, batchSize);
  const dir = o.checkpointDir;

  let state: PretextState | undefined;
  let models: TaskModels | undefined;
  let resumed = false;
  let early: PretrainResult | undefined;
  const dp = o.dataParallel;
  const lead = !dp || dp.rank === 0;
  // Data-parallel: rank 0 alone reads the checkpoint (it alone writes it, and may still be writing the last one).
  if (o.resume && lead) {
    const prev = await readPretextState(dir);
    if (
      prev &&
      prev.task === o.task &&
      prev.modality === o.modality &&
      prev.n === o.n &&
      prev.batchSize === batchSize &&
      prev.seed === o.seed &&
      sameConfig(prev.config, o.config) &&
      (await Promise.all(spec.names.map((nm) => hasModel(dir, nm)))).every(Boolean)
    ) {
      state = prev;
      if (prev.epochsDone >= o.epochs) {
        early = {
          task: o.task,
          epochs: prev.epochsDone,
          seconds: 0,
          itemsPerSecond: prev.itemsPerSecond,
          finalLoss: prev.lossHistory[prev.lossHistory.length - 1] ?? prev.lastLoss,
          resumed: true,
          complete: true,
        };
      } else {
        models = {};
        try {
          for (const nm of spec.names) models[nm] = await loadModel(dir, nm);
          resumed = true;
        } catch {
          // A damaged checkpoint: start over rather than fail.
          disposeModels(models);
          models = undefined;
          state = undefined;
        }
      }
    }
  }
  // ... and the other ranks take its decision: [done, epochs done, batch in epoch, final loss]; its weights follow.
  let resumeAt: { epochsDone: number; batchInEpoch: number } | undefined;
  if (dp) {
    const agreed = Float32Array.of(early ? 1 : 0, state?.epochsDone ?? 0, state?.batchInEpoch ?? 0, early?.finalLoss ?? NaN);
    new GradientExchange(dp.buffer, dp.rank, dp.world, agreed.length).broadcastValues(agreed);
    if (!lead) {
      if (agreed[0] === 1) {
        early = { task: o.task, epochs: agreed[1], seconds: 0, itemsPerSecond: 0, finalLoss: agreed[3], resumed: true, complete: true };
      } else if (agreed[1] > 0 || agreed[2] > 0) {
        resumeAt = { epochsDone: agreed[1], batchInEpoch: agreed[2] };
        resumed = true;
      }
    }
  }
  if (early) return early;
  if (!models) {
    models = spec.create();
    state = undefined;
  }
  spec.init?.(models);
  const st: PretextState = state ?? {
    version: 1,
    modality: o.modality,
    task: o.task,
    config: o.config,
    n: o.n,
    seed: o.seed,
    batchSize,
    epochsDone: resumeAt?.epochsDone ?? 0,
    batchInEpoch: resumeAt?.batchInEpoch ?? 0,
    epochsPlanned: o.epochs,
    seconds: 0,
    itemsSeen: 0,
    lossHistory: [],
    lastLoss: NaN,
    itemsPerSecond: 0,
    complete: false,
    savedAt: '',
  };
  st.epochsPlanned = o.epochs;

  const variables: tf.Variable[] = [];
  for (const m of Object.values(models)) for (const w of m.trainableWeights) variables.push(w.read() as tf.Variable);
  const optimizer = tf.train.adam(o.learningRate);
  let exchange: GradientExchange | undefined;
  let scratch: { local: Float32Array; mean: Float32Array } | undefined;
  if (dp) {
    const params = countParams(variables);
    exchange = new GradientExchange(dp.buffer, dp.rank, dp.world, params);
    exchange.broadcast(variables);
    scratch = exchangeScratch(params);
  }
  const totalSteps = o.epochs * batchesPerEpoch;
  const warmup = o.warmupSteps ?? Math.min(200, Math.ceil(totalSteps * 0.02));
  const t0 = Date.now();
  const startDone = st.epochsDone * batchesPerEpoch + st.batchInEpoch;
  const lrAt = (step: number) =>
    scheduledRate(step, {
      peak: o.learningRate,
      warmup,
      totalSteps,
      resumedAt: startDone,
      timeShare: o.maxSeconds && !dp ? (Date.now() - t0) / 1000 / o.maxSeconds : 0,
    });
  const yieldView = o.yieldFlag ? new Int32Array(o.yieldFlag, 0, 1) : undefined;

  let lastSave = t0;
  let lastSaveClock = t0;
  let itemsThisRun = 0;
  let epochLossSum = 0;
  let epochLossCount = 0;
  let lossEma = NaN;

  const save = async () => {
    if (!lead) return;
    st.seconds += (Date.now() - lastSaveClock) / 1000;
    lastSaveClock = Date.now();
    st.itemsPerSecond = itemsThisRun / Math.max(1e-3, (Date.now() - t0) / 1000);
    st.savedAt = new Date().toISOString();
    st.complete = st.epochsDone >= o.epochs;
    for (const nm of spec.names) await saveModel(models![nm], dir, nm);
    await writeJson(path.join(dir, 'state.json'), st);
    lastSave = Date.now();
  };

  const report = () => {
    if (!o.onProgress || !lead) return;
    const doneSteps = st.epochsDone * batchesPerEpoch + st.batchInEpoch;
    const stepsThisRun = doneSteps - startDone;
    const elapsed = (Date.now() - t0) / 1000;
    const eta = stepsThisRun > 0 ? (elapsed / stepsThisRun) * Math.max(0, totalSteps - doneSteps) : undefined;
    o.onProgress({
      stage: 'pretrain',
      done: doneSteps * batchSize,
      total: totalSteps * batchSize,
      etaSeconds: eta,
      loss: Number.isFinite(lossEma) ? lossEma : undefined,
      message: `${o.task}: epoch ${Math.min(st.epochsDone + 1, o.epochs)}/${o.epochs}`,
    });
  };

  let stoppedByTime = false;
  let stopAfter: 'cancel' | 'time' | undefined;
  try {
    report();
    outer: while (st.epochsDone < o.epochs) {
      const perm = permutation(o.n, new Rng(batchSeed(o.seed, st.epochsDone, -1)));
      while (st.batchInEpoch < batchesPerEpoch) {
        // The time limit, or the host asking this task to yield its worker (it resumes on more).
        const timeUp =
          (o.maxSeconds !== undefined && (Date.now() - t0) / 1000 >= o.maxSeconds) ||
          (yieldView !== undefined && Atomics.load(yieldView, 0) !== 0);
        if (!dp) {
          if (o.signal?.aborted) throw new AbortError();
          if (timeUp) {
            stoppedByTime = true;
            break outer;
          }
        }
        const b = st.batchInEpoch;
        const items = perm.subarray(b * batchSize, (b + 1) * batchSize);
        const rng = new Rng(batchSeed(dp ? o.seed + 7919 * dp.rank : o.seed, st.epochsDone, b));
        const step = st.epochsDone * batchesPerEpoch + b;
        (optimizer as unknown as { learningRate: number }).learningRate = lrAt(step);
        let loss: number;
        if (dp && exchange && scratch) {
          const share = shareOf(items.length, dp.rank, dp.world);
          const lossFn = spec.prepare(models, items.subarray(share.start, share.end), rng);
          const stopVote = !!o.signal?.aborted || timeUp;
          const r = dataParallelStep(optimizer, lossFn, variables, exchange, scratch, stopVote);
          // Every worker applied this step; a stop vote (cancel or time, any worker's) ends all of them after it.
          if (r.stop) stopAfter = timeUp && !o.signal?.aborted ? 'time' : 'cancel';
          loss = r.loss;
        } else {
          const lossFn = spec.prepare(models, items, rng);
          const lossT = optimizer.minimize(lossFn, true, variables);
          loss = lossT ? (await lossT.data())[0] : NaN;
          lossT?.dispose();
        }
        if (!Number.isFinite(loss)) throw new Error(`${o.task} pretraining diverged (loss ${loss}); try a lower learning rate.`);
        epochLossSum += loss;
        epochLossCount++;
        lossEma = Number.isFinite(lossEma) ? 0.95 * lossEma + 0.05 * loss : loss;
        st.lastLoss = loss;
        st.batchInEpoch++;
        st.itemsSeen += items.length;
        itemsThisRun += items.length;
        report();
        if (stopAfter === 'cancel') throw new AbortError();
        if (stopAfter === 'time') {
          stoppedByTime = true;
          break outer;
        }
        if (Date.now() - lastSave > SAVE_EVERY_MS) await save();
        // Let the worker's event loop deliver messages (cancel) between batches.
        await new Promise<void>((r) => setImmediate(r));
      }
      st.lossHistory.push(epochLossCount ? epochLossSum / epochLossCount : st.lastLoss);
      epochLossSum = 0;
      epochLossCount = 0;
      st.epochsDone++;
      st.batchInEpoch = 0;
      await save();
    }
    if (stoppedByTime || st.batchInEpoch > 0) await save();
  } catch (e) {
    if (e instanceof AbortError || (e as Error).name === 'AbortError') {
      try {
        await save();
      } catch {
        // The cancel wins; the previous checkpoint stays valid.
      }
    }
    optimizer.dispose();
    disposeModels(models);
    throw e;
  }
  optimizer.dispose();
  disposeModels(models);
  const seconds = (Date.now() - t0) / 1000;
  return {
    task: o.task,
    epochs: savedEpochs(st),
    seconds,
    itemsPerSecond: itemsThisRun / Math.max(1e-3, seconds),
    finalLoss: st.lossHistory.length
      ? st.lossHistory[st.lossHistory.length - 1]
      : epochLossCount
        ? epochLossSum / epochLossCount
        : st.lastLoss,
    resumed,
    complete: st.epochsDone >= o.epochs,
  };
}
