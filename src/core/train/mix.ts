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
 *   averageProbs(a, b, w)                 the row-wise weighted mean of two probability matrices (also used by
 *                                         confident learning's ensembles and the legacy head + networks mixture)
 *
 * The mean of two calibrated models is less sure than either (it spreads where they disagree), so it gets its own
 * temperature, fitted on the out-of-fold mean with Laplace smoothing ε = 1/(n + 2) (calibration.ts nllAt), so that
 * n right of n held-out labels do not read as certainty; and, like the pixel candidate and the text head, no
 * confidence beyond the largest a held-out label reached when that stayed below the proposals' threshold.
 */
import { capConfidence, fitTemperature } from './calibration';
import { softmaxRows } from '../util/math';

/** How two candidates' probabilities are mixed: a · weight + b · (1 − weight), then softmax(log p / temperature). */
export interface Mix {
  weight: number;
  temperature: number;
  /** The top probability allowed (absent: none). */
  cap?: number;
}

/** The proposals' default threshold: below it, the mixture's confidence is capped at what its held-out labels reached. */
export const MIX_CAP_BELOW = 0.9;

/** The row-wise mean of two probability matrices of the same shape (w: the weight of `a`). */
export function averageProbs(a: ArrayLike<number>, b: ArrayLike<number>, w = 0.5): Float32Array {
  if (a.length !== b.length) throw new Error(`probability matrices differ in size (${a.length} vs ${b.length})`);
  const out = new Float32Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = w * a[i] + (1 - w) * b[i];
  return out;
}

/** log p of every value (probabilities below 1e-38 count as 1e-38, float32's smallest normal). */
const logOf = (p: Float32Array): Float32Array => Float32Array.from(p, (v) => Math.log(Math.max(v, 1e-38)));

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
  const logp = logOf(averageProbs(a, b, weight));
  const temperature = n ? fitTemperature(logp, y, C, { smoothing: 1 / (n + 2) }) : 1;
  const oof = softmaxRows(logp, n, C, temperature);
  let top = 0;
  for (let i = 0; i < n; i++) for (let c = 0; c < C; c++) top = Math.max(top, oof[i * C + c]);
  const mix: Mix = { weight, temperature, ...(n && top < MIX_CAP_BELOW ? { cap: top } : {}) };
  return { oof: capConfidence(oof, n, C, mix.cap), mix };
}

/** Rows of two candidates' probabilities (n × C each) mixed as `mix` says. */
export function mixProbs(a: ArrayLike<number>, b: ArrayLike<number>, n: number, C: number, mix: Mix): Float32Array {
  if (a.length !== n * C) throw new Error(`probabilities: need ${n} × ${C} values, got ${a.length}`);
  return capConfidence(softmaxRows(logOf(averageProbs(a, b, mix.weight)), n, C, mix.temperature), n, C, mix.cap);
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
