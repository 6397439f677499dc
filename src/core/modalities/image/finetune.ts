/**
 * The image modality's refinement step (host face): fine-tunes the pretrained encoder end to end (a "noisy student",
 * ./student.ts), one network per worker in parallel with different seeds, on the human labels plus the classifier's
 * most confident guesses; their averaged logits, calibrated on a stratified fifth of the human labels held out of
 * their training, become the predictions. The row selection and the calibration run in a worker
 * (src/core/train/selfTraining.ts).
 */
import * as fs from 'node:fs/promises';
import type { ImageData } from '../../../protocol/jobs';
import type { ModalityContext, Refinement, StageOptions } from '../types';
import { combineProgress, throwIfAborted } from '../../util/progress';
import { readJson } from '../../util/files';
import * as path from 'node:path';
import { outOfFoldRows } from '../../train/select';
import { agreementAccuracy, foldAgreement } from '../../train/calibration';
import type { Mix } from '../../train/mix';

/**
 * Labelled images a network trained from scratch sees, summed over epochs (at least 10 epochs of a large train set;
 * on tiny pools at most 50 per pool item).
 */
export const SCRATCH_ITEMS_SEEN = 10_000;

/** What a fine-tuning made (saved in classifier.json). */
export interface FinetuneRecord {
  /** Checkpoint folders under .selflabel/models, averaged. */
  networks: string[];
  initFrom: string | null;
  epochs: number;
  temperature: number;
  /**
   * Rows trained on: `labels` from the train set (human labels and proposals taken as labels), of which `human` a person
   * gave (absent in records before session 29), and `pseudo` the teacher's confident guesses.
   */
  trainedOn: { labels: number; pseudo: number; human?: number };
  calibrationItems: number;
  estimatedAccuracy?: number;
  itemsPerSecond: number;
  seconds: number;
  /** 'finetuned' (from the pretrained encoder, with the teacher's guesses) or 'scratch' (from random init, on the labels). */
  kind?: 'finetuned' | 'scratch';
  /**
   * The scratch ensemble's folds of the human labels (pool rows, classes, fold of each): the next train reuses them
   * while the human labels are the same, so network f's pseudo-labels can come from the last network f (which
   * never saw fold f).
   */
  folds?: { rows: number[]; y: number[]; fold: number[] };
  /**
   * The folds' calibrated out-of-fold probabilities of the human labels (row j × C = `folds.rows[j]`, from the network
   * that never saw it), kept for confident learning (src/core/project/review.ts `disagreements`). 4 decimals.
   */
  oofProbs?: number[];
  /** Set when the predictions are this share of the embedding head's probabilities plus the rest of the networks'. */
  mixHead?: number;
  /**
   * Set when the predictions mix the networks' probabilities with the pixel candidate's (the classifier state is
   * then the pixel candidate's): src/core/train/mix.ts, candidate 'scratch+pixels' (src/core/project/training.ts).
   */
  mixPixels?: Mix;
  /**
   * The scratch candidate's network trained on every human label (with the pool's consistency, FIXMATCH): it
   * predicts, while `networks` (the folds) score and calibrate. Absent in records of older trains (the folds' mean
   * predicts).
   */
  full?: { network: string; initFrom: string | null; epochs: number; maskRate?: number; seconds: number };
  /**
   * Evidence about the full network, which no held-out label checks (scratch records since session 8): the folds' own
   * temperature (the one used) and out-of-fold accuracy, the top-1 agreement of the full network with the folds and
   * of the folds with each other on the unlabelled items, and the full network's accuracy estimated from them
   * (calibration.ts agreementAccuracy; conservative when the folds' errors are correlated).
   */
  calibration?: {
    foldsTemperature: number;
    foldsAccuracy: number;
    fullFold: number;
    foldFold: number;
    estimatedFullAccuracy: number;
  };
}

/** The networks whose mean logits a record predicts with: its full network when it has one, else its networks. */
export function predictingNetworks(record: Pick<FinetuneRecord, 'networks' | 'full'>): string[] {
  return record.full ? [record.full.network] : record.networks;
}

/** Every model folder a record uses (kept after a train; the others are deleted). */
export function recordFolders(record: Pick<FinetuneRecord, 'networks' | 'full'>): string[] {
  return record.full ? [...record.networks, record.full.network] : [...record.networks];
}

/** The full network's folder name beside fold networks named `…-scratch<f>`. */
export function fullNetworkName(foldNetwork: string): string {
  return foldNetwork.replace(/scratch\d+$/, 'scratchall');
}

/**
 * FixMatch consistency for the full network (src/core/modalities/image/student.ts): one unlabelled pool image per
 * labelled one in each step, pseudo-labels from the weak view at confidence ≥ 0.95, weight 1.
 */
export const FIXMATCH = { ratio: 1, threshold: 0.95, weight: 1 } as const;

/**
 * Labelled images the full network sees at 28 × 28 (its steps, with as many unlabelled ones), twelve times a fold
 * network's: FixMatch learns from the pool as its pseudo-labels grow confident, and that takes steps. MNIST-2k with
 * 10 labels a class (bench, no review): 20,000 seen gave test 90.3 / 91.7 / 92.1% (seeds 1–3), 60,000 gave 93.9 /
 * 94.0 / 94.3%, 100,000 (its pool's cap, 50 per item) gave 95.1% on seed 1 (the share of confident pool images
 * 43% → 67% → 77%); letters and icons kept their figures. Three times the unlabelled images per step at 20,000 did
 * nothing (90.4%), nor did the folds trained three times longer (93.4%). See fullItemsSeen for other sizes.
 */
export const FULL_ITEMS_SEEN = 12 * SCRATCH_ITEMS_SEEN;

/** The full network's epochs are capped at this many times a fold network's (scratchEpochs). */
const FULL_EPOCHS_CAP = 6;

/**
 * Labelled images the full network sees for `size` × `size` × `channels` inputs and `labels` human labels of
 * `classes` classes: as many input values as FULL_ITEMS_SEEN images of 28 × 28 × 1 (a step's cost grows with them)
 * up to 10 labels a class, fewer in proportion above (the long train is for few labels, where the pool's
 * pseudo-labels carry the learning; a review run's later trains on hundreds of labels a class keep their cost), never
 * fewer than twice a fold network's (what it saw before). 10 a class: 28 × 28 × 1 120,000; 32 × 32 × 3 ~31,000;
 * 48 × 48 × 3 20,000. At 48 × 48 × 3 (icons, seeds 1–2) ~41,000 made no network better (test 39.82% and 42.08%
 * before the pool's priors, as at 20,000) and doubled the train (round 1 179 → 362 s).
 */
export function fullItemsSeen(size: number, channels: number, labels: number, classes: number): number {
  const perClass = Math.max(1, labels) / Math.max(1, classes);
  const images = (FULL_ITEMS_SEEN * 28 * 28) / Math.max(1, size * size * channels);
  return Math.max(2 * SCRATCH_ITEMS_SEEN, Math.round(images * Math.min(1, 10 / perClass)));
}

/**
 * Epochs for `labels` labelled rows so the network sees about `itemsSeen` images: the `finetune` job takes
 * ⌊labels / 128⌋ (≥ 1) batches of ≤ 128 per epoch, so a few labels need many epochs. At most `maxEpochs` (300).
 */
export function scratchEpochs(labels: number, itemsSeen = SCRATCH_ITEMS_SEEN, maxEpochs = 300): number {
  const perEpoch = Math.max(1, Math.floor(labels / Math.min(128, labels))) * Math.min(128, labels);
  return Math.max(1, Math.min(maxEpochs, Math.round(itemsSeen / Math.max(1, perEpoch))));
}

/** The fine-tuned networks' averaged logits for the images of `data`. */
async function networkLogits(ctx: ModalityContext, networks: string[], data: ImageData, opts: StageOptions): Promise<Float32Array> {
  const outs = await Promise.all(
    networks.map((name, w) =>
      ctx.runner.run(
        'finetuneLogits',
        { checkpointDir: ctx.paths.checkpoint(name), data },
        { signal: opts.signal, worker: w % ctx.config.workers },
      ),
    ),
  );
  const avg = new Float32Array(outs[0].logits.length);
  for (const o of outs) for (let q = 0; q < avg.length; q++) avg[q] += o.logits[q] / outs.length;
  return avg;
}

/** A network saved by the finetune job in `dir` (weights and state), with what its state says; undefined if none. */
async function savedNetwork(
  dir: string,
): Promise<{ initFrom: string | null; epochs: number; maskRate?: number; seconds: number } | undefined> {
  if (!(await fs.stat(path.join(dir, 'weights.bin')).catch(() => undefined))) return undefined;
  const st = await readJson<{ complete?: boolean; initFrom?: string | null; epochs?: number; maskRate?: number; seconds?: number }>(
    path.join(dir, 'state.json'),
  );
  if (!st?.complete) return undefined;
  const initFrom = st.initFrom ? path.basename(st.initFrom) : null;
  return { initFrom, epochs: st.epochs ?? 0, maskRate: st.maskRate, seconds: st.seconds ?? 0 };
}

/** The first image pretext task with a saved encoder: the networks start from it. */
async function initialEncoder(ctx: ModalityContext, tasks: readonly string[]): Promise<string | undefined> {
  for (const t of tasks) {
    const st = await readJson<{ savedAt?: string }>(path.join(ctx.paths.checkpoint(t), 'state.json'));
    if (st?.savedAt) return t;
  }
  return undefined;
}

export function imageFinetune(tasks: readonly string[]): Refinement<'image', FinetuneRecord> {
  return {
    enabled: (config) => config.finetune,
    folders: recordFolders,
    /**
     * The encoder trained from random initialisation on the labels (no pretraining, no teacher) as a k-fold
     * ensemble: network f trains on every label but the human labels of fold f, so each human label is scored by the
     * one network that never saw it (all of them score the candidate, not a fifth), the temperature is fitted on
     * those out-of-fold logits, and the ensemble (the networks' mean logits) predicts. Each network is a checked
     * one; none trains on every label unchecked (tried: a second network on all labels once gave 71% on letters
     * where the checked one had 95% of the held-out labels right).
     */
    async scratch(ctx, o, opts) {
      const t0 = Date.now();
      const C = o.nClasses;
      const fits = o.fits;
      const K = fits.length;
      const reusing = o.reuse?.length === K;
      const networks = reusing ? o.reuse! : fits.map((_, f) => `finetune-${o.model}-scratch${f}`);
      const fullName = fullNetworkName(networks[0]);
      // Reused with the folds (the same human labels), when the last train made it.
      const prevFull = reusing ? await savedNetwork(ctx.paths.checkpoint(fullName)) : undefined;
      const fullNeeded = !prevFull;
      const merge = combineProgress('train', K + (fullNeeded ? 1 : 0), opts.onProgress);
      const epochsOf = (m: number, seen = SCRATCH_ITEMS_SEEN, cap = 1) =>
        scratchEpochs(m, Math.min(Math.max(seen, 10 * m), 50 * o.data.n), 300 * cap);
      // From random init, like the folds: from the SimCLR encoder it measured lower (research/semi.ts, seed 1:
      // letters 94.3% vs 96.1%, MNIST-2k 87.8% vs 88.9%).
      const init: string | undefined = undefined;
      const fullEpochs = epochsOf(o.rows.length, fullItemsSeen(o.data.size, o.data.channels, o.rows.length, C), FULL_EPOCHS_CAP);
      // The full network: every human label and the pool's consistency. It starts first
      // (the longest job), then the fold networks on whichever worker is free. Stopped when the folds' score says
      // it would not be chosen (o.wanted).
      const fullStop = new AbortController();
      const stopFull = () => fullStop.abort();
      opts.signal?.addEventListener('abort', stopFull, { once: true });
      if (opts.signal?.aborted) stopFull();
      const fullRun = fullNeeded
        ? ctx.runner.run(
            'finetune',
            {
              data: o.data,
              train: { index: o.rows, y: o.y, weight: new Float32Array(o.rows.length).fill(1) },
              nClasses: C,
              epochs: fullEpochs,
              seed: ctx.config.seed + 199,
              initFrom: init ? ctx.paths.checkpoint(init) : '',
              checkpointDir: ctx.paths.checkpoint(fullName),
              consistency: { ...FIXMATCH },
            },
            { signal: fullStop.signal, onProgress: merge(K) },
          )
        : undefined;
      // Until it is awaited, a failure of the full network is held, not thrown unhandled.
      const fullSettled = fullRun?.then(
        (r) => ({ ok: true as const, r }),
        (e: unknown) => ({ ok: false as const, e }),
      );
      // Stops the full network and waits until its job has ended.
      const haltFull = async () => {
        stopFull();
        await fullSettled;
        opts.signal?.removeEventListener('abort', stopFull);
      };
      // Whatever fails before the full network is awaited stops it: it is not left training on a worker.
      const orStop = async <T>(step: Promise<T>): Promise<T> => {
        try {
          return await step;
        } catch (e) {
          await haltFull();
          throw e;
        }
      };
      // No worker pinned: the pool runs them on whichever worker is free, as many at a time as it has.
      const runs = reusing
        ? []
        : await orStop(
            Promise.all(
              fits.map((fit, f) =>
                ctx.runner.run(
                  'finetune',
                  {
                    data: o.data,
                    train: fit,
                    nClasses: C,
                    epochs: epochsOf(fit.index.length),
                    seed: ctx.config.seed + 211 + 17 * f,
                    initFrom: '',
                    checkpointDir: ctx.paths.checkpoint(networks[f]),
                    // The full network's recipe (FixMatch on the pool), so that the folds' out-of-fold score and
                    // temperature describe the network that predicts, not a weaker one (session 7: folds 83–89% held
                    // out, the full network 94–96% test; expected 95–97% → measured 99.4–100% in round 1).
                    consistency: { ...FIXMATCH },
                  },
                  { signal: opts.signal, onProgress: merge(f) },
                ),
              ),
            ),
          );
      const per = await orStop(Promise.all(networks.map((name) => networkLogits(ctx, [name], o.data, opts))));
      const n = o.data.n;
      const m = o.rows.length;
      const oof = await orStop(
        ctx.runner.run(
          'calibrateLogits',
          {
            logits: outOfFoldRows(per, o.rowFold, o.rows, C),
            n: m,
            nClasses: C,
            calRows: Int32Array.from({ length: m }, (_, j) => j),
            calY: o.y,
          },
          { signal: opts.signal },
        ),
      );
      const oofRounded = Array.from(oof.probs, (v) => Math.round(v * 1e4) / 1e4);
      // What the record says of the folds (and of the jobs' rates), with or without a full network.
      const foldsRecord = (done: { itemsPerSecond: number; seconds: number }[]): FinetuneRecord => {
        const seconds = (Date.now() - t0) / 1000;
        return {
          networks,
          initFrom: null,
          epochs: epochsOf(fits[0].index.length),
          temperature: oof.temperature,
          trainedOn: { labels: o.rows.length, human: o.rows.length, pseudo: o.pseudo },
          folds: { rows: [...o.rows], y: [...o.y], fold: [...o.rowFold] },
          oofProbs: oofRounded,
          calibrationItems: m,
          estimatedAccuracy: oof.accuracy,
          itemsPerSecond: done.reduce((s, r) => s + r.itemsPerSecond * r.seconds, 0) / Math.max(1e-3, seconds),
          seconds,
          kind: 'scratch',
        };
      };
      if (o.wanted && !(await orStop(o.wanted(Float32Array.from(oofRounded), oof.accuracy)))) {
        await haltFull();
        throwIfAborted(opts.signal);
        return { oofProbs: oof.probs, record: foldsRecord(runs) };
      }
      const settled = await fullSettled;
      opts.signal?.removeEventListener('abort', stopFull);
      if (settled && !settled.ok) throw settled.e;
      const fullResult = settled?.r;
      // The full network predicts, with the temperature of the folds' out-of-fold logits: since the folds train with
      // its recipe (FixMatch), that temperature describes it closely (letters seeds 1–2, round 1: expected 98.0 /
      // 96.7% → measured 99.2 / 99.9%; with plain folds, session 7: 95.2 / 94.7% → 99.7 / 100%). Its agreement with
      // the folds on the unlabelled items is recorded (`calibration`), not used: the accuracy estimated from it
      // (calibration.ts agreementAccuracy) was 88–91% where the full network was 95–96% right on letters (the folds'
      // errors are correlated), so its temperature claimed less than the folds' did (research/s8-calib.ts).
      const predicting = await networkLogits(ctx, [fullName], o.data, opts);
      const labelled = new Set(o.rows);
      const unlabelled = Int32Array.from({ length: n }, (_, i) => i).filter((i) => !labelled.has(i));
      const agreement = foldAgreement(predicting, per, unlabelled, C);
      const cal = await ctx.runner.run(
        'calibrateLogits',
        { logits: predicting, n, nClasses: C, calRows: new Int32Array(0), calY: new Int32Array(0), temperature: oof.temperature },
        { signal: opts.signal },
      );
      return {
        probs: cal.probs,
        oofProbs: oof.probs,
        record: {
          ...foldsRecord([...runs, ...(fullResult ? [fullResult] : [])]),
          calibration: {
            foldsTemperature: oof.temperature,
            foldsAccuracy: oof.accuracy ?? NaN,
            fullFold: agreement.fullFold,
            foldFold: agreement.foldFold,
            estimatedFullAccuracy: agreementAccuracy(oof.accuracy ?? NaN, agreement),
          },
          full: {
            network: fullName,
            initFrom: fullResult ? (init ?? null) : (prevFull?.initFrom ?? null),
            epochs: fullResult ? fullEpochs : (prevFull?.epochs ?? fullEpochs),
            maskRate: fullResult ? fullResult.maskRate : prevFull?.maskRate,
            seconds: fullResult ? fullResult.seconds : (prevFull?.seconds ?? 0),
          },
        },
      };
    },
    async run(ctx, o, opts) {
      const t0 = Date.now();
      const C = o.nClasses;
      const n = o.data.n;
      const init = await initialEncoder(ctx, tasks);
      const plan = await ctx.runner.run(
        'studentPlan',
        { train: o.train, teacher: o.teacher, n, nClasses: C, seed: ctx.config.seed },
        { signal: opts.signal },
      );
      const W = Math.max(1, Math.min(2, ctx.config.workers));
      const networks = Array.from({ length: W }, (_, w) => `finetune-${o.model}-${w}`);
      const merge = combineProgress('train', W, opts.onProgress);
      const runs = await Promise.all(
        networks.map((name, w) =>
          ctx.runner.run(
            'finetune',
            {
              data: o.data,
              train: plan.set,
              nClasses: C,
              epochs: ctx.config.finetuneEpochs,
              seed: ctx.config.seed + 101 + w,
              initFrom: init ? ctx.paths.checkpoint(init) : '',
              checkpointDir: ctx.paths.checkpoint(name),
            },
            { signal: opts.signal, onProgress: merge(w), worker: w },
          ),
        ),
      );
      const logits = await networkLogits(ctx, networks, o.data, opts);
      const cal = await ctx.runner.run(
        'calibrateLogits',
        { logits, n, nClasses: C, calRows: plan.calRows, calY: plan.calY },
        { signal: opts.signal },
      );
      return {
        probs: cal.probs,
        record: {
          networks,
          initFrom: init ?? null,
          epochs: ctx.config.finetuneEpochs,
          temperature: cal.temperature,
          trainedOn: { labels: plan.labels, human: plan.human, pseudo: plan.pseudo },
          calibrationItems: plan.calRows.length,
          estimatedAccuracy: cal.accuracy,
          itemsPerSecond: runs.reduce((s, r) => s + r.itemsPerSecond, 0),
          seconds: (Date.now() - t0) / 1000,
          kind: 'finetuned',
        },
      };
    },
    async predict(ctx, record, data, nClasses, opts) {
      const logits = await networkLogits(ctx, predictingNetworks(record), data, opts);
      const none = new Int32Array(0);
      // The temperature fitted at training time.
      const r = await ctx.runner.run(
        'calibrateLogits',
        { logits, n: data.n, nClasses, calRows: none, calY: none, temperature: record.temperature },
        { signal: opts.signal },
      );
      return r.probs;
    },
  };
}

/** Deletes fine-tuned networks under .selflabel/models that `keep` does not name. */
export async function removeStaleNetworks(modelsDir: string, keep: string[]): Promise<void> {
  let names: string[];
  try {
    names = await fs.readdir(modelsDir);
  } catch {
    return;
  }
  for (const name of names)
    if (name.startsWith('finetune-') && !keep.includes(name)) await fs.rm(path.join(modelsDir, name), { recursive: true, force: true });
}
