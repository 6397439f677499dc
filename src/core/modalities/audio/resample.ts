/**
 * Down-mixing and band-limited resampling (windowed sinc, Blackman window, 16 zero crossings, table-driven), pure
 * TS. Used to bring every clip to 16 kHz mono. When down-sampling, the cut-off is lowered to 0.95 × the output
 * Nyquist frequency so content above it is filtered out instead of aliased.
 */

export const TARGET_RATE = 16000;

/** Mean of the channels (a mono clip is returned as is). */
export function downmix(channels: Float32Array[]): Float32Array {
  if (channels.length === 1) return channels[0];
  const n = channels[0]?.length ?? 0;
  const out = new Float32Array(n);
  for (const c of channels) for (let i = 0; i < n; i++) out[i] += c[i];
  const k = 1 / channels.length;
  for (let i = 0; i < n; i++) out[i] *= k;
  return out;
}

const ZEROS = 16;
const OVERSAMPLE = 512;
let table: Float32Array | undefined;

/** sinc(u) · Blackman(u / ZEROS) for u in [0, ZEROS], sampled OVERSAMPLE times per zero crossing. */
function kernelTable(): Float32Array {
  if (table) return table;
  const n = ZEROS * OVERSAMPLE + 2;
  table = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const u = i / OVERSAMPLE;
    if (u > ZEROS) break;
    const sinc = u === 0 ? 1 : Math.sin(Math.PI * u) / (Math.PI * u);
    const x = u / ZEROS; // 0..1 from the centre to the edge
    const w = 0.42 + 0.5 * Math.cos(Math.PI * x) + 0.08 * Math.cos(2 * Math.PI * x);
    table[i] = sinc * w;
  }
  return table;
}

/** Resamples `x` from `fromRate` to `toRate` Hz. Output length = round(x.length · toRate / fromRate). */
export function resample(x: Float32Array, fromRate: number, toRate: number = TARGET_RATE): Float32Array {
  if (!(fromRate > 0) || !(toRate > 0)) throw new RangeError(`bad sample rates ${fromRate} → ${toRate}`);
  if (fromRate === toRate) return x.slice();
  const outLen = Math.round((x.length * toRate) / fromRate);
  const out = new Float32Array(outLen);
  const tab = kernelTable();
  const ratio = fromRate / toRate; // input samples per output sample
  const fc = Math.min(1, toRate / fromRate) * (toRate < fromRate ? 0.95 : 1); // cut-off, fraction of input Nyquist
  const half = ZEROS / fc; // half-width of the kernel in input samples
  const step = fc * OVERSAMPLE; // table index per input sample of distance
  const n = x.length;
  for (let i = 0; i < outLen; i++) {
    const t = i * ratio;
    const j0 = Math.max(0, Math.ceil(t - half));
    const j1 = Math.min(n - 1, Math.floor(t + half));
    let acc = 0;
    for (let j = j0; j <= j1; j++) {
      const pos = Math.abs(t - j) * step;
      const k = pos | 0;
      if (k >= ZEROS * OVERSAMPLE) continue;
      const f = pos - k;
      acc += x[j] * (tab[k] + f * (tab[k + 1] - tab[k]));
    }
    out[i] = acc * fc;
  }
  return out;
}

/** Down-mixes planar channels and resamples to `toRate` (16 kHz by default). */
export function toMono(channels: Float32Array[], fromRate: number, toRate: number = TARGET_RATE): Float32Array {
  return resample(downmix(channels), fromRate, toRate);
}
