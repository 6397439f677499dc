/**
 * Brute-force k-nearest-neighbour helpers for the tuning experiments (cosine similarity on L2-normalised rows,
 * computed with tfjs matMul in chunks).
 */
import * as tf from '@tensorflow/tfjs';

/** Top-k neighbours (by dot product) of each row of Q among rows of X. Returns indices and similarities. */
export async function topK(Q: Float32Array, nq: number, X: Float32Array, nx: number, dim: number, k: number, excludeSelf = false): Promise<{ idx: Int32Array; sim: Float32Array }> {
  const idx = new Int32Array(nq * k);
  const sim = new Float32Array(nq * k);
  const xt = tf.tidy(() => tf.transpose(tf.tensor2d(X, [nx, dim])));
  const chunk = 512;
  for (let s = 0; s < nq; s += chunk) {
    const b = Math.min(chunk, nq - s);
    const kk = excludeSelf ? k + 1 : k;
    const { values, indices } = tf.tidy(() => {
      const q = tf.tensor2d(Q.subarray(s * dim, (s + b) * dim), [b, dim]);
      let m = tf.matMul(q, xt);
      if (excludeSelf) {
        const self = tf.oneHot(tf.range(s, s + b, 1, 'int32'), nx);
        m = tf.sub(m, tf.mul(self, 10));
      }
      return tf.topk(m, excludeSelf ? k : kk);
    });
    const v = await values.data();
    const ii = await indices.data();
    values.dispose();
    indices.dispose();
    idx.set(ii as Int32Array, s * k);
    sim.set(v as Float32Array, s * k);
  }
  xt.dispose();
  return { idx, sim };
}

/** kNN classification accuracy of queries given train labels (majority vote weighted by similarity). */
export async function knnAccuracy(Q: Float32Array, qy: Int32Array, X: Float32Array, xy: Int32Array, dim: number, k: number, nClasses: number): Promise<number> {
  const { idx, sim } = await topK(Q, qy.length, X, xy.length, dim, k);
  let ok = 0;
  const votes = new Float64Array(nClasses);
  for (let i = 0; i < qy.length; i++) {
    votes.fill(0);
    for (let j = 0; j < k; j++) votes[xy[idx[i * k + j]]] += Math.exp(sim[i * k + j] / 0.1);
    let best = 0;
    for (let c = 1; c < nClasses; c++) if (votes[c] > votes[best]) best = c;
    if (best === qy[i]) ok++;
  }
  return ok / qy.length;
}
