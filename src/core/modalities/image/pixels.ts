/**
 * The pixel candidate: a calibrated linear classifier on features of the raw pixels (the images at the model's input
 * size and channels) — HOG of ./features.ts by default (PIXEL_FEATURES), or the PCA of the pixels scaled to [0, 1]
 * (`features: 'pca'`, the plain "PCA + logistic regression" baseline's recipe) — scored on the same held-out human
 * labels as the learned candidates (src/core/project/training.ts), so that where the learned features lose to raw
 * pixels (colour icons: session 7, seeds 1–2, 4.5–5 points below the PCA + LR baseline) the product does not.
 *
 *   fitPixelPca(data, seed) → {pca, X (n × k features)}     pixelFeatures(pca, data) → n × k
 *   encodePixelPca(pca, data) / decodePixelPca(saved)     (kept in classifier.json for other folders)
 *   fitPixelCandidate(data, train, C, seed) → {state, probs}   pixelProbs(state, data) → n × C
 *   (probabilities capped at the largest out-of-fold confidence when that stayed below the proposals' threshold)
 *
 * Plain JS (no tfjs), run in a worker (jobs `fitPixels`, `predictPixels`): HOG standardised by the pool's statistics
 * (or PCA-50 on at most PIXEL_PCA_FIT_LIMIT images, a seeded subset, and a chunked projection), then the bench
 * baseline's logistic regression (./linear.ts, scikit-learn's C = 1) on the human labels, cross-validated
 * (src/core/train/crossval.ts) for its out-of-fold score and temperature.
 */
import type { ImageData } from './data';
import { Rng, permutation } from '../../models/random';
import type { TrainSet } from '../../train/classifier';
import { crossValidate, type CalibrationFields } from '../../train/crossval';
import { softmaxRows } from '../../util/math';
import { fitLogReg, fitPca, logitsLogReg, pcaTransform, type Pca, type Rows } from './linear';
import { capConfidence } from '../../train/calibration';
import { hogFeatures } from './features';

/** Principal components kept (the bench's PCA + LR baseline keeps as many). */
export const PIXEL_PCA_COMPONENTS = 50;
/** Images the PCA is fitted on, at most (a seeded subset of the pool). */
export const PIXEL_PCA_FIT_LIMIT = 5000;
/** Features of the pixel candidate: HOG, or the PCA of the pixels (the pca-logreg baseline's). */
export type PixelFeatureKind = 'hog' | 'pca';
/**
 * The product's: HOG. Session 9: HOG + LR beat PCA + LR on the test split of every image dev set (seeds 1–3), but
 * alone it won the held-out selection over the from-scratch network where it was 0.4–2.2 points worse. Session 10:
 * the mean of the two (src/core/train/mix.ts, candidate 'scratch+pixels') beat both its parts on the unlabelled pool
 * of every image dev run, and is what the selection takes in most of them (BENCHMARKS.md, "Session 10 — images").
 */
export const PIXEL_FEATURES: PixelFeatureKind = 'hog';
/** HOG grid (cells per side) and orientation bins; the grid is at most the image side. */
export const HOG_CELLS = 6;
export const HOG_BINS = 9;

/** Images projected at a time (bounds the float copy of the pixels). */
const CHUNK = 2048;

/** A fitted pixel PCA as kept in classifier.json: geometry, and the mean and components as base64 float32. */
export interface PixelPcaSaved {
  size: number;
  channels: 1 | 3;
  k: number;
  dim: number;
  mean: string;
  components: string;
}

function pixelsOf(data: ImageData): Uint8Array {
  return new Uint8Array(data.pixels, 0, data.n * data.size * data.size * data.channels);
}

/** The rows `rows` of the images as floats in [0, 1] (rows × size·size·channels). */
function floatRows(data: ImageData, rows: ArrayLike<number>): Float32Array {
  const per = data.size * data.size * data.channels;
  const px = pixelsOf(data);
  const X = new Float32Array(rows.length * per);
  for (let j = 0; j < rows.length; j++) {
    const o = rows[j] * per;
    for (let q = 0; q < per; q++) X[j * per + q] = px[o + q] / 255;
  }
  return X;
}

/** PCA of the images' raw pixels (at most PIXEL_PCA_FIT_LIMIT of them, chosen by `seed`) and every image's features. */
export function fitPixelPca(data: ImageData, seed: number, k = PIXEL_PCA_COMPONENTS): { pca: Pca; X: Float32Array } {
  if (data.n < 2) throw new Error('the pixel candidate needs at least 2 images');
  const per = data.size * data.size * data.channels;
  const fitN = Math.min(data.n, PIXEL_PCA_FIT_LIMIT);
  const rows =
    fitN < data.n
      ? permutation(data.n, new Rng(seed + 29))
          .subarray(0, fitN)
          .sort()
      : Int32Array.from({ length: data.n }, (_, i) => i);
  const pca = fitPca(floatRows(data, rows), fitN, per, Math.min(k, per, fitN - 1), { seed });
  return { pca, X: pixelFeatures(pca, data) };
}

/** The images' features under a fitted pixel PCA (n × k); the images must have the PCA's geometry. */
export function pixelFeatures(pca: Pca, data: ImageData): Float32Array {
  const per = data.size * data.size * data.channels;
  if (per !== pca.dim) throw new Error(`the pixel PCA takes ${pca.dim} values per image, these images have ${per}: train again`);
  const out = new Float32Array(data.n * pca.k);
  for (let s = 0; s < data.n; s += CHUNK) {
    const rows = Int32Array.from({ length: Math.min(CHUNK, data.n - s) }, (_, j) => s + j);
    out.set(pcaTransform(pca, floatRows(data, rows), rows.length), s * pca.k);
  }
  return out;
}

function toBase64(a: Float64Array): string {
  const f = Float32Array.from(a);
  return Buffer.from(f.buffer, f.byteOffset, f.byteLength).toString('base64');
}

function fromBase64(s: string, length: number, what: string): Float64Array {
  const b = Buffer.from(s, 'base64');
  if (b.byteLength !== length * 4)
    throw new Error(`the saved pixel PCA's ${what} has ${b.byteLength / 4} values, need ${length}: train again`);
  const f = new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
  return Float64Array.from(f);
}

/** The PCA as kept in classifier.json (float32 precision). */
export function encodePixelPca(pca: Pca, geometry: { size: number; channels: 1 | 3 }): PixelPcaSaved {
  return { ...geometry, k: pca.k, dim: pca.dim, mean: toBase64(pca.mean), components: toBase64(pca.components) };
}

/** Whether a value is a saved pixel PCA (shape only). */
export function isPixelPcaSaved(v: unknown): v is PixelPcaSaved {
  const s = v as PixelPcaSaved | undefined;
  return !!s && typeof s === 'object' && typeof s.mean === 'string' && typeof s.components === 'string' && s.k > 0 && s.dim > 0;
}

/** The PCA back from classifier.json; throws a readable error when it is damaged. */
export function decodePixelPca(s: PixelPcaSaved): Pca {
  if (s.size * s.size * s.channels !== s.dim)
    throw new Error(`the saved pixel PCA's geometry does not match its ${s.dim} values: train again`);
  return {
    k: s.k,
    dim: s.dim,
    mean: fromBase64(s.mean, s.dim, 'mean'),
    components: fromBase64(s.components, s.k * s.dim, 'components'),
    variance: new Float64Array(s.k),
  };
}

/** HOG features as kept in classifier.json: the grid, and the pool's mean and standard deviation of each value. */
export interface HogSaved {
  size: number;
  channels: 1 | 3;
  cells: number;
  bins: number;
  mean: string;
  sd: string;
}

function hogCells(size: number): number {
  return Math.max(2, Math.min(HOG_CELLS, size));
}

/** Raw HOG of every image (n × dim). */
function hogRows(data: ImageData, cells: number, bins: number): { X: Float32Array; dim: number } {
  const per = data.size * data.size * data.channels;
  const px = pixelsOf(data);
  const dim = (cells - 1) * (cells - 1) * 4 * bins;
  const X = new Float32Array(data.n * dim);
  for (let i = 0; i < data.n; i++) X.set(hogFeatures(px.subarray(i * per, (i + 1) * per), data.size, data.channels, cells, bins), i * dim);
  return { X, dim };
}

/** HOG of the images standardised by the pool's statistics (fitted here on `data`), and those statistics. */
export function fitHog(data: ImageData): { hog: HogSaved; X: Float32Array; dim: number } {
  const cells = hogCells(data.size);
  const { X, dim } = hogRows(data, cells, HOG_BINS);
  const mean = new Float64Array(dim);
  const sd = new Float64Array(dim);
  for (let i = 0; i < data.n; i++) for (let d = 0; d < dim; d++) mean[d] += X[i * dim + d] / data.n;
  for (let i = 0; i < data.n; i++) for (let d = 0; d < dim; d++) sd[d] += (X[i * dim + d] - mean[d]) ** 2 / data.n;
  for (let d = 0; d < dim; d++) sd[d] = Math.sqrt(sd[d]) || 1;
  standardise(X, data.n, dim, mean, sd);
  const hog: HogSaved = { size: data.size, channels: data.channels, cells, bins: HOG_BINS, mean: toBase64(mean), sd: toBase64(sd) };
  return { hog, X, dim };
}

/** The images' standardised HOG under saved statistics; the images must have the saved geometry. */
export function hogFeaturesOf(hog: HogSaved, data: ImageData): { X: Float32Array; dim: number } {
  if (hog.size !== data.size || hog.channels !== data.channels)
    throw new Error(
      `the pixel classifier takes ${hog.size}×${hog.size}×${hog.channels} images, these are ${data.size}×${data.size}×${data.channels}: train again`,
    );
  const { X, dim } = hogRows(data, hog.cells, hog.bins);
  standardise(X, data.n, dim, fromBase64(hog.mean, dim, 'HOG mean'), fromBase64(hog.sd, dim, 'HOG spread'));
  return { X, dim };
}

function standardise(X: Float32Array, n: number, dim: number, mean: Float64Array, sd: Float64Array): void {
  for (let i = 0; i < n; i++) for (let d = 0; d < dim; d++) X[i * dim + d] = (X[i * dim + d] - mean[d]) / (sd[d] || 1);
}

function isHogSaved(v: unknown): v is HogSaved {
  const h = v as HogSaved | undefined;
  return !!h && typeof h === 'object' && typeof h.mean === 'string' && typeof h.sd === 'string' && h.cells >= 2 && h.bins >= 1;
}

/** The proposals' default threshold (config `threshold`): the cap applies when no held-out label reached it. */
export const PIXEL_PROPOSAL_THRESHOLD = 0.9;

/** Folds of the pixel candidate's cross-validation (as the embedding heads'). */
export const PIXEL_FOLDS = 5;

/** The pixel candidate's state (classifier.json): its features (HOG, or the PCA), the logistic regression, its calibration. */
export interface PixelState extends CalibrationFields {
  version: 1;
  kind: 'pixels';
  nClasses: number;
  seed: number;
  /** Absent in states saved before session 9: 'pca'. */
  features?: PixelFeatureKind;
  /** With features 'pca'. */
  pixelPca?: PixelPcaSaved;
  /** With features 'hog'. */
  hog?: HogSaved;
  /** k × C weights (row-major) and C biases. */
  W: number[];
  b: number[];
}

/** Whether a classifier state is the pixel candidate's. */
export function isPixelState(v: unknown): v is PixelState {
  const s = v as PixelState | undefined;
  if (!s || s.kind !== 'pixels' || !Array.isArray(s.W) || !Array.isArray(s.b)) return false;
  return (s.features ?? 'pca') === 'pca' ? isPixelPcaSaved(s.pixelPca) : s.features === 'hog' && isHogSaved(s.hog);
}

/**
 * Fits the pixel candidate on `train` (rows of `data`; give it the human labels): PCA of the pixels, logistic
 * regression, a temperature from its k-fold out-of-fold logits (their accuracy: estimatedAccuracy, and `oof`).
 * `probs`: its calibrated probabilities for every image of `data`.
 */
export async function fitPixelCandidate(
  data: ImageData,
  train: TrainSet,
  C: number,
  seed: number,
  features: PixelFeatureKind = PIXEL_FEATURES,
): Promise<{ state: PixelState; probs: Float32Array }> {
  if (train.index.length < 2) throw new Error('the pixel candidate needs at least 2 labels');
  let rows: Rows;
  let saved: Pick<PixelState, 'features' | 'pixelPca' | 'hog'>;
  if (features === 'pca') {
    const { pca, X } = fitPixelPca(data, seed);
    rows = { kind: 'dense', X, n: data.n, dim: pca.k };
    saved = { features, pixelPca: encodePixelPca(pca, { size: data.size, channels: data.channels }) };
  } else {
    const { hog, X, dim } = fitHog(data);
    rows = { kind: 'dense', X, n: data.n, dim };
    saved = { features, hog };
  }
  const fitOn = (keep: number[]) =>
    fitLogReg(
      rows,
      keep.map((k) => train.index[k]),
      keep.map((k) => train.y[k]),
      C,
    );
  const all = [...Array(train.index.length).keys()];
  const cv = await crossValidate({
    positions: all,
    index: train.index,
    y: train.y,
    nClasses: C,
    folds: PIXEL_FOLDS,
    rng: new Rng(seed + 31),
    fitWithout: async (out) => fitOn(all.filter((k) => !out.has(k))),
    logitsOf: (model, list) => logitsLogReg(model, rows, list),
  });
  const model = fitOn(all);
  const temperature = cv?.temperature ?? 1;
  const state: PixelState = {
    version: 1,
    kind: 'pixels',
    nClasses: C,
    seed,
    ...saved,
    W: Array.from(model.W),
    b: Array.from(model.b),
    temperature,
    estimatedAccuracy: cv?.estimatedAccuracy ?? null,
    ...(cv ? { oof: cv.oof, ece: cv.ece, maxConfidence: cv.maxConfidence, logLoss: cv.logLoss } : {}),
    trainedOn: { rows: train.index.length, heldOut: cv ? train.index.length : 0, folds: cv?.folds ?? 0 },
  };
  const every = Int32Array.from({ length: data.n }, (_, i) => i);
  return { state, probs: capped(state, softmaxRows(logitsLogReg(model, rows, every), data.n, C, temperature)) };
}

/**
 * The text head's rule (confidenceCap there): when no held-out label reached the proposals' threshold out of fold, no
 * probability goes beyond the largest they reached — the temperature has no evidence there. Measured on icons seed 3
 * without it: 4 proposals claimed at 93.5%, none right (a 49% model).
 */
function capped(state: PixelState, probs: Float32Array): Float32Array {
  const cap = state.maxConfidence;
  return cap !== undefined && cap < PIXEL_PROPOSAL_THRESHOLD
    ? capConfidence(probs, probs.length / state.nClasses, state.nClasses, cap)
    : probs;
}

/** The pixel candidate's calibrated probabilities (n × C) for the images of `data` (any folder, same geometry). */
export function pixelProbs(state: PixelState, data: ImageData): Float32Array {
  let rows: Rows;
  if ((state.features ?? 'pca') === 'pca') {
    if (!state.pixelPca) throw new Error('the saved pixel classifier has no PCA: train again');
    const pca = decodePixelPca(state.pixelPca);
    rows = { kind: 'dense', X: pixelFeatures(pca, data), n: data.n, dim: pca.k };
  } else {
    if (!state.hog) throw new Error('the saved pixel classifier has no HOG statistics: train again');
    const { X, dim } = hogFeaturesOf(state.hog, data);
    rows = { kind: 'dense', X, n: data.n, dim };
  }
  const C = state.nClasses;
  if (state.W.length !== rows.dim * C || state.b.length !== C) throw new Error('the saved pixel classifier is damaged: train again');
  const model = { W: Float64Array.from(state.W), b: Float64Array.from(state.b), dim: rows.dim, C, iterations: 0 };
  const every = Int32Array.from({ length: data.n }, (_, i) => i);
  return capped(state, softmaxRows(logitsLogReg(model, rows, every), data.n, C, state.temperature));
}
