/**
 * A candidate made of two others: the mean of their calibrated probabilities, calibrated again. Two models that
 * learn from different things (a network trained from scratch on the pixels, and a linear model on hand-made
 * features of them) make different mistakes, so their mean is often right where one of them is not; it is scored on
 * the same held-out human labels as its parts (the mean of their out-of-fold probabilities, each row out of fold for
 * both), and chosen only when it scores best there (src/core/project/training.ts).
 *
 *   mixOof(a, b, y, C) → {oof, mix}      the out-of-fold mixture, and how it was made (Mix: weight, temperature, cap)
 *   mixProbs(a, b, n, C, mix) → n × C    the same mixture for any rows (the pool, another folder)
 *   isMix(v)                              a saved Mix's shape (classifier.json)
 *
 * The mean of two calibrated models is less sure than either (it spreads where they disagree), so it gets its own
 * temperature, fitted on the out-of-fold mean with Laplace smoothing ε = 1/(n + 2) (calibration.ts nllAt), so that
 * n right of n held-out labels do not read as certainty; and, like the pixel candidate and the text head, no
 * confidence beyond the largest a held-out label reached when that stayed below the proposals' threshold.
 */
import { capConfidence, fitTemperature } from './calibration';

/** How two candidates' probabilities are mixed: a · weight + b · (1 − weight), then softmax(log p / temperature). */
export interface Mix {
  weight: number;
  temperature: number;
  /** The top probability allowed (absent: none). */
  cap?: number;
}

/** The proposals' default threshold: below it, the mixture's confidence is capped at what its held-out labels reached. */
export const MIX_CAP_BELOW = 0.9;

function mean(a: ArrayLike<number>, b: ArrayLike<number>, w: number): Float32Array {
  if (a.length !== b.length) throw new Error(`the two candidates' probabilities differ in size (${a.length} vs ${b.length})`);
  const out = new Float32Array(a.length);
  for (let q = 0; q < a.length; q++) out[q] = w * a[q] + (1 - w) * b[q];
  return out;
}

/** softmax(log p / T) of each row, in place. */
function sharpen(p: Float32Array, n: number, C: number, T: number): Float32Array {
  for (let i = 0; i < n; i++) {
    let max = -Infinity;
    for (let c = 0; c < C; c++) max = Math.max(max, Math.log(Math.max(p[i * C + c], 1e-38)) / T);
    let s = 0;
    for (let c = 0; c < C; c++) {
      const v = Math.exp(Math.log(Math.max(p[i * C + c], 1e-38)) / T - max);
      p[i * C + c] = v;
      s += v;
    }
    for (let c = 0; c < C; c++) p[i * C + c] /= s;
  }
  return p;
}

/**
 * The mixture of two candidates' out-of-fold probabilities of the same held-out rows (labels `y`), and how to mix
 * any other rows alike: its temperature, and its cap.
 */
export function mixOof(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  y: Int32Array,
  C: number,
  weight = 0.5,
): { oof: Float32Array; mix: Mix } {
  const n = y.length;
  if (a.length !== n * C) throw new Error(`out-of-fold probabilities: need ${n} × ${C} values, got ${a.length}`);
  const m = mean(a, b, weight);
  const logp = Float32Array.from(m, (v) => Math.log(Math.max(v, 1e-38)));
  const temperature = n ? fitTemperature(logp, y, C, { smoothing: 1 / (n + 2) }) : 1;
  const oof = sharpen(m, n, C, temperature);
  let top = 0;
  for (let i = 0; i < n; i++) for (let c = 0; c < C; c++) top = Math.max(top, oof[i * C + c]);
  const mix: Mix = { weight, temperature, ...(n && top < MIX_CAP_BELOW ? { cap: top } : {}) };
  return { oof: capConfidence(oof, n, C, mix.cap), mix };
}

/** Rows of two candidates' probabilities (n × C each) mixed as `mix` says. */
export function mixProbs(a: ArrayLike<number>, b: ArrayLike<number>, n: number, C: number, mix: Mix): Float32Array {
  if (a.length !== n * C) throw new Error(`probabilities: need ${n} × ${C} values, got ${a.length}`);
  return capConfidence(sharpen(mean(a, b, mix.weight), n, C, mix.temperature), n, C, mix.cap);
}

/** Whether a value is a Mix (shape only; from classifier.json). */
export function isMix(v: unknown): v is Mix {
  const m = v as Mix | undefined;
  return (
    !!m &&
    typeof m === 'object' &&
    typeof m.weight === 'number' &&
    m.weight >= 0 &&
    m.weight <= 1 &&
    typeof m.temperature === 'number' &&
    m.temperature > 0 &&
    (m.cap === undefined || (typeof m.cap === 'number' && m.cap > 0 && m.cap <= 1))
  );
}
