/**
 * Small pictures of a clip for the review grid, pure TS: a log-mel spectrogram as a grayscale image (low
 * frequencies at the bottom, time left to right, scaled to its own dynamic range), and waveform peaks.
 */
import type { MelSpectrogram } from './melspec';

/**
 * `width` × `height` gray pixels (row-major, top row first, 0 = quiet, 255 = loud) resampled from the spectrogram by
 * nearest neighbour. Levels span [max − rangeDb, max] (decibels of power; the spectrogram holds natural logs).
 */
export function spectrogramGray(s: MelSpectrogram, width: number, height: number, rangeDb = 80): Uint8Array {
  const out = new Uint8Array(width * height);
  if (!s.frames || !s.nMels) return out;
  let max = -Infinity;
  for (const v of s.data) if (v > max) max = v;
  const range = (rangeDb / 10) * Math.LN10; // dB of power → natural log units
  for (let y = 0; y < height; y++) {
    const m = Math.min(s.nMels - 1, Math.floor(((height - 1 - y) * s.nMels) / height));
    for (let x = 0; x < width; x++) {
      const t = Math.min(s.frames - 1, Math.floor((x * s.frames) / width));
      const v = (s.data[t * s.nMels + m] - (max - range)) / range;
      out[y * width + x] = Math.round(255 * Math.max(0, Math.min(1, v)));
    }
  }
  return out;
}

/** For each of `n` equal spans of the clip: its [min, max] sample (interleaved, 2n numbers). */
export function waveformPeaks(x: Float32Array, n: number): Float32Array {
  const out = new Float32Array(2 * n);
  for (let i = 0; i < n; i++) {
    const a = Math.floor((i * x.length) / n);
    const b = Math.max(a + 1, Math.floor(((i + 1) * x.length) / n));
    let lo = 0;
    let hi = 0;
    for (let j = a; j < Math.min(b, x.length); j++) {
      if (x[j] < lo) lo = x[j];
      if (x[j] > hi) hi = x[j];
    }
    out[2 * i] = lo;
    out[2 * i + 1] = hi;
  }
  return out;
}
