/**
 * Seeded augmentations for pretext tasks, pure TS. Waveform: time shift, gain, mixed noise at a signal-to-noise
 * ratio, speed change (pitch and tempo together, by resampling) and tempo change (overlap-add, pitch kept).
 * Spectrogram: SpecAugment time and frequency masks. Every function takes an `Rng` so a seed fixes the result; none
 * changes its input.
 */
import { resample } from './resample';
import type { MelSpectrogram } from './melspec';
import { mulberry32 } from '../../models/random';

/** A seeded uniform generator in [0, 1) (mulberry32). */
export type Rng = () => number;

/** The engine's one seeded PRNG (src/core/models/random.ts). */
export const makeRng: (seed: number) => Rng = mulberry32;

const uniform = (rng: Rng, lo: number, hi: number): number => lo + (hi - lo) * rng();

/** Standard normal (Box–Muller). */
export function gaussian(rng: Rng): number {
  const u = Math.max(rng(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng());
}

/** Shifts by a uniform whole number of samples in [-maxShift, maxShift], zero-filling what moves in. */
export function timeShift(x: Float32Array, maxShift: number, rng: Rng): Float32Array {
  const s = Math.round(uniform(rng, -maxShift, maxShift));
  const out = new Float32Array(x.length);
  if (s >= 0) out.set(x.subarray(0, Math.max(0, x.length - s)), Math.min(s, x.length));
  else out.set(x.subarray(Math.min(-s, x.length)));
  return out;
}

/** Multiplies by a gain uniform in [minDb, maxDb] decibels (clipped to [-1, 1]). */
export function gain(x: Float32Array, minDb: number, maxDb: number, rng: Rng): Float32Array {
  const g = 10 ** (uniform(rng, minDb, maxDb) / 20);
  return x.map((v) => Math.max(-1, Math.min(1, v * g)));
}

function rms(x: Float32Array): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i] * x[i];
  return Math.sqrt(s / Math.max(1, x.length));
}

/**
 * Adds noise at a signal-to-noise ratio uniform in [minSnrDb, maxSnrDb]: white Gaussian noise, or a random crop of
 * `noise` (looped when shorter) when given.
 */
export function mixNoise(x: Float32Array, minSnrDb: number, maxSnrDb: number, rng: Rng, noise?: Float32Array): Float32Array {
  const n = new Float32Array(x.length);
  if (noise && noise.length) {
    const off = Math.floor(rng() * noise.length);
    for (let i = 0; i < n.length; i++) n[i] = noise[(off + i) % noise.length];
  } else {
    for (let i = 0; i < n.length; i++) n[i] = gaussian(rng);
  }
  const rs = rms(x);
  const rn = rms(n);
  if (rs === 0 || rn === 0) return x.slice();
  const snr = uniform(rng, minSnrDb, maxSnrDb);
  const k = rs / (rn * 10 ** (snr / 20));
  const out = new Float32Array(x.length);
  for (let i = 0; i < x.length; i++) out[i] = Math.max(-1, Math.min(1, x[i] + k * n[i]));
  return out;
}

/** Fits to `len` samples: crop the start or zero-pad the end. */
function fit(x: Float32Array, len: number): Float32Array {
  if (x.length === len) return x;
  const out = new Float32Array(len);
  out.set(x.subarray(0, len));
  return out;
}

/**
 * Speed change by a factor uniform in [minFactor, maxFactor] (1.1 = 10 % faster and higher): resampling, then fit
 * back to the input length. Pitch and tempo move together, as in Kaldi's speed perturbation.
 */
export function speedChange(x: Float32Array, minFactor: number, maxFactor: number, rng: Rng): Float32Array {
  const f = uniform(rng, minFactor, maxFactor);
  // Playing at speed f: the signal lasts len/f; resampling from rate r·f to r does exactly that.
  return fit(resample(x, Math.round(16000 * f), 16000), x.length);
}

/**
 * Tempo change by a factor uniform in [minFactor, maxFactor] with the pitch kept: WSOLA (waveform-similarity
 * overlap-add). Hann frames of `frame` samples are laid every frame/2 samples at the output; each is read near
 * factor × its output position, shifted by up to ±frame/4 to best continue the previous frame's waveform (so phases
 * line up and the pitch stays). The result is fitted back to the input length. Meant for small changes (±10 %).
 */
export function tempoChange(x: Float32Array, minFactor: number, maxFactor: number, rng: Rng, frame = 512): Float32Array {
  const f = uniform(rng, minFactor, maxFactor);
  const hs = frame / 2;
  const tol = frame / 4;
  const outLen = Math.max(0, Math.round(x.length / f));
  const out = new Float32Array(outLen + frame);
  const norm = new Float32Array(outLen + frame);
  const w = new Float32Array(frame);
  for (let i = 0; i < frame; i++) w[i] = 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / frame);
  const at = (i: number) => (i >= 0 && i < x.length ? x[i] : 0);
  let prev = 0; // where the previous frame was read
  for (let k = 0; k * hs < outLen; k++) {
    let src = Math.round(k * hs * f);
    if (k > 0) {
      const target = prev + hs; // the natural continuation of the previous frame
      let best = -Infinity;
      let bestD = 0;
      for (let d = -tol; d <= tol; d++) {
        let c = 0;
        for (let i = 0; i < frame; i += 2) c += at(src + d + i) * at(target + i);
        if (c > best) {
          best = c;
          bestD = d;
        }
      }
      src += bestD;
    }
    prev = src;
    const dst = k * hs;
    for (let i = 0; i < frame; i++) {
      out[dst + i] += at(src + i) * w[i];
      norm[dst + i] += w[i];
    }
  }
  for (let i = 0; i < out.length; i++) if (norm[i] > 1e-3) out[i] /= norm[i];
  return fit(out.subarray(0, outLen), x.length);
}

/** SpecAugment time masks: `count` masks of width uniform in [0, maxWidth] frames, filled with `fill` (default: the mean). */
export function timeMask(s: MelSpectrogram, count: number, maxWidth: number, rng: Rng, fill?: number): MelSpectrogram {
  const data = s.data.slice();
  const v = fill ?? mean(s.data);
  for (let c = 0; c < count; c++) {
    const w = Math.min(s.frames, Math.floor(rng() * (maxWidth + 1)));
    const t0 = Math.floor(rng() * (s.frames - w + 1));
    for (let t = t0; t < t0 + w; t++) data.fill(v, t * s.nMels, (t + 1) * s.nMels);
  }
  return { data, frames: s.frames, nMels: s.nMels };
}

/** SpecAugment frequency masks: `count` bands of width uniform in [0, maxWidth] mels. */
export function freqMask(s: MelSpectrogram, count: number, maxWidth: number, rng: Rng, fill?: number): MelSpectrogram {
  const data = s.data.slice();
  const v = fill ?? mean(s.data);
  for (let c = 0; c < count; c++) {
    const w = Math.min(s.nMels, Math.floor(rng() * (maxWidth + 1)));
    const m0 = Math.floor(rng() * (s.nMels - w + 1));
    for (let t = 0; t < s.frames; t++) data.fill(v, t * s.nMels + m0, t * s.nMels + m0 + w);
  }
  return { data, frames: s.frames, nMels: s.nMels };
}

function mean(a: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i];
  return a.length ? s / a.length : 0;
}

export interface WaveAugmentOptions {
  maxShift?: number;
  gainDb?: [number, number];
  snrDb?: [number, number];
  speed?: [number, number];
  tempo?: [number, number];
  /** Probability of each of noise, speed and tempo being applied. Default 0.5. */
  p?: number;
  noise?: Float32Array;
}

/** One random waveform view for contrastive pretext tasks: shift and gain always, noise/speed/tempo each with p. */
export function augmentWave(x: Float32Array, rng: Rng, o: WaveAugmentOptions = {}): Float32Array {
  const p = o.p ?? 0.5;
  let y = timeShift(x, o.maxShift ?? 1600, rng);
  y = gain(y, ...(o.gainDb ?? [-6, 6]), rng);
  if (rng() < p) y = mixNoise(y, ...(o.snrDb ?? [5, 30]), rng, o.noise);
  if (rng() < p) y = speedChange(y, ...(o.speed ?? [0.9, 1.1]), rng);
  if (rng() < p) y = tempoChange(y, ...(o.tempo ?? [0.9, 1.1]), rng);
  return y;
}
