/**
 * MFCCs from a log-mel spectrogram (orthonormal DCT-II over the mel axis, as librosa/Kaldi without liftering), and
 * the clip-level summary the bench baseline uses: the mean and standard deviation of each coefficient over frames.
 */
import type { MelSpectrogram } from './melspec';

export interface Mfcc {
  /** frames × nCoeffs, row-major. */
  data: Float32Array;
  frames: number;
  nCoeffs: number;
}

const dctCache = new Map<string, Float64Array>();

/** nCoeffs × nMels orthonormal DCT-II matrix. */
export function dctMatrix(nCoeffs: number, nMels: number): Float64Array {
  const key = `${nCoeffs}x${nMels}`;
  let m = dctCache.get(key);
  if (m) return m;
  if (nCoeffs > nMels) throw new RangeError(`nCoeffs ${nCoeffs} > nMels ${nMels}`);
  m = new Float64Array(nCoeffs * nMels);
  for (let k = 0; k < nCoeffs; k++) {
    const s = k === 0 ? Math.sqrt(1 / nMels) : Math.sqrt(2 / nMels);
    for (let n = 0; n < nMels; n++) m[k * nMels + n] = s * Math.cos((Math.PI * k * (2 * n + 1)) / (2 * nMels));
  }
  dctCache.set(key, m);
  return m;
}

export function mfcc(spec: MelSpectrogram, nCoeffs = 20): Mfcc {
  const d = dctMatrix(nCoeffs, spec.nMels);
  const data = new Float32Array(spec.frames * nCoeffs);
  for (let t = 0; t < spec.frames; t++) {
    for (let k = 0; k < nCoeffs; k++) {
      let s = 0;
      for (let n = 0; n < spec.nMels; n++) s += d[k * spec.nMels + n] * spec.data[t * spec.nMels + n];
      data[t * nCoeffs + k] = s;
    }
  }
  return { data, frames: spec.frames, nCoeffs };
}

/** [mean of each coefficient, then its standard deviation] over frames: 2 × nCoeffs numbers. */
export function mfccStats(m: Mfcc): Float32Array {
  const out = new Float32Array(2 * m.nCoeffs);
  if (!m.frames) return out;
  for (let k = 0; k < m.nCoeffs; k++) {
    let s = 0;
    let s2 = 0;
    for (let t = 0; t < m.frames; t++) {
      const v = m.data[t * m.nCoeffs + k];
      s += v;
      s2 += v * v;
    }
    const mean = s / m.frames;
    out[k] = mean;
    out[m.nCoeffs + k] = Math.sqrt(Math.max(0, s2 / m.frames - mean * mean));
  }
  return out;
}
