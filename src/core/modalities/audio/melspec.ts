/**
 * Log-mel spectrogram, pure TS (no tfjs): frames of `winLength` samples every `hop`, a periodic Hann window,
 * zero-padded to `nFft`, power spectrum |X|², triangular mel filters on the HTK mel scale (mel = 2595·log10(1 + f/700),
 * peak 1, not area-normalised), then ln(energy + `logFloor`). Frames are not centred: a clip of N samples gives
 * 1 + floor((N − winLength) / hop) frames (0 when N < winLength). Output is row-major [frame][mel].
 *
 * Defaults: 16 kHz, 25 ms window (400), 10 ms hop (160), 512-point FFT, 64 mels from 0 Hz to 8 kHz.
 */
import { FFT } from './fft';

export interface MelOptions {
  sampleRate?: number;
  nFft?: number;
  winLength?: number;
  hop?: number;
  nMels?: number;
  fMin?: number;
  fMax?: number;
  /** 'hann' (periodic) or 'rect'. */
  window?: 'hann' | 'rect';
  logFloor?: number;
}

export interface MelSpectrogram {
  /** frames × nMels, row-major. */
  data: Float32Array;
  frames: number;
  nMels: number;
}

export const MEL_DEFAULTS: Required<MelOptions> = {
  sampleRate: 16000,
  nFft: 512,
  winLength: 400,
  hop: 160,
  nMels: 64,
  fMin: 0,
  fMax: 8000,
  window: 'hann',
  logFloor: 1e-6,
};

export const hzToMel = (f: number): number => 2595 * Math.log10(1 + f / 700);
export const melToHz = (m: number): number => 700 * (10 ** (m / 2595) - 1);

/** nMels × (nFft/2 + 1) triangular filters, row-major, and each filter's centre frequency. */
export function melFilterbank(o: Required<MelOptions>): { weights: Float32Array; centres: Float64Array } {
  const bins = o.nFft / 2 + 1;
  const lo = hzToMel(o.fMin);
  const hi = hzToMel(o.fMax);
  const pts = Array.from({ length: o.nMels + 2 }, (_, i) => melToHz(lo + ((hi - lo) * i) / (o.nMels + 1)));
  const weights = new Float32Array(o.nMels * bins);
  const centres = new Float64Array(o.nMels);
  for (let m = 0; m < o.nMels; m++) {
    const [a, c, b] = [pts[m], pts[m + 1], pts[m + 2]];
    centres[m] = c;
    for (let k = 0; k < bins; k++) {
      const f = (k * o.sampleRate) / o.nFft;
      let w = 0;
      if (f > a && f <= c) w = (f - a) / (c - a);
      else if (f > c && f < b) w = (b - f) / (b - c);
      weights[m * bins + k] = w;
    }
  }
  return { weights, centres };
}

/** A reusable log-mel extractor (window, FFT twiddles and filterbank computed once). */
export class LogMel {
  readonly opts: Required<MelOptions>;
  readonly filters: Float32Array;
  readonly centres: Float64Array;
  private readonly fft: FFT;
  private readonly win: Float64Array;
  private readonly re: Float64Array;
  private readonly im: Float64Array;
  private readonly power: Float64Array;
  /** Per mel filter, the first and one-past-last FFT bin with a non-zero weight. */
  private readonly spans: Int32Array;

  constructor(opts: MelOptions = {}) {
    const o = { ...MEL_DEFAULTS, ...opts };
    if (o.winLength > o.nFft) throw new RangeError(`winLength ${o.winLength} is longer than nFft ${o.nFft}`);
    if (!(o.hop >= 1) || !(o.nMels >= 1) || !(o.fMax > o.fMin) || o.fMax > o.sampleRate / 2) {
      throw new RangeError('bad mel options (need hop ≥ 1, nMels ≥ 1, fMin < fMax ≤ sampleRate/2)');
    }
    this.opts = o;
    this.fft = new FFT(o.nFft);
    this.win = new Float64Array(o.winLength);
    for (let i = 0; i < o.winLength; i++) this.win[i] = o.window === 'rect' ? 1 : 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / o.winLength);
    const fb = melFilterbank(o);
    this.filters = fb.weights;
    this.centres = fb.centres;
    this.re = new Float64Array(o.nFft);
    this.im = new Float64Array(o.nFft);
    this.power = new Float64Array(o.nFft / 2 + 1);
    const bins = o.nFft / 2 + 1;
    this.spans = new Int32Array(2 * o.nMels);
    for (let m = 0; m < o.nMels; m++) {
      let a = 0;
      while (a < bins && this.filters[m * bins + a] === 0) a++;
      let b = bins;
      while (b > a && this.filters[m * bins + b - 1] === 0) b--;
      this.spans[2 * m] = a;
      this.spans[2 * m + 1] = b;
    }
  }

  frameCount(samples: number): number {
    const { winLength, hop } = this.opts;
    return samples < winLength ? 0 : 1 + Math.floor((samples - winLength) / hop);
  }

  /** |X[k]|² of the windowed frame starting at `start` (k = 0 … nFft/2). The returned array is reused. */
  powerSpectrum(x: Float32Array, start: number): Float64Array {
    const { nFft, winLength } = this.opts;
    this.re.fill(0);
    this.im.fill(0);
    for (let i = 0; i < winLength; i++) this.re[i] = x[start + i] * this.win[i];
    this.fft.transform(this.re, this.im);
    for (let k = 0; k <= nFft / 2; k++) this.power[k] = this.re[k] * this.re[k] + this.im[k] * this.im[k];
    return this.power;
  }

  compute(x: Float32Array): MelSpectrogram {
    const { nMels, hop, logFloor, nFft } = this.opts;
    const bins = nFft / 2 + 1;
    const frames = this.frameCount(x.length);
    const data = new Float32Array(frames * nMels);
    for (let t = 0; t < frames; t++) {
      const p = this.powerSpectrum(x, t * hop);
      for (let m = 0; m < nMels; m++) {
        let e = 0;
        const row = m * bins;
        for (let k = this.spans[2 * m], end = this.spans[2 * m + 1]; k < end; k++) e += this.filters[row + k] * p[k];
        data[t * nMels + m] = Math.log(e + logFloor);
      }
    }
    return { data, frames, nMels };
  }
}

/** Fits `x` to exactly `samples` samples: centred crop when longer, zero padding at the end when shorter. */
export function fixLength(x: Float32Array, samples: number): Float32Array {
  if (x.length === samples) return x;
  const out = new Float32Array(samples);
  if (x.length > samples) out.set(x.subarray(Math.floor((x.length - samples) / 2), Math.floor((x.length - samples) / 2) + samples));
  else out.set(x);
  return out;
}

/** Log-mel spectrogram of a fixed-length clip (`seconds` at the options' rate, default 1 s). */
export function logMelClip(x: Float32Array, seconds = 1, opts: MelOptions = {}): MelSpectrogram {
  const lm = new LogMel(opts);
  return lm.compute(fixLength(x, Math.round(seconds * lm.opts.sampleRate)));
}
