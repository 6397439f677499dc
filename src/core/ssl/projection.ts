/**
 * The projection head of contrastive pretext tasks (SimCLR's g(·)): a small MLP from the encoder's embedding to the
 * space the contrastive loss compares in; thrown away after pretraining. Shared by every modality.
 */
import * as tf from '@tensorflow/tfjs';

/** A layer's initialiser seed, derived from the model's seed and the layer's number. */
export function seedOf(seed: number, k: number): number {
  return (seed * 7919 + k * 104729) % 2147483647;
}

/** SimCLR projection head: dim → hidden (ReLU) → out. */
export function buildProjectionHead(dim: number, hidden: number, out: number, seed = 0, name = 'projection'): tf.Sequential {
  const m = tf.sequential({ name });
  m.add(
    tf.layers.dense({
      inputShape: [dim],
      units: hidden,
      activation: 'relu',
      kernelInitializer: tf.initializers.heNormal({ seed: seedOf(seed, 200) }),
      name: 'proj_hidden',
    }),
  );
  m.add(tf.layers.dense({ units: out, kernelInitializer: tf.initializers.glorotNormal({ seed: seedOf(seed, 201) }), name: 'proj_out' }));
  return m;
}
