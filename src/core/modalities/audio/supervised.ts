/**
 * The audio encoder trained from random initialisation, supervised, on labelled clips only (tfjs; worker only): the
 * bench's `supervised-encoder` baseline for audio. Same encoder as the pretext tasks (./encoder.ts) plus a softmax
 * layer, Adam, batches of 32 mildly augmented views (./spec.ts), then the logits of every clip asked for.
 */
import * as tf from '@tensorflow/tfjs';
import type { TrainSet } from '../../train/classifier';
import { AbortError } from '../../util/progress';
import { Rng } from '../../models/random';
import { seedOf } from '../../ssl/projection';
import { buildAudioEncoder, defaultAudioEncoderConfig } from './encoder';
import { MILD_AUGMENT, augmentSpec, standardizeInto } from './spec';

export interface SpecSet {
  spec: Float32Array;
  n: number;
}

export async function trainAudioSupervised(o: {
  pool: SpecSet;
  others: SpecSet[];
  frames: number;
  mels: number;
  train: TrainSet;
  nClasses: number;
  epochs: number;
  seed: number;
  signal?: AbortSignal;
}): Promise<{ logits: Float32Array[]; seconds: number; itemsPerSecond: number }> {
  const t0 = Date.now();
  const { frames, mels, nClasses: C } = o;
  const per = frames * mels;
  const enc = buildAudioEncoder(defaultAudioEncoderConfig(frames, mels), o.seed);
  const head = tf.sequential({ name: 'sup_head' });
  head.add(
    tf.layers.dense({
      inputShape: [enc.outputs[0].shape[1] as number],
      units: C,
      kernelInitializer: tf.initializers.glorotNormal({ seed: seedOf(o.seed, 500) }),
    }),
  );
  const opt = tf.train.adam(1e-3);
  const rng = new Rng(o.seed);
  const m = o.train.index.length;
  const B = Math.min(32, m);
  const x = new Float32Array(B * per);
  const tmp = new Float32Array(per);
  const y = new Int32Array(B);
  let seen = 0;
  try {
    for (let e = 0; e < o.epochs; e++) {
      const order = rng.shuffle(Int32Array.from({ length: m }, (_, i) => i));
      for (let s = 0; s + B <= m; s += B) {
        if (o.signal?.aborted) throw new AbortError();
        for (let i = 0; i < B; i++) {
          const k = order[s + i];
          augmentSpec(o.pool.spec, o.train.index[k], frames, mels, MILD_AUGMENT, rng, tmp, x, i * per);
          y[i] = o.train.y[k];
        }
        const loss = opt.minimize(
          () =>
            tf.losses.softmaxCrossEntropy(
              tf.oneHot(tf.tensor1d(y, 'int32'), C),
              head.apply(enc.apply(tf.tensor4d(x, [B, frames, mels, 1]), { training: true })) as tf.Tensor2D,
            ) as tf.Scalar,
          true,
        );
        loss?.dispose();
        seen += B;
        await new Promise<void>((r) => setImmediate(r));
      }
    }
    const trainSeconds = (Date.now() - t0) / 1000;
    const logits: Float32Array[] = [];
    for (const set of [o.pool, ...o.others]) {
      const out = new Float32Array(set.n * C);
      const buf = new Float32Array(256 * per);
      for (let s = 0; s < set.n; s += 256) {
        const b = Math.min(256, set.n - s);
        for (let i = 0; i < b; i++) standardizeInto(set.spec, (s + i) * per, per, buf, i * per);
        const z = tf.tidy(
          () => head.predict(enc.predict(tf.tensor4d(buf.subarray(0, b * per), [b, frames, mels, 1])) as tf.Tensor) as tf.Tensor,
        );
        out.set(await z.data(), s * C);
        z.dispose();
      }
      logits.push(out);
    }
    return { logits, seconds: trainSeconds, itemsPerSecond: seen / Math.max(1e-3, trainSeconds) };
  } finally {
    enc.dispose();
    head.dispose();
    opt.dispose();
  }
}
