/**
 * Self-supervised pretraining of the audio encoder on log-mel spectrograms, and embedding with it (tfjs; worker only).
 *
 * 'contrastive': two augmented views of each clip (time shift, gain, mixed noise, SpecAugment time and frequency
 *   masks; ./spec.ts), encoder → projection MLP → NT-Xent.
 * 'masked': blocks of about 30% of the frames of a mildly augmented view are blanked; a decoder from the embedding
 *   reconstructs the (2×2 pooled) spectrogram, the loss is the squared error on the blanked frames only.
 * Checkpoints, resume, cancel, time limit and progress: src/core/ssl/loop.ts.
 */
import * as tf from '@tensorflow/tfjs';
import type { Progress } from '../../types';
import { AbortError } from '../../util/progress';
import { l2NormalizeInPlace } from '../../util/math';
import { loadModel } from '../../models/checkpoint';
import { ntXentLoss } from '../../ssl/ntxent';
import { runPretextLoop, type PretrainOptions, type PretrainResult, type TaskSpec } from '../../ssl/loop';
import { buildAudioEncoder, buildMaskDecoder, buildProjectionHead, defaultAudioEncoderConfig, type AudioEncoderConfig } from './encoder';
import { CONTRASTIVE_AUGMENT, MILD_AUGMENT, augmentSpec, maskFrameBlocks, pool2x2, standardizeInto, type SpecAugmentOptions } from './spec';

export type AudioTask = 'contrastive' | 'masked';

export interface PretrainAudioOptions extends PretrainOptions {
  /** n × frames × mels log-mel values (may be a view on a SharedArrayBuffer). */
  spec: Float32Array;
  n: number;
  frames: number;
  mels: number;
  task: AudioTask;
  encoder?: Partial<AudioEncoderConfig>;
  temperature?: number;
  augment?: Partial<SpecAugmentOptions>;
}

export const AUDIO_DEFAULTS = {
  contrastive: { batchSize: 128, learningRate: 2e-3, temperature: 0.5, projectionDim: 64 },
  masked: { batchSize: 64, learningRate: 1e-3, ratio: 0.3, maxBlock: 10 },
} as const;

function checkSpec(o: { spec: Float32Array; n: number; frames: number; mels: number }): void {
  if (!(o.spec instanceof Float32Array)) throw new TypeError('spec must be a Float32Array');
  if (!Number.isInteger(o.n) || o.n < 0) throw new Error(`n must be a non-negative integer, got ${o.n}`);
  if (o.spec.length < o.n * o.frames * o.mels)
    throw new Error(`spec holds ${o.spec.length} values, need n·frames·mels = ${o.n * o.frames * o.mels}`);
}

export async function pretrainAudioEncoder(o: PretrainAudioOptions): Promise<PretrainResult> {
  checkSpec(o);
  if (o.task !== 'contrastive' && o.task !== 'masked') throw new Error(`Unknown audio pretext task "${o.task}" (contrastive or masked).`);
  const seed = o.seed ?? 1;
  const { frames, mels } = o;
  const enc: AudioEncoderConfig = { ...defaultAudioEncoderConfig(frames, mels), ...o.encoder, frames, mels };
  const per = frames * mels;
  const shape = (b: number): [number, number, number, number] => [b, frames, mels, 1];
  let spec: TaskSpec;
  let config: unknown;
  let batchSize: number;
  let learningRate: number;
  if (o.task === 'contrastive') {
    const d = AUDIO_DEFAULTS.contrastive;
    const temperature = o.temperature ?? d.temperature;
    const aug: SpecAugmentOptions = { ...CONTRASTIVE_AUGMENT, ...o.augment };
    batchSize = o.batchSize ?? d.batchSize;
    learningRate = o.learningRate ?? d.learningRate;
    config = { enc, temperature, projectionDim: d.projectionDim, aug, learningRate };
    let v = new Float32Array(0);
    const tmp = new Float32Array(per);
    spec = {
      names: ['model', 'projection'],
      create: () => ({ model: buildAudioEncoder(enc, seed), projection: buildProjectionHead(enc.dim, enc.dim, d.projectionDim, seed) }),
      prepare: (m, items, rng) => {
        const b = items.length;
        if (v.length !== 2 * b * per) v = new Float32Array(2 * b * per);
        for (let i = 0; i < b; i++) {
          augmentSpec(o.spec, items[i], frames, mels, aug, rng, tmp, v, i * per);
          augmentSpec(o.spec, items[i], frames, mels, aug, rng, tmp, v, (b + i) * per);
        }
        return () => {
          const z = m.projection.apply(m.model.apply(tf.tensor4d(v, shape(2 * b)), { training: true }), { training: true }) as tf.Tensor2D;
          const [z1, z2] = tf.split(z, 2, 0) as [tf.Tensor2D, tf.Tensor2D];
          return ntXentLoss(z1, z2, temperature);
        };
      },
    };
  } else {
    const d = AUDIO_DEFAULTS.masked;
    const aug: SpecAugmentOptions = { ...MILD_AUGMENT, ...o.augment };
    batchSize = o.batchSize ?? d.batchSize;
    learningRate = o.learningRate ?? d.learningRate;
    config = { enc, aug, ratio: d.ratio, maxBlock: d.maxBlock, learningRate };
    const F = Math.ceil(frames / 2);
    const M = Math.ceil(mels / 2);
    let v = new Float32Array(0);
    let target = new Float32Array(0);
    let w = new Float32Array(0);
    const tmp = new Float32Array(per);
    const mask = new Float32Array(frames);
    spec = {
      names: ['model', 'mask_decoder'],
      create: () => ({ model: buildAudioEncoder(enc, seed), mask_decoder: buildMaskDecoder(enc.dim, F * M, seed) }),
      prepare: (m, items, rng) => {
        const b = items.length;
        if (v.length !== b * per) {
          v = new Float32Array(b * per);
          target = new Float32Array(b * F * M);
          w = new Float32Array(b * F * M);
        }
        for (let i = 0; i < b; i++) {
          augmentSpec(o.spec, items[i], frames, mels, aug, rng, tmp, v, i * per);
          pool2x2(v, i * per, frames, mels, target, i * F * M);
          maskFrameBlocks(v, i * per, frames, mels, d.ratio, d.maxBlock, rng, mask, 0);
          for (let a = 0; a < F; a++) {
            const on = mask[2 * a] || (2 * a + 1 < frames && mask[2 * a + 1]) ? 1 : 0;
            w.fill(on, i * F * M + a * M, i * F * M + (a + 1) * M);
          }
        }
        return () => {
          const pred = m.mask_decoder.apply(m.model.apply(tf.tensor4d(v, shape(b)), { training: true }), { training: true }) as tf.Tensor2D;
          const wt = tf.tensor2d(w, [b, F * M]);
          const err = tf.mul(tf.squaredDifference(pred, tf.tensor2d(target, [b, F * M])), wt);
          return tf.div(tf.sum(err), tf.maximum(tf.sum(wt), 1)) as tf.Scalar;
        };
      },
    };
  }
  return runPretextLoop(
    {
      checkpointDir: o.checkpointDir,
      n: o.n,
      epochs: o.epochs,
      batchSize,
      seed,
      resume: o.resume ?? false,
      maxSeconds: o.maxSeconds,
      signal: o.signal,
      onProgress: o.onProgress,
      dataParallel: o.dataParallel,
      yieldFlag: o.yieldFlag,
      modality: 'audio',
      task: o.task,
      config,
      learningRate,
    },
    spec,
  );
}

export interface EmbedAudioOptions {
  checkpointDir: string;
  spec: Float32Array;
  n: number;
  frames: number;
  mels: number;
  batchSize?: number;
  signal?: AbortSignal;
  onProgress?: (p: Progress) => void;
}

/** Runs `net` over the n standardised clips in batches; n × outDim row-major. */
export async function inferAudio(
  o: EmbedAudioOptions,
  encoder: tf.LayersModel,
  net: (x: tf.Tensor4D) => tf.Tensor,
  outDim: number,
  progress: Pick<Progress, 'stage' | 'message'>,
): Promise<Float32Array> {
  checkSpec(o);
  const inShape = encoder.inputs[0].shape;
  if (inShape[1] !== o.frames || inShape[2] !== o.mels)
    throw new Error(
      `The network in ${o.checkpointDir} takes ${inShape[1]}×${inShape[2]} spectrograms, got ${o.frames}×${o.mels}: pretrain again.`,
    );
  const per = o.frames * o.mels;
  const out = new Float32Array(o.n * outDim);
  const B = o.batchSize ?? 256;
  const buf = new Float32Array(B * per);
  const t0 = Date.now();
  for (let s = 0; s < o.n; s += B) {
    if (o.signal?.aborted) throw new AbortError();
    const b = Math.min(B, o.n - s);
    for (let i = 0; i < b; i++) standardizeInto(o.spec, (s + i) * per, per, buf, i * per);
    const y = tf.tidy(() => net(tf.tensor4d(buf.subarray(0, b * per), [b, o.frames, o.mels, 1])));
    out.set(await y.data(), s * outDim);
    y.dispose();
    const done = s + b;
    o.onProgress?.({ ...progress, done, total: o.n, etaSeconds: (((Date.now() - t0) / 1000) * (o.n - done)) / done });
    await new Promise<void>((r) => setImmediate(r));
  }
  return out;
}

/**
 * Embeds clips with the encoder saved in `checkpointDir`: the mean and the standard deviation over time of its last
 * convolution's maps (statistics pooling, as in x-vectors: it keeps what a clip holds whatever its timing), rows
 * L2-normalised. Measured on audio-speakers (1,200 clips, 10 labels per speaker, logistic regression, test): the
 * dense features of an encoder at random init 21.1%, these statistics 54.7%.
 */
export async function embedAudio(o: EmbedAudioOptions): Promise<{ embeddings: Float32Array; dim: number }> {
  const model = await loadModel(o.checkpointDir, 'model');
  try {
    const convs = model.layers.filter((l) => l.getClassName() === 'Conv2D');
    if (!convs.length) throw new Error(`The network in ${o.checkpointDir} has no convolution: pretrain again.`);
    const last = convs[convs.length - 1];
    const maps = tf.model({ inputs: model.inputs, outputs: last.output as tf.SymbolicTensor });
    const shape = last.outputShape as number[];
    const dim = 2 * shape[2] * shape[3];
    const pooled = (x: tf.Tensor4D) => {
      const c = maps.predict(x) as tf.Tensor4D;
      const { mean, variance } = tf.moments(c, 1);
      const n = x.shape[0];
      return tf.concat([mean.reshape([n, -1]), tf.sqrt(tf.add(variance, 1e-6)).reshape([n, -1])], 1);
    };
    const out = l2NormalizeInPlace(await inferAudio(o, model, pooled, dim, { stage: 'embed' }), o.n, dim);
    return { embeddings: out, dim };
  } finally {
    model.dispose();
  }
}
