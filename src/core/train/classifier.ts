/**
 * The classifier on embeddings: fit with k-fold cross-validation for honest, calibrated confidences, then predict.
 *
 *   fitClassifier({X, n, dim, train: {index, y, weight, holdout?}, nClasses, seed?, signal?, onProgress?})
 *     → ClassifierState (JSON-serialisable)
 *   predict(state, X, n, dim) → {probs (n × C, calibrated), labels, confidence}
 *
 * `train.index` are rows of X; `weight` 1 for human / accepted / corrected labels, < 1 for unreviewed pseudo-labels.
 * Calibration: the rows that may be held out (`holdout[k] = 1`; default: weight ≥ 1) are split into k stratified
 * folds; each fold is predicted by a model trained on everything else (pseudo-labels included), and one temperature
 * is fitted to those out-of-fold logits. `estimatedAccuracy` is the out-of-fold accuracy on the held-out labels and
 * `oof` keeps their calibrated out-of-fold probabilities (used to find human labels the model disagrees with).
 * The final model is trained on all rows.
 */
import type { Progress } from '../types';
import { Rng } from '../models/random';
import { argmaxRows, softmaxRows } from '../util/math';
import { fitCalibrated, heldOutPlan, type CalibrationFields } from './crossval';
import { featureStats, fitNet, netLogitsSync, type NetParams } from './net';

export interface TrainSet {
  index: Int32Array;
  y: Int32Array;
  weight: Float32Array;
  /** 1 where the label may be held out for calibration (human labels); default weight ≥ 1. */
  holdout?: Uint8Array;
}

export interface ClassifierState extends CalibrationFields {
  version: 1;
  kind: string;
  dim: number;
  nClasses: number;
  net: NetParams;
  seed: number;
  /**
   * Set by training when the pool's class priors were estimated (./priors.ts): per class, the factor its
   * probability is multiplied by (then renormalised) for the pool and every other folder.
   */
  priorWeights?: number[];
  /**
   * A candidate trained on the labels that was not chosen (images: the scratch ensemble's record), kept with its
   * networks so that the next train with the same human labels reuses it instead of training it again.
   */
  keptCandidate?: unknown;
}

export interface ClassifierOptions {
  /** Hidden layer sizes ([] = multinomial logistic regression). */
  hidden?: number[];
  l2?: number;
  epochs?: number;
  /** Folds for the out-of-fold calibration (default 5; fewer when there are few labels). */
  folds?: number;
  /**
   * 'feature': z-score each feature (default); 'global': centre, and one scale for all features (keeps the
   * geometry of the embedding, e.g. cosine neighbourhoods).
   */
  standardize?: 'feature' | 'global';
}

export interface FitClassifierOptions extends ClassifierOptions {
  X: Float32Array;
  n: number;
  dim: number;
  train: TrainSet;
  nClasses: number;
  seed?: number;
  signal?: AbortSignal;
  onProgress?: (p: Progress) => void;
}

export const CLASSIFIER_DEFAULTS = { hidden: [] as number[], l2: 1e-3, epochs: 30, folds: 5 };

/** Validates a training set; throws a readable error on bad input. */
export function checkTrainSet(t: TrainSet, n: number, C: number, X: Float32Array, dim: number): void {
  if (!Number.isInteger(dim) || dim < 1) throw new Error(`dim must be a positive integer, got ${dim}`);
  if (X.length < n * dim) throw new Error(`X holds ${X.length} values, need n·dim = ${n * dim}`);
  if (!Number.isInteger(C) || C < 2) throw new Error(`Need at least 2 classes, got ${C}`);
  const m = t.index.length;
  if (t.y.length !== m || t.weight.length !== m || (t.holdout && t.holdout.length !== m)) {
    throw new Error('train.index, train.y, train.weight (and holdout) must have the same length');
  }
  for (let k = 0; k < m; k++) {
    if (!(t.index[k] >= 0 && t.index[k] < n)) throw new Error(`train.index[${k}] = ${t.index[k]} is not a row of X (n = ${n})`);
    if (!(t.y[k] >= 0 && t.y[k] < C)) throw new Error(`train.y[${k}] = ${t.y[k]} is not a class (nClasses = ${C})`);
    if (!(t.weight[k] >= 0) || !Number.isFinite(t.weight[k])) throw new Error(`train.weight[${k}] = ${t.weight[k]} must be finite and ≥ 0`);
  }
}

export { stratifiedFolds } from './crossval';

function oneHot(y: Int32Array, C: number): Float32Array {
  const t = new Float32Array(y.length * C);
  for (let i = 0; i < y.length; i++) t[i * C + y[i]] = 1;
  return t;
}

function pick<T extends Int32Array | Float32Array>(a: T, keep: number[]): T {
  const Ctor = a.constructor as { new (n: number): T };
  const out = new Ctor(keep.length);
  keep.forEach((k, j) => (out[j] = a[k]));
  return out;
}

/** Fits the calibrated classifier; see the module comment. */
export async function fitClassifier(o: FitClassifierOptions): Promise<ClassifierState> {
  const C = o.nClasses;
  checkTrainSet(o.train, o.n, C, o.X, o.dim);
  const seed = o.seed ?? 1;
  const rng = new Rng(seed);
  const hidden = o.hidden ?? CLASSIFIER_DEFAULTS.hidden;
  const l2 = o.l2 ?? CLASSIFIER_DEFAULTS.l2;
  const epochs = o.epochs ?? CLASSIFIER_DEFAULTS.epochs;
  const t = o.train;
  const m = t.index.length;
  if (m === 0) throw new Error('No labelled items to train on.');
  const standardize = featureStats(o.X, o.n, o.dim);
  if (o.standardize === 'global') {
    // One scale for every feature: 1 / RMS of the per-feature standard deviations.
    let v = 0;
    for (const s of standardize.invStd) v += 1 / (s * s);
    const g = 1 / Math.sqrt(v / o.dim);
    standardize.invStd = standardize.invStd.map(() => g);
  }
  const plan = heldOutPlan(t, o.folds ?? CLASSIFIER_DEFAULTS.folds);
  const totalFits = plan.fits;
  let fitsDone = 0;
  const t0 = Date.now();
  const progress = (step: number, total: number, loss: number) => {
    const done = fitsDone + step / total;
    const el = (Date.now() - t0) / 1000;
    o.onProgress?.({
      stage: 'train',
      done: Math.round(done * 100),
      total: totalFits * 100,
      etaSeconds: (el / done) * (totalFits - done),
      loss,
    });
  };
  const fit = async (keep: number[]) => {
    const net = await fitNet({
      X: o.X,
      n: o.n,
      dim: o.dim,
      rows: pick(t.index, keep),
      targets: oneHot(pick(t.y, keep), C),
      weights: pick(t.weight, keep),
      nClasses: C,
      hidden,
      l2,
      epochs,
      standardize,
      seed: rng.seed(),
      signal: o.signal,
      onStep: progress,
    });
    fitsDone++;
    return net;
  };
  const { model: net, calibration } = await fitCalibrated({
    plan,
    index: t.index,
    y: t.y,
    nClasses: C,
    rng,
    fit,
    logitsOf: (net, rows) => netLogitsSync(net, o.X, o.n, o.dim, rows),
  });
  return {
    version: 1,
    kind: hidden.length ? 'mlp' : 'softmax',
    dim: o.dim,
    nClasses: C,
    net,
    ...calibration,
    seed,
  };
}

export interface Prediction {
  /** n × C calibrated probabilities. */
  probs: Float32Array;
  labels: Int32Array;
  confidence: Float32Array;
}

/** Calibrated predictions for all n rows of X. */
export function predict(state: ClassifierState, X: Float32Array, n: number, dim: number): Prediction {
  if (!state || state.version !== 1 || !state.net) throw new Error('Not a classifier state (train again).');
  if (state.dim !== dim) throw new Error(`The classifier expects ${state.dim}-dim embeddings, got ${dim}: train again.`);
  const C = state.nClasses;
  const probs = softmaxRows(netLogitsSync(state.net, X, n, dim), n, C, state.temperature);
  return { probs, ...argmaxRows(probs, n, C) };
}
export { argmaxRows } from '../util/math';
