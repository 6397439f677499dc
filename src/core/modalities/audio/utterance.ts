/**
 * Utterance-level features of log-mel clips (n × frames × mels, natural logs), no tfjs — what the audio head reads
 * beside the encoders' embeddings. Per clip:
 *   1. the noise floor of each mel band (the mean of its quietest fifth of frames) is subtracted in the energy
 *      domain (spectral subtraction, at most −20 dB per cell), so that mixed noise weighs less;
 *   2. the voiced frames: frame level above the quietest-fifth level by `voicedNats` (at least `minVoiced` frames —
 *      the loudest — are always kept); the span from the first to the last of them is the utterance;
 *   3. MFCCs (orthonormal DCT of the denoised log-mel, `coeffs` coefficients) and blocks of numbers:
 *      - `mfcc`: mean and std of the MFCCs of the clip as it is (every frame, not denoised: the baseline's features);
 *      - `stats`: mean and std of each MFCC over the voiced frames, and the mean |delta| (speaker, channel);
 *      - `shape`: the utterance's MFCCs less their mean (cepstral mean normalisation), averaged over `segments`
 *        equal parts of the span (the word's course in time, blind to its onset and speed);
 *      - `spectrum`: per mel band the voiced mean less the clip's level, and the std over the voiced frames.
 * `utteranceFeatures` returns the raw rows; `standardizeBlocks` z-scores each column with given (pool) statistics
 * and weights each block to the same total variance, then L2-normalises the row (cosine kNN graphs read it).
 */
import { dctMatrix } from './mfcc';
import { VOICE_DIM, VOICE_HARMONICS, VOICE_PITCH_DIM } from './voice';

export const UTTERANCE_DEFAULTS = { coeffs: 20, segments: 8, voicedNats: 2.3, minVoiced: 8, floorFraction: 0.2 };

export interface UtteranceBlocks {
  /** Column ranges [start, end) of each block in a row. */
  mfcc: [number, number];
  stats: [number, number];
  shape: [number, number];
  spectrum: [number, number];
  /** With the clips' voice features (./voice.ts, withVoice): their pitch statistics and their long-term spectrum. */
  pitch?: [number, number];
  lts?: [number, number];
  harm?: [number, number];
}

export interface UtteranceRows {
  X: Float32Array;
  n: number;
  dim: number;
  blocks: UtteranceBlocks;
}

export function utteranceLayout(mels: number, o = UTTERANCE_DEFAULTS): { dim: number; blocks: UtteranceBlocks } {
  const K = Math.min(o.coeffs, mels);
  const mfcc: [number, number] = [0, 2 * K];
  const stats: [number, number] = [mfcc[1], mfcc[1] + 3 * K];
  const shape: [number, number] = [stats[1], stats[1] + o.segments * (K - 1)];
  const spectrum: [number, number] = [shape[1], shape[1] + 2 * mels];
  return { dim: spectrum[1], blocks: { mfcc, stats, shape, spectrum } };
}

/** Raw utterance features of every clip (see the module comment). */
export function utteranceFeatures(spec: Float32Array, n: number, frames: number, mels: number, o = UTTERANCE_DEFAULTS): UtteranceRows {
  const K = Math.min(o.coeffs, mels);
  const { dim, blocks } = utteranceLayout(mels, o);
  const X = new Float32Array(n * dim);
  const D = dctMatrix(K, mels);
  const clean = new Float64Array(frames * mels);
  const level = new Float64Array(frames);
  const floor = new Float64Array(mels);
  const col = new Float64Array(frames);
  const cep = new Float64Array(frames * K);
  const nFloor = Math.max(1, Math.round(frames * o.floorFraction));
  for (let i = 0; i < n; i++) {
    const base = i * frames * mels;
    // 1. Noise floor per band (mean of its quietest frames), subtracted in energy.
    for (let m = 0; m < mels; m++) {
      for (let t = 0; t < frames; t++) col[t] = spec[base + t * mels + m];
      const sorted = Float64Array.from(col).sort();
      let s = 0;
      for (let q = 0; q < nFloor; q++) s += sorted[q];
      floor[m] = s / nFloor;
    }
    for (let t = 0; t < frames; t++) {
      let lv = 0;
      for (let m = 0; m < mels; m++) {
        const v = spec[base + t * mels + m];
        // ln(max(e^v − e^floor, e^(v − 4.6))): at most 20 dB removed from any cell.
        const d = 1 - Math.exp(floor[m] - v);
        const c = v + Math.log(Math.max(d, 0.01));
        clean[t * mels + m] = c;
        lv += c;
      }
      level[t] = lv / mels;
    }
    // 2. Voiced frames and the utterance's span.
    const byLevel = Array.from(level.keys()).sort((a, b) => level[a] - level[b]);
    let quiet = 0;
    for (let q = 0; q < nFloor; q++) quiet += level[byLevel[q]];
    quiet /= nFloor;
    const voiced = new Uint8Array(frames);
    let nv = 0;
    for (let t = 0; t < frames; t++) {
      if (level[t] > quiet + o.voicedNats) {
        voiced[t] = 1;
        nv++;
      }
    }
    for (let q = frames - 1; q >= 0 && nv < Math.min(o.minVoiced, frames); q--) {
      if (!voiced[byLevel[q]]) {
        voiced[byLevel[q]] = 1;
        nv++;
      }
    }
    let first = 0;
    while (first < frames - 1 && !voiced[first]) first++;
    let last = frames - 1;
    while (last > first && !voiced[last]) last--;
    const row = i * dim;
    // The plain MFCC statistics of the clip as it is (every frame, no denoising): the baseline's features.
    {
      const s1 = new Float64Array(K);
      const s2 = new Float64Array(K);
      for (let t = 0; t < frames; t++) {
        for (let k = 0; k < K; k++) {
          let s = 0;
          for (let m = 0; m < mels; m++) s += D[k * mels + m] * spec[base + t * mels + m];
          s1[k] += s;
          s2[k] += s * s;
        }
      }
      for (let k = 0; k < K; k++) {
        const mu = s1[k] / frames;
        X[row + blocks.mfcc[0] + k] = mu;
        X[row + blocks.mfcc[0] + K + k] = Math.sqrt(Math.max(0, s2[k] / frames - mu * mu));
      }
    }
    // 3. MFCCs of the denoised frames.
    for (let t = 0; t < frames; t++) {
      for (let k = 0; k < K; k++) {
        let s = 0;
        for (let m = 0; m < mels; m++) s += D[k * mels + m] * clean[t * mels + m];
        cep[t * K + k] = s;
      }
    }
    const mean = new Float64Array(K);
    const sq = new Float64Array(K);
    const dabs = new Float64Array(K);
    let nd = 0;
    for (let t = 0; t < frames; t++) {
      if (!voiced[t]) continue;
      for (let k = 0; k < K; k++) {
        const v = cep[t * K + k];
        mean[k] += v;
        sq[k] += v * v;
      }
      if (t + 1 < frames && voiced[t + 1]) {
        for (let k = 0; k < K; k++) dabs[k] += Math.abs(cep[(t + 1) * K + k] - cep[t * K + k]);
        nd++;
      }
    }
    for (let k = 0; k < K; k++) {
      mean[k] /= nv;
      X[row + blocks.stats[0] + k] = mean[k];
      X[row + blocks.stats[0] + K + k] = Math.sqrt(Math.max(0, sq[k] / nv - mean[k] * mean[k]));
      X[row + blocks.stats[0] + 2 * K + k] = nd ? dabs[k] / nd : 0;
    }
    // Shape: the span's MFCCs (c1…) less the utterance mean, averaged over equal segments of the span.
    const span = last - first + 1;
    for (let s = 0; s < o.segments; s++) {
      const a = first + (s * span) / o.segments;
      const b = first + ((s + 1) * span) / o.segments;
      const t0 = Math.floor(a);
      const t1 = Math.max(t0 + 1, Math.ceil(b));
      for (let k = 1; k < K; k++) {
        let acc = 0;
        let w = 0;
        for (let t = t0; t < t1 && t < frames; t++) {
          // Fractional overlap of frame t with [a, b).
          const ov = Math.min(t + 1, b) - Math.max(t, a);
          const wt = ov > 0 ? ov : t === t0 ? 1e-3 : 0;
          acc += wt * cep[t * K + k];
          w += wt;
        }
        X[row + blocks.shape[0] + s * (K - 1) + (k - 1)] = w ? acc / w - mean[k] : 0;
      }
    }
    // Spectrum: per band the voiced mean less the clip's voiced level, and the voiced std.
    let lv = 0;
    const bm = new Float64Array(mels);
    const bs = new Float64Array(mels);
    for (let t = 0; t < frames; t++) {
      if (!voiced[t]) continue;
      for (let m = 0; m < mels; m++) {
        const v = clean[t * mels + m];
        bm[m] += v;
        bs[m] += v * v;
      }
    }
    for (let m = 0; m < mels; m++) {
      bm[m] /= nv;
      lv += bm[m] / mels;
    }
    for (let m = 0; m < mels; m++) {
      X[row + blocks.spectrum[0] + m] = bm[m] - lv;
      X[row + blocks.spectrum[0] + mels + m] = Math.sqrt(Math.max(0, bs[m] / nv - bm[m] * bm[m]));
    }
  }
  return { X, n, dim, blocks };
}

/**
 * The rows with each clip's voice features (n × VOICE_DIM, ./voice.ts) appended as the blocks `pitch` (F0
 * statistics), `lts` (long-term spectrum, tilt, centroid) and `harm` (harmonics against the first).
 */
export function withVoice(r: UtteranceRows, voice: Float32Array): UtteranceRows {
  if (voice.length !== r.n * VOICE_DIM) throw new Error(`voice features: ${voice.length} numbers for ${r.n} clips of ${VOICE_DIM}`);
  const dim = r.dim + VOICE_DIM;
  const X = new Float32Array(r.n * dim);
  for (let i = 0; i < r.n; i++) {
    X.set(r.X.subarray(i * r.dim, (i + 1) * r.dim), i * dim);
    X.set(voice.subarray(i * VOICE_DIM, (i + 1) * VOICE_DIM), i * dim + r.dim);
  }
  const h = dim - VOICE_HARMONICS;
  const blocks: UtteranceBlocks = {
    ...r.blocks,
    pitch: [r.dim, r.dim + VOICE_PITCH_DIM],
    lts: [r.dim + VOICE_PITCH_DIM, h],
    harm: [h, dim],
  };
  return { X, n: r.n, dim, blocks };
}

export interface ColumnStats {
  mean: number[];
  std: number[];
}

/** Mean and std of each column of X (n × dim). */
export function columnStats(X: Float32Array, n: number, dim: number): ColumnStats {
  const mean = new Float64Array(dim);
  const sq = new Float64Array(dim);
  for (let i = 0; i < n; i++) {
    for (let d = 0; d < dim; d++) {
      const v = X[i * dim + d];
      mean[d] += v;
      sq[d] += v * v;
    }
  }
  const std: number[] = [];
  for (let d = 0; d < dim; d++) {
    mean[d] /= Math.max(1, n);
    std.push(Math.sqrt(Math.max(1e-12, sq[d] / Math.max(1, n) - mean[d] * mean[d])));
  }
  return { mean: Array.from(mean), std };
}

/**
 * The blocks of weight > 0 (default 1 each) of the rows, z-scored per column with `stats`, each block scaled so that
 * its expected squared norm is its weight, then each row L2-normalised. Returns n × dim (dim: the kept columns).
 */
export function standardizeBlocks(
  r: UtteranceRows,
  stats: ColumnStats,
  weights: Partial<Record<keyof UtteranceBlocks, number>> = {},
): { X: Float32Array; dim: number } {
  const cols: number[] = [];
  const scale: number[] = [];
  for (const name of Object.keys(r.blocks) as (keyof UtteranceBlocks)[]) {
    const range = r.blocks[name];
    if (!range) continue;
    const [a, b] = range;
    const w = weights[name] ?? 1;
    if (!(w > 0)) continue;
    for (let d = a; d < b; d++) {
      cols.push(d);
      scale.push(Math.sqrt(w / (b - a)) / stats.std[d]);
    }
  }
  const dim = cols.length;
  const out = new Float32Array(r.n * dim);
  for (let i = 0; i < r.n; i++) {
    let s = 0;
    for (let j = 0; j < dim; j++) {
      const d = cols[j];
      const v = (r.X[i * r.dim + d] - stats.mean[d]) * scale[j];
      out[i * dim + j] = v;
      s += v * v;
    }
    const k = s > 0 ? 1 / Math.sqrt(s) : 0;
    for (let j = 0; j < dim; j++) out[i * dim + j] *= k;
  }
  return { X: out, dim };
}
