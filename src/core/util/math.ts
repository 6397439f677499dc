/**
 * Row-wise operations on n × C (or n × dim) matrices stored row-major in typed arrays: the one argmax, softmax and
 * L2 normalisation every part of the engine uses. Plain JS, no tfjs.
 */

/** Index of the largest of the C values of row `r` (the first one on ties). */
export function argmaxRow(m: ArrayLike<number>, r: number, C: number): number {
  const o = r * C;
  let best = 0;
  for (let c = 1; c < C; c++) if (m[o + c] > m[o + best]) best = c;
  return best;
}

/** Top class and its value for each row of an n × C matrix. */
export function argmaxRows(m: ArrayLike<number>, n: number, C: number): { labels: Int32Array; confidence: Float32Array } {
  const labels = new Int32Array(n);
  const confidence = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const best = argmaxRow(m, i, C);
    labels[i] = best;
    confidence[i] = m[i * C + best];
  }
  return { labels, confidence };
}

/** Row-wise softmax of logits/T (n × C) into a new array. */
export function softmaxRows(logits: ArrayLike<number>, n: number, C: number, temperature = 1): Float32Array {
  const out = new Float32Array(n * C);
  for (let i = 0; i < n; i++) {
    const o = i * C;
    let m = -Infinity;
    for (let c = 0; c < C; c++) m = Math.max(m, logits[o + c] / temperature);
    let s = 0;
    for (let c = 0; c < C; c++) {
      const e = Math.exp(logits[o + c] / temperature - m);
      out[o + c] = e;
      s += e;
    }
    for (let c = 0; c < C; c++) out[o + c] /= s;
  }
  return out;
}

/** L2-normalises each row of `x` (n × dim) in place; all-zero rows stay zero. */
export function l2NormalizeInPlace(x: Float32Array, n: number, dim: number): Float32Array {
  for (let i = 0; i < n; i++) {
    let s = 0;
    const o = i * dim;
    for (let j = 0; j < dim; j++) s += x[o + j] * x[o + j];
    if (s > 0) {
      const inv = 1 / Math.sqrt(s);
      for (let j = 0; j < dim; j++) x[o + j] *= inv;
    }
  }
  return x;
}

/** Softmax of one row of C scores divided by `temperature`, in double precision (for EM posteriors). */
export function softmaxRow64(scores: ArrayLike<number>, C: number, temperature = 1): Float64Array {
  const p = new Float64Array(C);
  let m = -Infinity;
  for (let c = 0; c < C; c++) m = Math.max(m, scores[c] / temperature);
  let s = 0;
  for (let c = 0; c < C; c++) {
    p[c] = Math.exp(scores[c] / temperature - m);
    s += p[c];
  }
  for (let c = 0; c < C; c++) p[c] /= s;
  return p;
}
