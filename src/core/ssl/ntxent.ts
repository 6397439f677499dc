/**
 * NT-Xent (normalised temperature-scaled cross entropy), the SimCLR contrastive loss, as a tfjs function.
 *
 * For a batch of N pairs of views (z1[i], z2[i]), every vector is L2-normalised; for each of the 2N vectors the
 * positive is its partner and the negatives are the other 2N-2 vectors. loss = mean over the 2N anchors of
 * -log( exp(sim(anchor, positive)/τ) / Σ_{k ≠ anchor} exp(sim(anchor, k)/τ) ), sim = cosine similarity.
 *
 * The similarity/softmax part has a hand-written gradient (tf.customGrad): with P the row-softmax of the masked
 * similarity matrix and Y the one-hot positives, dL/dZ = ((P − Y) + (P − Y)ᵀ)·Z / (2N·τ) — two matMuls and no
 * 2N × 2N transpose or exp, instead of the generic logSumExp gradient (slow kernels on the wasm backend). The
 * self-similarity mask and the positives are cached per batch size.
 */
import * as tf from '@tensorflow/tfjs';

/** L2-normalises the rows of a 2-D tensor. */
export function l2NormalizeRows(x: tf.Tensor2D, eps = 1e-8): tf.Tensor2D {
  return tf.tidy(() => tf.div(x, tf.sqrt(tf.add(tf.sum(tf.square(x), 1, true), eps))) as tf.Tensor2D);
}

const constants = new Map<string, { mask: tf.Tensor2D; positives: tf.Tensor2D }>();

/** −1e9 on the diagonal (removes self-similarity) and the one-hot positives, for 2N rows; kept across calls. */
function maskAndPositives(n: number): { mask: tf.Tensor2D; positives: tf.Tensor2D } {
  const key = `${tf.getBackend()}:${n}`;
  let c = constants.get(key);
  if (!c || c.mask.isDisposed) {
    const m = 2 * n;
    const mask = new Float32Array(m * m);
    const pos = new Float32Array(m * m);
    for (let i = 0; i < m; i++) {
      mask[i * m + i] = -1e9;
      pos[i * m + ((i + n) % m)] = 1;
    }
    c = { mask: tf.keep(tf.tensor2d(mask, [m, m])), positives: tf.keep(tf.tensor2d(pos, [m, m])) };
    constants.set(key, c);
  }
  return c;
}

/** Frees the cached masks (e.g. at the end of a training run). */
export function disposeNtXentCache(): void {
  for (const c of constants.values()) {
    c.mask.dispose();
    c.positives.dispose();
  }
  constants.clear();
}

/** NT-Xent of already L2-normalised rows z (2N × d; rows i and i+N are the two views of item i). Scalar. */
export function ntXentFromNormalized(z: tf.Tensor2D, temperature: number): tf.Scalar {
  const m = z.shape[0];
  if (m % 2 !== 0 || m < 4) throw new Error(`NT-Xent needs an even number ≥ 4 of rows, got ${m}`);
  const { mask, positives } = maskAndPositives(m / 2);
  const f = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const zz = args[0] as tf.Tensor2D;
    const save = args[1] as tf.GradSaveFunc;
    const zT = tf.transpose(zz);
    // Softmax (a native kernel) rather than logSoftmax: the wasm Exp kernel is slow on m² elements.
    const p = tf.softmax(tf.add(tf.div(tf.matMul(zz, zT), temperature), mask));
    const value = tf.neg(tf.mean(tf.log(tf.add(tf.sum(tf.mul(p, positives), 1), 1e-30)))) as tf.Scalar;
    save([zz, zT, p]);
    return {
      value,
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
        const [zs, zsT, ps] = saved;
        const g = tf.sub(ps, positives);
        // (G + Gᵀ)·Z without transposing the m × m matrix: Gᵀ·Z = (Zᵀ·G)ᵀ.
        const both = tf.add(tf.matMul(g, zs), tf.transpose(tf.matMul(zsT, g)));
        return tf.mul(both, tf.div(dy as tf.Tensor, m * temperature));
      },
    };
  });
  return f(z) as tf.Scalar;
}

/** NT-Xent loss of two [N, d] batches of projections (row i of z1 and z2 are views of the same item). Scalar. */
export function ntXentLoss(z1: tf.Tensor2D, z2: tf.Tensor2D, temperature = 0.5): tf.Scalar {
  return tf.tidy(() => ntXentFromNormalized(l2NormalizeRows(tf.concat([z1, z2], 0)), temperature));
}
