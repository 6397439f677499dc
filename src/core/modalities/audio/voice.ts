/**
 * Voice features of a clip (16 kHz mono samples), no tfjs: what carries a speaker's identity that the 40-band
 * log-mel cannot see. Per clip:
 *   - pitch: F0 per 10 ms frame by YIN (cumulative mean normalised difference, 8 kHz, 32 ms windows, 60–420 Hz,
 *     parabolic refinement), over the voiced frames (periodic and loud enough): mean, median, std, 10th and 90th
 *     percentiles of log2 F0, mean |Δ log2 F0| between voiced neighbours, the voiced fraction, and the mean
 *     periodicity (1 − the YIN dip);
 *   - the long-term average spectrum over the voiced frames (512-point FFT at 16 kHz, 32 log-spaced bands
 *     80–7,600 Hz, each less the clip's mean level: formants and spectral tilt, blind to gain), the tilt itself (slope
 *     of band level on log2 frequency) and the spectral centroid (log2 Hz) mean and std;
 *   - voice quality: the level of harmonics 2…8 against the first (H1−H2 and on), on each voiced frame's own F0.
 * `voiceFeatures(x)` → VOICE_DIM numbers; every entry is finite (a clip without voiced frames uses its loudest ones).
 */
import { FFT } from './fft';
import { resample } from './resample';

export const VOICE_OPTIONS = {
  rate: 16000,
  /** YIN at this rate. */
  pitchRate: 8000,
  window: 256,
  hop: 80,
  minF0: 60,
  maxF0: 420,
  /** A frame is periodic when its YIN dip is below this. */
  threshold: 0.2,
  /** A frame is loud enough when its RMS is above this fraction of the clip's 95th-percentile frame RMS. */
  loudFraction: 0.1,
  bands: 32,
  lowHz: 80,
  highHz: 7600,
  fft: 512,
};

/** Bumped when the features change (the cache of them is by content hash and this). */
export const VOICE_VERSION = 2;
export const VOICE_PITCH_DIM = 8;
/** Harmonics 2…HARMONICS+1 measured against the first. */
export const VOICE_HARMONICS = 7;
export const VOICE_DIM = VOICE_PITCH_DIM + VOICE_OPTIONS.bands + 3 + VOICE_HARMONICS;

/** Names of the columns (for reports). */
export function voiceColumns(): string[] {
  const p = ['f0-mean', 'f0-median', 'f0-std', 'f0-p10', 'f0-p90', 'f0-delta', 'voiced', 'periodicity'];
  const b = Array.from({ length: VOICE_OPTIONS.bands }, (_, i) => `band-${i}`);
  const h = Array.from({ length: VOICE_HARMONICS }, (_, i) => `h${i + 2}-h1`);
  return [...p, ...b, 'tilt', 'centroid-mean', 'centroid-std', ...h];
}

function quantile(sorted: Float64Array | number[], q: number): number {
  if (!sorted.length) return 0;
  const pos = q * (sorted.length - 1);
  const a = Math.floor(pos);
  const b = Math.min(sorted.length - 1, a + 1);
  return sorted[a] + (pos - a) * (sorted[b] - sorted[a]);
}

/**
 * YIN over frames of `y` (at `rate`): per frame the F0 (Hz, 0 if none), the dip (min normalised difference) and the
 * RMS. Frames quieter than `loudFraction` of the 95th-percentile frame RMS (`skipQuiet`) are not searched (F0 0, dip 1):
 * the voice features read only loud frames, and a clip is about half silence.
 */
export function yinTrack(
  y: Float32Array,
  rate: number,
  o = VOICE_OPTIONS,
  skipQuiet = false,
): { f0: Float64Array; dip: Float64Array; rms: Float64Array } {
  const W = Math.round((o.window * rate) / o.pitchRate);
  const hop = Math.max(1, Math.round((o.hop * rate) / o.pitchRate));
  const tMin = Math.max(2, Math.floor(rate / o.maxF0));
  const tMax = Math.min(W - 1, Math.ceil(rate / o.minF0));
  const frames = y.length >= W + tMax ? Math.floor((y.length - W - tMax) / hop) + 1 : 0;
  const f0 = new Float64Array(frames);
  const dip = new Float64Array(frames).fill(1);
  const rms = new Float64Array(frames);
  const d = new Float64Array(tMax + 1);
  for (let f = 0; f < frames; f++) {
    const s = f * hop;
    let e = 0;
    for (let j = 0; j < W; j++) e += y[s + j] * y[s + j];
    rms[f] = Math.sqrt(e / W);
  }
  const floor = skipQuiet ? o.loudFraction * quantile(Float64Array.from(rms).sort(), 0.95) : 0;
  for (let f = 0; f < frames; f++) {
    const s = f * hop;
    if (rms[f] * rms[f] * W <= 1e-12 || (skipQuiet && !(rms[f] > floor))) continue;
    for (let t = 1; t <= tMax; t++) {
      let acc = 0;
      for (let j = 0; j < W; j++) {
        const v = y[s + j] - y[s + j + t];
        acc += v * v;
      }
      d[t] = acc;
    }
    // Cumulative mean normalised difference; the first dip under the threshold, else the global minimum.
    let run = 0;
    let best = -1;
    let bestV = Infinity;
    const cm = new Float64Array(tMax + 1);
    for (let t = 1; t <= tMax; t++) {
      run += d[t];
      cm[t] = run > 0 ? (d[t] * t) / run : 1;
    }
    for (let t = tMin; t <= tMax; t++) {
      if (cm[t] < o.threshold) {
        while (t + 1 <= tMax && cm[t + 1] < cm[t]) t++;
        best = t;
        bestV = cm[t];
        break;
      }
      if (cm[t] < bestV) {
        bestV = cm[t];
        best = t;
      }
    }
    if (best < 0) continue;
    let tau = best;
    if (best > 1 && best < tMax) {
      const a = cm[best - 1];
      const b = cm[best];
      const c = cm[best + 1];
      const den = a - 2 * b + c;
      if (den > 0) tau = best + (0.5 * (a - c)) / den;
    }
    dip[f] = bestV;
    f0[f] = rate / tau;
  }
  return { f0, dip, rms };
}

/** The voice features of one clip (16 kHz mono). */
export function voiceFeatures(x: Float32Array, o = VOICE_OPTIONS): Float32Array {
  const out = new Float32Array(VOICE_DIM);
  const y = resample(x, o.rate, o.pitchRate);
  const { f0, dip, rms } = yinTrack(y, o.pitchRate, o, true);
  const n = f0.length;
  const sortedRms = Float64Array.from(rms).sort();
  const ref = quantile(sortedRms, 0.95);
  const loud = new Uint8Array(n);
  let nLoud = 0;
  for (let f = 0; f < n; f++) {
    if (rms[f] > o.loudFraction * ref && ref > 0) {
      loud[f] = 1;
      nLoud++;
    }
  }
  const voiced: number[] = [];
  for (let f = 0; f < n; f++) if (loud[f] && f0[f] > 0 && dip[f] < o.threshold) voiced.push(f);
  // Pitch statistics (log2 Hz); without voiced frames, the loudest frames' estimates.
  let use = voiced;
  if (use.length < 3) {
    use = Array.from(rms.keys())
      .filter((f) => f0[f] > 0)
      .sort((a, b) => rms[b] - rms[a])
      .slice(0, Math.max(3, Math.round(n / 10)));
  }
  const lf = use.map((f) => Math.log2(f0[f]));
  if (lf.length) {
    const mean = lf.reduce((s, v) => s + v, 0) / lf.length;
    const sd = Math.sqrt(lf.reduce((s, v) => s + (v - mean) ** 2, 0) / lf.length);
    const sorted = [...lf].sort((a, b) => a - b);
    let dsum = 0;
    let dn = 0;
    for (let k = 1; k < use.length; k++) {
      if (use[k] === use[k - 1] + 1) {
        dsum += Math.abs(lf[k] - lf[k - 1]);
        dn++;
      }
    }
    out[0] = mean;
    out[1] = quantile(sorted, 0.5);
    out[2] = sd;
    out[3] = quantile(sorted, 0.1);
    out[4] = quantile(sorted, 0.9);
    out[5] = dn ? dsum / dn : 0;
    out[7] = use.reduce((s, f) => s + (1 - Math.min(1, dip[f])), 0) / use.length;
  } else {
    out[0] = out[1] = out[3] = out[4] = Math.log2(150);
  }
  out[6] = nLoud ? voiced.length / nLoud : 0;
  // Long-term average spectrum over the voiced frames (else the loud ones) at 16 kHz, same frame times.
  const frames = voiced.length >= 3 ? voiced : Array.from(loud.keys()).filter((f) => loud[f]);
  const N = o.fft;
  const fft = new FFT(N);
  const hopHi = Math.round((o.hop * o.rate) / o.pitchRate);
  const re = new Float64Array(N);
  const im = new Float64Array(N);
  const power = new Float64Array(N / 2 + 1);
  const hann = Float64Array.from({ length: N }, (_, j) => 0.5 - 0.5 * Math.cos((2 * Math.PI * j) / N));
  const B = o.bands;
  const edges = Float64Array.from({ length: B + 1 }, (_, b) => o.lowHz * (o.highHz / o.lowHz) ** (b / B));
  const binHz = o.rate / N;
  const cents: number[] = [];
  const harm = new Float64Array(VOICE_HARMONICS);
  let nHarm = 0;
  const peak = (hz: number) => {
    const k = Math.round(hz / binHz);
    let p = 0;
    for (let q = Math.max(1, k - 1); q <= Math.min(N / 2, k + 1); q++) p = Math.max(p, re[q] * re[q] + im[q] * im[q]);
    return Math.log(1e-12 + p);
  };
  let used = 0;
  for (const f of frames) {
    const s = f * hopHi;
    if (s + N > x.length) continue;
    for (let j = 0; j < N; j++) {
      re[j] = x[s + j] * hann[j];
      im[j] = 0;
    }
    fft.transform(re, im);
    let tot = 0;
    let wsum = 0;
    for (let k = 0; k <= N / 2; k++) {
      const p = re[k] * re[k] + im[k] * im[k];
      power[k] += p;
      tot += p;
      wsum += p * k * binHz;
    }
    if (tot > 0) cents.push(Math.log2(Math.max(1, wsum / tot)));
    // Harmonic amplitudes against the first (voice quality: H1−H2 and the harmonics' fall), on the frame's own F0.
    const hz = f0[f];
    if (hz > 0 && dip[f] < o.threshold && (VOICE_HARMONICS + 1) * hz < o.rate / 2) {
      const h1 = peak(hz);
      for (let h = 0; h < VOICE_HARMONICS; h++) harm[h] += peak((h + 2) * hz) - h1;
      nHarm++;
    }
    used++;
  }
  const band = new Float64Array(B);
  for (let b = 0; b < B; b++) {
    let acc = 0;
    let cnt = 0;
    for (let k = Math.max(1, Math.floor(edges[b] / binHz)); k <= Math.min(N / 2, Math.ceil(edges[b + 1] / binHz)); k++) {
      acc += power[k];
      cnt++;
    }
    band[b] = Math.log(1e-10 + acc / Math.max(1, cnt) / Math.max(1, used));
  }
  const lv = band.reduce((s, v) => s + v, 0) / B;
  let sx = 0;
  let sy = 0;
  let sxx = 0;
  let sxy = 0;
  for (let b = 0; b < B; b++) {
    const fx = Math.log2(Math.sqrt(edges[b] * edges[b + 1]));
    out[VOICE_PITCH_DIM + b] = band[b] - lv;
    sx += fx;
    sy += band[b];
    sxx += fx * fx;
    sxy += fx * band[b];
  }
  out[VOICE_PITCH_DIM + B] = (B * sxy - sx * sy) / Math.max(1e-9, B * sxx - sx * sx);
  if (cents.length) {
    const cm = cents.reduce((s, v) => s + v, 0) / cents.length;
    out[VOICE_PITCH_DIM + B + 1] = cm;
    out[VOICE_PITCH_DIM + B + 2] = Math.sqrt(cents.reduce((s, v) => s + (v - cm) ** 2, 0) / cents.length);
  }
  for (let h = 0; h < VOICE_HARMONICS; h++) out[VOICE_PITCH_DIM + B + 3 + h] = nHarm ? harm[h] / nHarm : 0;
  for (let i = 0; i < VOICE_DIM; i++) if (!Number.isFinite(out[i])) out[i] = 0;
  return out;
}
