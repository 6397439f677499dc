/**
 * What the audio encoder sees, in plain JS (no tfjs): each log-mel clip standardised on its own (mean 0, std 1 over
 * the clip, so loudness does not matter), and the views of the pretext tasks made on the log-mel spectrogram itself —
 * cheap, no re-decoding: a time shift, a gain (a constant in log energy), noise mixed at a random SNR (added in the
 * energy domain, per time-frequency cell), and SpecAugment time and frequency masks.
 */
import type { Rng } from '../../models/random';

export interface SpecAugmentOptions {
  /** Largest shift, as a fraction of the frames. */
  maxShift: number;
  /** Gain range, dB. */
  gainDb: [number, number];
  /** Probability of mixing noise, and its SNR range in dB. */
  noiseP: number;
  snrDb: [number, number];
  /** Time masks: count, and largest width as a fraction of the frames. */
  timeMasks: number;
  timeMaskWidth: number;
  /** Frequency masks: count, and largest width in mel bands. */
  freqMasks: number;
  freqMaskWidth: number;
  /** Tempo: the clip is resampled in time by a factor in 1 ± `stretch` (linear interpolation; default 0: none). */
  stretch?: number;
  /** Pitch: the mel bands move by up to ± `melShift` bands (fractional, interpolated; edges repeat; default 0). */
  melShift?: number;
}

export const CONTRASTIVE_AUGMENT: SpecAugmentOptions = {
  maxShift: 0.15,
  gainDb: [-6, 6],
  noiseP: 0.5,
  snrDb: [5, 25],
  timeMasks: 2,
  timeMaskWidth: 0.1,
  freqMasks: 2,
  freqMaskWidth: 6,
};

export const MILD_AUGMENT: SpecAugmentOptions = {
  maxShift: 0.05,
  gainDb: [-3, 3],
  noiseP: 0.2,
  snrDb: [15, 30],
  timeMasks: 0,
  timeMaskWidth: 0,
  freqMasks: 0,
  freqMaskWidth: 0,
};

/** Standardises `per` values of `src` from `so` into `dst` at `dO` (mean 0, std 1; a constant clip becomes 0). */
export function standardizeInto(src: ArrayLike<number>, so: number, per: number, dst: Float32Array, dO: number): void {
  let s = 0;
  for (let i = 0; i < per; i++) s += src[so + i];
  const mean = s / per;
  let v = 0;
  for (let i = 0; i < per; i++) v += (src[so + i] - mean) ** 2;
  const inv = 1 / Math.sqrt(v / per + 1e-6);
  for (let i = 0; i < per; i++) dst[dO + i] = (src[so + i] - mean) * inv;
}

const LN10_10 = Math.LN10 / 10;

/** A view's geometry: frames moved by `shift`, tempo `rate` about the centre, bands moved by `melShift` (fractional). */
export interface ViewGeometry {
  shift: number;
  rate: number;
  melShift: number;
}

/**
 * The log-mel of the clip at `base` of `spec` moved in time, tempo and pitch as `v` says, into `out` at `oo`: frame t
 * reads source time mid + (t − shift − mid)·rate, band m reads band m − melShift (interpolated, edges repeat); what
 * falls outside the clip is `floor`.
 */
export function warpSpec(
  spec: Float32Array,
  base: number,
  frames: number,
  mels: number,
  v: ViewGeometry,
  floor: number,
  out: Float32Array | Float64Array,
  oo: number,
): void {
  const { shift: s, rate, melShift: ms } = v;
  const warped = rate !== 1 || ms !== 0;
  const mid = (frames - 1) / 2;
  for (let t = 0; t < frames; t++) {
    const src = t - s;
    const ts = warped ? mid + (src - mid) * rate : src;
    const t0 = Math.floor(ts);
    const ft = ts - t0;
    for (let m = 0; m < mels; m++) {
      let x: number;
      if (!warped) x = src >= 0 && src < frames ? spec[base + src * mels + m] : floor;
      else if (ts < 0 || ts > frames - 1) x = floor;
      else {
        const mm = Math.min(mels - 1, Math.max(0, m - ms));
        const m0 = Math.min(mels - 2, Math.floor(mm));
        const fm = mm - m0;
        const t1 = Math.min(frames - 1, t0 + 1);
        const at = (tt: number, b: number) => spec[base + tt * mels + b];
        x = (1 - ft) * ((1 - fm) * at(t0, m0) + fm * at(t0, m0 + 1)) + ft * ((1 - fm) * at(t1, m0) + fm * at(t1, m0 + 1));
      }
      out[oo + t * mels + m] = x;
    }
  }
}

/** Every clip of `spec` (n × frames × mels log-mel) moved as `v` says, each gap filled with its own clip's floor (not standardised). */
export function fixedViews(spec: Float32Array, n: number, frames: number, mels: number, v: ViewGeometry): Float32Array {
  const per = frames * mels;
  const out = new Float32Array(n * per);
  for (let i = 0; i < n; i++) {
    let lo = Infinity;
    for (let k = i * per; k < (i + 1) * per; k++) if (spec[k] < lo) lo = spec[k];
    warpSpec(spec, i * per, frames, mels, v, lo, out, i * per);
  }
  return out;
}

/** augmentSpec's scratch for the moved clip (one per thread, grown as needed). */
let warped64 = new Float64Array(0);

/**
 * One augmented view of clip `item` of `spec` (n × frames × mels log-mel), standardised, into `out` at `oo`. `tmp` is
 * scratch of frames × mels.
 */
export function augmentSpec(
  spec: Float32Array,
  item: number,
  frames: number,
  mels: number,
  o: SpecAugmentOptions,
  rng: Rng,
  tmp: Float32Array,
  out: Float32Array,
  oo: number,
): void {
  const per = frames * mels;
  const base = item * per;
  let lo = Infinity;
  let meanE = 0;
  for (let i = 0; i < per; i++) {
    const x = spec[base + i];
    if (x < lo) lo = x;
    meanE += Math.exp(x);
  }
  meanE /= per;
  // time shift: frames move by s, the gap is filled with the clip's floor
  const maxS = Math.floor(o.maxShift * frames);
  const s = maxS ? rng.int(2 * maxS + 1) - maxS : 0;
  const g = rng.uniform(o.gainDb[0], o.gainDb[1]) * LN10_10;
  const noisy = rng.next() < o.noiseP;
  const noiseE = noisy ? meanE * 10 ** (-rng.uniform(o.snrDb[0], o.snrDb[1]) / 10) : 0;
  const rate = o.stretch ? 1 + rng.uniform(-o.stretch, o.stretch) : 1;
  const ms = o.melShift ? rng.uniform(-o.melShift, o.melShift) : 0;
  // The moved clip in doubles (noise and gain are added before the one rounding to float32).
  if (warped64.length < per) warped64 = new Float64Array(per);
  warpSpec(spec, base, frames, mels, { shift: s, rate, melShift: ms }, lo, warped64, 0);
  for (let k = 0; k < per; k++) {
    let x = warped64[k];
    if (noisy) {
      const r = rng.next() * 2; // a noise cell's energy: exponential-ish around its mean
      x = Math.log(Math.exp(x) + noiseE * r + 1e-10);
    }
    tmp[k] = x + g;
  }
  standardizeInto(tmp, 0, per, out, oo);
  // SpecAugment masks on the standardised view (filled with 0, the mean)
  for (let c = 0; c < o.timeMasks; c++) {
    const w = rng.int(Math.floor(o.timeMaskWidth * frames) + 1);
    const t0 = rng.int(frames - w + 1);
    out.fill(0, oo + t0 * mels, oo + (t0 + w) * mels);
  }
  for (let c = 0; c < o.freqMasks; c++) {
    const w = rng.int(Math.min(mels, o.freqMaskWidth) + 1);
    const m0 = rng.int(mels - w + 1);
    for (let t = 0; t < frames; t++) out.fill(0, oo + t * mels + m0, oo + t * mels + m0 + w);
  }
}

/**
 * Masks blocks of frames of a standardised view in place (set to 0) for the masked-frame task, about `ratio` of the
 * frames in blocks of up to `maxBlock`; returns which frames are masked (1) in `mask` at `mo`.
 */
export function maskFrameBlocks(
  view: Float32Array,
  vo: number,
  frames: number,
  mels: number,
  ratio: number,
  maxBlock: number,
  rng: Rng,
  mask: Float32Array,
  mo: number,
): void {
  mask.fill(0, mo, mo + frames);
  let masked = 0;
  const want = Math.max(1, Math.round(ratio * frames));
  for (let guard = 0; masked < want && guard < 100; guard++) {
    const w = 1 + rng.int(Math.min(maxBlock, want - masked));
    const t0 = rng.int(frames - w + 1);
    for (let t = t0; t < t0 + w; t++) {
      if (!mask[mo + t]) masked++;
      mask[mo + t] = 1;
      view.fill(0, vo + t * mels, vo + (t + 1) * mels);
    }
  }
}

/** Average-pools a frames × mels clip 2×2 (odd edges: the last row/column alone) into `out` at `oo`. */
export function pool2x2(x: Float32Array, xo: number, frames: number, mels: number, out: Float32Array, oo: number): void {
  const F = Math.ceil(frames / 2);
  const M = Math.ceil(mels / 2);
  for (let a = 0; a < F; a++) {
    for (let b = 0; b < M; b++) {
      let s = 0;
      let c = 0;
      for (let t = 2 * a; t < Math.min(frames, 2 * a + 2); t++)
        for (let m = 2 * b; m < Math.min(mels, 2 * b + 2); m++) {
          s += x[xo + t * mels + m];
          c++;
        }
      out[oo + a * M + b] = s / c;
    }
  }
}
