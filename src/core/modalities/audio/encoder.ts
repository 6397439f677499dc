/**
 * The small CNN encoder on log-mel spectrograms, and the decoder of the masked-frame task, as tf.layers models (they
 * save and load in the standard tfjs format, see checkpoint.ts).
 *
 * Input [frames, mels, 1] (each clip standardised on its own, see ./spec.ts). 3×3 convolutions (ReLU, no BatchNorm,
 * as for images: it is slow to train on the wasm backend) with stride 2 along each axis while it is longer than 4,
 * then flatten and a dense layer to `dim` features. On 1 s (98 frames × 40 mels) with widths [16, 32, 64, 128]:
 * 98×40 → 49×20 → 25×10 → 13×5 → 7×3, about 4 M multiply-adds per clip.
 */
import * as tf from '@tensorflow/tfjs';
import { seedOf } from '../../ssl/projection';
export { buildProjectionHead } from '../../ssl/projection';

export interface AudioEncoderConfig {
  frames: number;
  mels: number;
  widths: number[];
  dim: number;
  /** Strides [time, mels] of the first convolution (default: 2 along each axis longer than 4, as the later ones). */
  firstStride?: [number, number];
  /**
   * What the dense layer reads: 'flatten' (default) every cell of the last feature map; 'time-mean' the mean over
   * the remaining frames of each band and channel, so a word moved in time gives the same input.
   */
  pool?: 'flatten' | 'time-mean';
}

export function defaultAudioEncoderConfig(frames: number, mels: number): AudioEncoderConfig {
  return { frames, mels, widths: [16, 32, 64, 128], dim: 128 };
}

export function buildAudioEncoder(cfg: AudioEncoderConfig, seed = 0): tf.Sequential {
  if (!(cfg.frames >= 8) || !(cfg.mels >= 8))
    throw new Error(`audio encoder needs at least 8 frames and 8 mels, got ${cfg.frames}×${cfg.mels}`);
  const model = tf.sequential({ name: 'audio_encoder' });
  let t = cfg.frames;
  let f = cfg.mels;
  cfg.widths.forEach((w, i) => {
    const st: [number, number] = i === 0 && cfg.firstStride ? cfg.firstStride : [t > 4 ? 2 : 1, f > 4 ? 2 : 1];
    model.add(
      tf.layers.conv2d({
        ...(i === 0 ? { inputShape: [cfg.frames, cfg.mels, 1] } : {}),
        filters: w,
        kernelSize: 3,
        strides: st,
        padding: 'same',
        activation: 'relu',
        kernelInitializer: tf.initializers.heNormal({ seed: seedOf(seed, i) }),
        name: `conv${i}`,
      }),
    );
    t = Math.ceil(t / st[0]);
    f = Math.ceil(f / st[1]);
  });
  if (cfg.pool === 'time-mean') {
    model.add(tf.layers.reshape({ targetShape: [t, f * cfg.widths[cfg.widths.length - 1]], name: 'time_major' }));
    model.add(tf.layers.globalAveragePooling1d({ name: 'time_mean' }));
  } else model.add(tf.layers.flatten({ name: 'flatten' }));
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

/** The masked-frame decoder: embedding → hidden → the spectrogram pooled 2×2 (frames/2 × mels/2, flattened). */
export function buildMaskDecoder(dim: number, outUnits: number, seed = 0): tf.Sequential {
  const m = tf.sequential({ name: 'mask_decoder' });
  m.add(
    tf.layers.dense({
      inputShape: [dim],
      units: 256,
      activation: 'relu',
      kernelInitializer: tf.initializers.heNormal({ seed: seedOf(seed, 400) }),
      name: 'dec_hidden',
    }),
  );
  m.add(
    tf.layers.dense({ units: outUnits, kernelInitializer: tf.initializers.glorotNormal({ seed: seedOf(seed, 401) }), name: 'dec_out' }),
  );
  return m;
}
