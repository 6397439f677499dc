/**
 * The small, fast image encoder and the heads of its pretext tasks, as tf.layers models (so they save and load in
 * the standard tfjs format, see checkpoint.ts).
 *
 * Encoder: stride-2 3×3 convolutions (ReLU, no BatchNorm — it is ~2× slower to train on the wasm backend) that
 * halve the image until it is at most 4×4, then flatten and a dense layer to `dim` features. On 28×28×1 with
 * widths [32, 64, 128]: 28→14→7→4, ~360k parameters, about 1.7 MFLOP per image forward.
 * Heads: the SimCLR projection MLP (dim → hidden → proj) and the 4-way rotation classifier.
 */
import * as tf from '@tensorflow/tfjs';
import { seedOf } from '../../ssl/projection';
export { buildProjectionHead } from '../../ssl/projection';

export interface ImageEncoderConfig {
  size: number;
  channels: 1 | 3;
  /** Output channels of the convolutions; a stride-2 conv is used until the map is ≤ 4×4, then stride 1. */
  widths: number[];
  /** Features out of the encoder (the embedding before L2 normalisation). */
  dim: number;
}

export function defaultImageEncoderConfig(size: number, channels: 1 | 3): ImageEncoderConfig {
  // One stride-2 stage per halving down to 4×4 (28 → 3 stages, 64 → 4 stages), widths doubling from 32.
  const stages = Math.max(2, Math.ceil(Math.log2(size / 4)));
  const widths: number[] = [];
  for (let i = 0; i < stages; i++) widths.push(Math.min(32 << i, 256));
  return { size, channels, widths, dim: 128 };
}

/** Builds a fresh encoder: input [size, size, channels] floats in [0, 1], output [dim]. */
export function buildImageEncoder(cfg: ImageEncoderConfig, seed = 0): tf.Sequential {
  if (!Number.isInteger(cfg.size) || cfg.size < 8) throw new Error(`Image size must be an integer ≥ 8, got ${cfg.size}`);
  const model = tf.sequential({ name: 'image_encoder' });
  let spatial = cfg.size;
  cfg.widths.forEach((w, i) => {
    const stride = spatial > 4 ? 2 : 1;
    model.add(
      tf.layers.conv2d({
        ...(i === 0 ? { inputShape: [cfg.size, cfg.size, cfg.channels] } : {}),
        filters: w,
        kernelSize: 3,
        strides: stride,
        padding: 'same',
        activation: 'relu',
        kernelInitializer: tf.initializers.heNormal({ seed: seedOf(seed, i) }),
        name: `conv${i}`,
      }),
    );
    spatial = Math.ceil(spatial / stride);
  });
  model.add(tf.layers.flatten({ name: 'flatten' }));
  model.add(
    tf.layers.dense({
      units: cfg.dim,
      activation: 'relu',
      kernelInitializer: tf.initializers.heNormal({ seed: seedOf(seed, 100) }),
      name: 'features',
    }),
  );
  return model;
}

/** Classifier head for a pretext task with `classes` outputs (logits). */
export function buildPretextHead(dim: number, classes: number, seed = 0, name = 'pretext_head'): tf.Sequential {
  const m = tf.sequential({ name });
  m.add(
    tf.layers.dense({
      inputShape: [dim],
      units: classes,
      kernelInitializer: tf.initializers.glorotNormal({ seed: seedOf(seed, 300) }),
      name: 'pretext_logits',
    }),
  );
  return m;
}
