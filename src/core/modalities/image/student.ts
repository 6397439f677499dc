/**
 * End-to-end student CNN trained on (pseudo-)labelled images, the self-training step for images:
 *
 *   trainImageStudent({pixels, n, size, channels, train: {index, y, weight}, nClasses, epochs, checkpointDir,
 *                      initFrom?, seed?, signal?, onProgress?}) → {seconds, itemsPerSecond, finalLoss}
 *
 * The student is the image encoder of ../models/imageEncoder.ts (optionally initialised from a pretrained encoder
 * checkpoint, e.g. the SimCLR one) plus a linear softmax head, trained with mild augmentations on human labels
 * (weight 1) and confident pseudo-labels (weight < 1). Training a fresh network on noisy pseudo-labels with
 * augmentation ("noisy student") corrects many of the teacher's mistakes. The result is saved like a pretext
 * checkpoint (model.json + weights.bin = the encoder, student_head.json, state.json), so `embedImages` gives its
 * features and the calibrated classifier (fitClassifier) is fitted on those as for any other encoder.
 */
import * as tf from '@tensorflow/tfjs';
import * as path from 'node:path';
import type { Progress } from '../../types';
import { AbortError } from '../../util/progress';
import { writeJson } from '../../util/files';
import { Rng, permutation } from '../../models/random';
import { loadModel, saveModel } from '../../models/checkpoint';
import { buildImageEncoder, buildPretextHead, defaultImageEncoderConfig, type ImageEncoderConfig } from './encoder';
import { augmentImage, contrastiveAugment, mildAugment, type AugmentOptions } from './augment';
import { inferImages, type EmbedImagesOptions } from './pretrain';
import { argmaxRow } from '../../util/math';
import { toNetworkSide } from './shrink';

/**
 * FixMatch-style consistency on unlabelled pool images (Sohn et al. 2020): each step also draws `ratio` × the
 * labelled batch from `index`; the network's prediction on a weakly augmented view of each (no gradient) becomes
 * its pseudo-label where its confidence is at least `threshold`, and trains the strongly augmented view of the same
 * image with weight `weight` (the loss is averaged over the whole unlabelled batch, so few confident images weigh
 * little).
 */
export interface ConsistencyOptions {
  index: Int32Array;
  ratio: number;
  threshold: number;
  weight: number;
  /** The strong view (default: the contrastive views' augmentations). */
  strong?: Partial<AugmentOptions>;
}

/**
 * The rows of an n × C probability matrix (row-major) whose top class reaches `threshold`: their positions and
 * classes (FixMatch's mask and pseudo-labels).
 */
export function confidentRows(probs: Float32Array, n: number, C: number, threshold: number): { rows: number[]; y: number[] } {
  const rows: number[] = [];
  const y: number[] = [];
  for (let i = 0; i < n; i++) {
    const best = argmaxRow(probs, i, C);
    if (probs[i * C + best] >= threshold) {
      rows.push(i);
      y.push(best);
    }
  }
  return { rows, y };
}

export interface TrainStudentOptions {
  pixels: Uint8Array;
  n: number;
  size: number;
  channels: 1 | 3;
  train: { index: Int32Array; y: Int32Array; weight: Float32Array };
  nClasses: number;
  epochs: number;
  checkpointDir: string;
  /** A pretrained encoder checkpoint to start from (its architecture is used). */
  initFrom?: string;
  encoder?: Partial<ImageEncoderConfig>;
  batchSize?: number;
  learningRate?: number;
  augment?: Partial<AugmentOptions>;
  seed?: number;
  maxSeconds?: number;
  /** Consistency on unlabelled pool images (FixMatch); none by default. */
  consistency?: ConsistencyOptions;
  signal?: AbortSignal;
  onProgress?: (p: Progress) => void;
}

export interface TrainStudentResult {
  epochs: number;
  seconds: number;
  itemsPerSecond: number;
  finalLoss: number;
  /** With consistency: the share of unlabelled images (over all steps) confident enough to teach their strong view. */
  maskRate?: number;
}

/** Trains the student CNN and saves it in checkpointDir; see the module comment. */
export async function trainImageStudent(given: TrainStudentOptions): Promise<TrainStudentResult> {
  const per0 = given.size * given.size * given.channels;
  if (given.pixels.length < given.n * per0) throw new Error(`pixels hold ${given.pixels.length} bytes, need ${given.n * per0}`);
  const m = given.train.index.length;
  if (m < 2) throw new Error('The student needs at least 2 labelled items.');
  for (let k = 0; k < m; k++) {
    if (!(given.train.index[k] >= 0 && given.train.index[k] < given.n)) throw new Error(`train.index[${k}] out of range`);
    if (!(given.train.y[k] >= 0 && given.train.y[k] < given.nClasses)) throw new Error(`train.y[${k}] out of range`);
  }
  const seed = given.seed ?? 1;
  let encoder: tf.LayersModel;
  if (given.initFrom) encoder = await loadModel(given.initFrom, 'model');
  else {
    const { size, channels } = given;
    encoder = buildImageEncoder({ ...defaultImageEncoderConfig(size, channels), ...given.encoder, size, channels }, seed);
  }
  // A pretrained encoder may take a smaller side than the images are decoded at (geometry.ts pretrainSide).
  const o = { ...given, ...toNetworkSide(given, encoder.inputs[0].shape) };
  const { size, channels } = o;
  const per = size * size * channels;
  const rng = new Rng(seed);
  const inShape = encoder.inputs[0].shape;
  if (inShape[1] !== size || inShape[2] !== size || inShape[3] !== channels) {
    encoder.dispose();
    throw new Error(`The encoder in ${o.initFrom} takes ${inShape.slice(1).join('×')} images, got ${size}×${size}×${channels}.`);
  }
  const dim = encoder.outputs[0].shape[1] as number;
  const head = buildPretextHead(dim, o.nClasses, seed, 'student_head');
  const aug: AugmentOptions = { ...mildAugment(channels), ...o.augment };
  const B = Math.min(o.batchSize ?? 128, m);
  const batches = Math.max(1, Math.floor(m / B));
  const total = batches * o.epochs;
  const lr0 = o.learningRate ?? 1e-3;
  const optimizer = tf.train.adam(lr0);
  const vars = [...encoder.trainableWeights, ...head.trainableWeights].map((w) => w.read() as tf.Variable);
  const xb = new Float32Array(B * per);
  const yb = new Int32Array(B);
  const wb = new Float32Array(B);
  const cons =
    o.consistency && o.consistency.index.length && o.consistency.ratio > 0 && o.consistency.weight > 0 ? o.consistency : undefined;
  if (cons) {
    for (let k = 0; k < cons.index.length; k++)
      if (!(cons.index[k] >= 0 && cons.index[k] < o.n)) throw new Error(`consistency.index[${k}] out of range`);
    if (!(cons.threshold > 0 && cons.threshold <= 1)) throw new Error(`consistency.threshold must be in (0, 1], got ${cons.threshold}`);
  }
  const U = cons ? Math.max(1, Math.round(cons.ratio * B)) : 0;
  const strong: AugmentOptions = { ...contrastiveAugment(channels), ...cons?.strong };
  const ub = new Float32Array(U * per);
  const urow = new Int32Array(U);
  let uperm = cons ? permutation(cons.index.length, rng) : new Int32Array(0);
  let uat = 0;
  let masked = 0;
  let drawn = 0;
  const t0 = Date.now();
  let step = 0;
  let lossSum = 0;
  let lossCount = 0;
  let lastLoss = NaN;
  let items = 0;
  try {
    outer: for (let e = 0; e < o.epochs; e++) {
      const perm = permutation(m, rng);
      lossSum = 0;
      lossCount = 0;
      for (let b = 0; b < batches; b++) {
        if (o.signal?.aborted) throw new AbortError();
        if (o.maxSeconds !== undefined && (Date.now() - t0) / 1000 > o.maxSeconds) break outer;
        for (let j = 0; j < B; j++) {
          const k = perm[b * B + j];
          augmentImage(o.pixels, o.train.index[k], size, channels, xb, j * per, aug, rng);
          yb[j] = o.train.y[k];
          wb[j] = o.train.weight[k];
        }
        const p = step / Math.max(1, total - 1);
        (optimizer as unknown as { learningRate: number }).learningRate = lr0 * (0.05 + 0.95 * 0.5 * (1 + Math.cos(Math.PI * p)));
        // Consistency: the weak views' confident predictions (no gradient) label the strong views of the same images.
        let strongX: tf.Tensor4D | undefined;
        let strongY: Int32Array | undefined;
        if (cons) {
          for (let j = 0; j < U; j++) {
            if (uat >= uperm.length) {
              uperm = permutation(cons.index.length, rng);
              uat = 0;
            }
            urow[j] = cons.index[uperm[uat++]];
            augmentImage(o.pixels, urow[j], size, channels, ub, j * per, aug, rng);
          }
          const probs = tf.tidy(() =>
            tf.softmax(head.apply(encoder.apply(tf.tensor4d(ub, [U, size, size, channels]), { training: false })) as tf.Tensor2D),
          );
          const conf = confidentRows((await probs.data()) as Float32Array, U, o.nClasses, cons.threshold);
          probs.dispose();
          drawn += U;
          masked += conf.rows.length;
          if (conf.rows.length) {
            const sb = new Float32Array(conf.rows.length * per);
            conf.rows.forEach((j, q) => augmentImage(o.pixels, urow[j], size, channels, sb, q * per, strong, rng));
            strongX = tf.tensor4d(sb, [conf.rows.length, size, size, channels]);
            strongY = Int32Array.from(conf.y);
          }
        }
        const lossT = optimizer.minimize(
          () => {
            const logits = head.apply(encoder.apply(tf.tensor4d(xb, [B, size, size, channels]), { training: true })) as tf.Tensor2D;
            const ce = tf.losses.softmaxCrossEntropy(
              tf.oneHot(tf.tensor1d(yb, 'int32'), o.nClasses),
              logits,
              tf.tensor1d(wb),
              0,
              tf.Reduction.NONE,
            );
            const sup = tf.div(tf.sum(ce), tf.maximum(tf.sum(tf.tensor1d(wb)), 1e-6)) as tf.Scalar;
            if (!strongX || !strongY || !cons) return sup;
            const su = head.apply(encoder.apply(strongX, { training: true })) as tf.Tensor2D;
            const cu = tf.losses.softmaxCrossEntropy(
              tf.oneHot(tf.tensor1d(strongY, 'int32'), o.nClasses),
              su,
              undefined,
              0,
              tf.Reduction.NONE,
            );
            return tf.add(sup, tf.mul(cons.weight / U, tf.sum(cu))) as tf.Scalar;
          },
          true,
          vars,
        );
        strongX?.dispose();
        lastLoss = lossT ? (await lossT.data())[0] : NaN;
        lossT?.dispose();
        lossSum += lastLoss;
        lossCount++;
        step++;
        items += B;
        const el = (Date.now() - t0) / 1000;
        o.onProgress?.({
          stage: 'train',
          done: step,
          total,
          etaSeconds: (el / step) * (total - step),
          loss: lastLoss,
          message: 'fine-tuning the encoder',
        });
        await new Promise<void>((r) => setImmediate(r));
      }
    }
    await saveModel(encoder, o.checkpointDir, 'model');
    await saveModel(head, o.checkpointDir, 'student_head');
    const seconds = (Date.now() - t0) / 1000;
    const result = {
      epochs: step / batches,
      seconds,
      itemsPerSecond: items / Math.max(1e-3, seconds),
      finalLoss: lossCount ? lossSum / lossCount : lastLoss,
      ...(cons ? { maskRate: masked / Math.max(1, drawn) } : {}),
    };
    await writeJson(path.join(o.checkpointDir, 'state.json'), {
      version: 1,
      modality: 'image',
      task: 'student',
      epochsDone: result.epochs,
      complete: true,
      trainedOn: m,
      initFrom: o.initFrom ?? null,
      ...result,
      savedAt: new Date().toISOString(),
    });
    return result;
  } finally {
    optimizer.dispose();
    encoder.dispose();
    head.dispose();
  }
}

/** The student's logits (n × classes, row-major) for the n images, from a checkpoint saved by trainImageStudent. */
export async function studentLogits(o: EmbedImagesOptions): Promise<{ logits: Float32Array; nClasses: number }> {
  const encoder = await loadModel(o.checkpointDir, 'model');
  let head: tf.LayersModel | undefined;
  try {
    const h = (head = await loadModel(o.checkpointDir, 'student_head'));
    const C = h.outputs[0].shape[1] as number;
    const logits = await inferImages(
      o,
      encoder,
      (x) => h.apply(encoder.apply(x, { training: false })) as tf.Tensor,
      C,
      {
        stage: 'train',
        message: 'fine-tuned network: predicting',
      },
      'train again',
    );
    return { logits, nClasses: C };
  } finally {
    encoder.dispose();
    head?.dispose();
  }
}
