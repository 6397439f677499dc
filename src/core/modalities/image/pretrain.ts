/**
 * Self-supervised pretraining of the image encoder, and embedding with it.
 *
 *   pretrainImageEncoder({pixels, n, size, channels, task: 'simclr' | 'rotation', epochs, checkpointDir, resume,
 *                         batchSize?, seed?, maxSeconds?, signal?, onProgress?}) → PretrainResult
 *   embedImages({checkpointDir, pixels, n, size, channels, batchSize?, signal?, onProgress?})
 *     → {embeddings: Float32Array (n × dim, rows L2-normalised), dim}
 *
 * 'simclr': two strongly augmented views of each item (random resized crop, translation, small rotation, contrast,
 * brightness, noise, cut-out; flips only for colour images), encoder → projection MLP → NT-Xent.
 * 'rotation': each item rotated by a random multiple of 90° (after mild augmentation); a linear head predicts which.
 * Pixels are HWC Uint8Array 0..255 (may be a view on a SharedArrayBuffer). Checkpointing, resume, cancel, time
 * limit and progress are handled by ./loop.ts. Uses whatever tfjs backend is active (see src/core/backend).
 */
import * as tf from '@tensorflow/tfjs';
import type { Progress } from '../../types';
import { AbortError } from '../../util/progress';
import { l2NormalizeInPlace } from '../../util/math';
import { loadModel } from '../../models/checkpoint';
import { buildImageEncoder, buildPretextHead, buildProjectionHead, defaultImageEncoderConfig, type ImageEncoderConfig } from './encoder';
import { augmentImage, contrastiveAugment, mildAugment, pixelsToFloat, type AugmentOptions } from './augment';
import { ntXentLoss } from '../../ssl/ntxent';
import { runPretext, type PretrainOptions, type PretrainResult, type TaskSpec } from '../../ssl/loop';
import { toNetworkSide } from './shrink';

export type ImageTask = 'simclr' | 'rotation';
export type { PretrainResult } from '../../ssl/loop';

export interface PretrainImageOptions extends PretrainOptions {
  pixels: Uint8Array;
  n: number;
  size: number;
  channels: 1 | 3;
  task: ImageTask;
  /** Tuning knobs (defaults are the tuned values). */
  encoder?: Partial<ImageEncoderConfig>;
  temperature?: number;
  augment?: Partial<AugmentOptions>;
  projectionDim?: number;
}

export const IMAGE_DEFAULTS = {
  simclr: { batchSize: 256, learningRate: 2e-3, temperature: 0.5, projectionDim: 64 },
  rotation: { batchSize: 128, learningRate: 1e-3 },
} as const;

function checkPixels(pixels: Uint8Array, n: number, size: number, channels: number): void {
  if (!(pixels instanceof Uint8Array)) throw new TypeError('pixels must be a Uint8Array');
  if (!Number.isInteger(n) || n < 0) throw new Error(`n must be a non-negative integer, got ${n}`);
  if (channels !== 1 && channels !== 3) throw new Error(`channels must be 1 or 3, got ${channels}`);
  if (pixels.length < n * size * size * channels) {
    throw new Error(`pixels hold ${pixels.length} bytes, need n·size·size·channels = ${n * size * size * channels}`);
  }
}

/** Pretrains (or resumes) the image encoder with one pretext task; see the module comment. */
export async function pretrainImageEncoder(o: PretrainImageOptions): Promise<PretrainResult> {
  checkPixels(o.pixels, o.n, o.size, o.channels);
  if (o.task !== 'simclr' && o.task !== 'rotation') throw new Error(`Unknown image pretext task "${o.task}" (simclr or rotation).`);
  const seed = o.seed ?? 1;
  const enc: ImageEncoderConfig = { ...defaultImageEncoderConfig(o.size, o.channels), ...o.encoder, size: o.size, channels: o.channels };
  const per = o.size * o.size * o.channels;
  const shape = (b: number): [number, number, number, number] => [b, o.size, o.size, o.channels];

  let spec: TaskSpec;
  let config: unknown;
  let batchSize: number;
  let learningRate: number;
  if (o.task === 'simclr') {
    const d = IMAGE_DEFAULTS.simclr;
    const temperature = o.temperature ?? d.temperature;
    const projectionDim = o.projectionDim ?? d.projectionDim;
    const aug: AugmentOptions = { ...contrastiveAugment(o.channels), ...o.augment };
    batchSize = o.batchSize ?? d.batchSize;
    learningRate = o.learningRate ?? d.learningRate;
    config = { enc, temperature, projectionDim, aug, learningRate };
    let v1 = new Float32Array(0);
    let v2 = new Float32Array(0);
    spec = {
      names: ['model', 'projection'],
      create: () => ({ model: buildImageEncoder(enc, seed), projection: buildProjectionHead(enc.dim, enc.dim, projectionDim, seed) }),
      prepare: (m, items, rng) => {
        const b = items.length;
        if (v1.length !== b * per) {
          v1 = new Float32Array(b * per);
          v2 = new Float32Array(b * per);
        }
        for (let i = 0; i < b; i++) {
          augmentImage(o.pixels, items[i], o.size, o.channels, v1, i * per, aug, rng);
          augmentImage(o.pixels, items[i], o.size, o.channels, v2, i * per, aug, rng);
        }
        return () => {
          const x = tf.concat([tf.tensor4d(v1, shape(b)), tf.tensor4d(v2, shape(b))], 0);
          const z = m.projection.apply(m.model.apply(x, { training: true }), { training: true }) as tf.Tensor2D;
          const [z1, z2] = tf.split(z, 2, 0) as [tf.Tensor2D, tf.Tensor2D];
          return ntXentLoss(z1, z2, temperature);
        };
      },
    };
  } else {
    const d = IMAGE_DEFAULTS.rotation;
    const aug: AugmentOptions = { ...mildAugment(o.channels), ...o.augment };
    batchSize = o.batchSize ?? d.batchSize;
    learningRate = o.learningRate ?? d.learningRate;
    config = { enc, aug, learningRate };
    let v = new Float32Array(0);
    let y = new Int32Array(0);
    spec = {
      names: ['model', 'rotation_head'],
      create: () => ({ model: buildImageEncoder(enc, seed), rotation_head: buildPretextHead(enc.dim, 4, seed, 'rotation_head') }),
      prepare: (m, items, rng) => {
        const b = items.length;
        if (v.length !== b * per) {
          v = new Float32Array(b * per);
          y = new Int32Array(b);
        }
        for (let i = 0; i < b; i++) {
          y[i] = rng.int(4);
          augmentImage(o.pixels, items[i], o.size, o.channels, v, i * per, aug, rng, y[i]);
        }
        return () => {
          const logits = m.rotation_head.apply(m.model.apply(tf.tensor4d(v, shape(b)), { training: true })) as tf.Tensor2D;
          return tf.losses.softmaxCrossEntropy(tf.oneHot(tf.tensor1d(y, 'int32'), 4), logits) as tf.Scalar;
        };
      },
    };
  }
  return runPretext(o, { modality: 'image', task: o.task, n: o.n, batchSize, learningRate, config }, spec);
}

export interface EmbedImagesOptions {
  checkpointDir: string;
  pixels: Uint8Array;
  n: number;
  size: number;
  channels: 1 | 3;
  batchSize?: number;
  signal?: AbortSignal;
  onProgress?: (p: Progress) => void;
}

/**
 * Runs `net` over the n images in batches (pixels scaled to [0, 1]) and returns its outputs, n × outDim row-major,
 * after checking the encoder takes images of this size: images decoded at a multiple of the side the network was
 * trained at (an encoder pretrained at geometry.ts `pretrainSide`) are shrunk to it first. Cancellable between
 * batches; reports progress.
 */
export async function inferImages(
  given: EmbedImagesOptions,
  encoder: tf.LayersModel,
  net: (x: tf.Tensor4D) => tf.Tensor,
  outDim: number,
  progress: Pick<Progress, 'stage' | 'message'>,
  /** What to tell the user to do when the network was made for other images. */
  remedy: string,
): Promise<Float32Array> {
  checkPixels(given.pixels, given.n, given.size, given.channels);
  const inShape = encoder.inputs[0].shape;
  const o = { ...given, ...toNetworkSide(given, inShape) };
  if (inShape[1] !== o.size || inShape[2] !== o.size || inShape[3] !== o.channels) {
    throw new Error(
      `The network in ${o.checkpointDir} takes ${inShape[1]}×${inShape[2]}×${inShape[3]} images, got ${o.size}×${o.size}×${o.channels}: ${remedy}.`,
    );
  }
  const out = new Float32Array(o.n * outDim);
  const per = o.size * o.size * o.channels;
  const B = o.batchSize ?? 512;
  const buf = new Float32Array(B * per);
  const t0 = Date.now();
  for (let s = 0; s < o.n; s += B) {
    if (o.signal?.aborted) throw new AbortError();
    const b = Math.min(B, o.n - s);
    pixelsToFloat(o.pixels, s, b, per, buf);
    const y = tf.tidy(() => net(tf.tensor4d(buf.subarray(0, b * per), [b, o.size, o.size, o.channels])));
    out.set(await y.data(), s * outDim);
    y.dispose();
    const done = s + b;
    const el = (Date.now() - t0) / 1000;
    o.onProgress?.({ ...progress, done, total: o.n, etaSeconds: (el / done) * (o.n - done) });
    await new Promise<void>((r) => setImmediate(r));
  }
  return out;
}

/** Embeds images with the encoder saved in `checkpointDir`; rows are L2-normalised. */
export async function embedImages(o: EmbedImagesOptions): Promise<{ embeddings: Float32Array; dim: number }> {
  checkPixels(o.pixels, o.n, o.size, o.channels);
  const model = await loadModel(o.checkpointDir, 'model');
  try {
    const dim = model.outputs[0].shape[1] as number;
    const out = await inferImages(o, model, (x) => model.predict(x) as tf.Tensor, dim, { stage: 'embed' }, 'pretrain again');
    return { embeddings: l2NormalizeInPlace(out, o.n, dim), dim };
  } finally {
    model.dispose();
  }
}
