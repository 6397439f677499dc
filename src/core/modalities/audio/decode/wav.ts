/**
 * WAV (RIFF/WAVE) in our own code: PCM 8-bit (unsigned), 16/24/32-bit signed integer, 32/64-bit IEEE float,
 * WAVE_FORMAT_EXTENSIBLE with a PCM or float sub-format, any channel count and sample rate.
 *
 * `parseWavHeader` reads only the chunk headers (a few positioned reads, however large the file);
 * `readWavFrames` reads a range of frames by position. So a 2 GB recording is read one window at a time.
 * Anything else — RF64, big-endian RIFX, A-law/µ-law/ADPCM, a data chunk running past the end of the file — is an
 * `AudioError` with a reason.
 */
import { AudioError } from '../errors';
import type { AudioInfo } from '../types';
import type { ByteSource } from './source';

export interface WavLayout {
  info: AudioInfo;
  /** Byte offset of the first sample in the file. */
  dataOffset: number;
  /** Bytes per frame (all channels of one sample instant). */
  blockAlign: number;
  /** Bytes per sample in the container (1, 2, 3, 4 or 8). */
  bytesPerSample: number;
  float: boolean;
}

const WAVE_FORMAT_PCM = 1;
const WAVE_FORMAT_IEEE_FLOAT = 3;
const WAVE_FORMAT_EXTENSIBLE = 0xfffe;
const MAX_CHUNKS = 4096;
const MAX_CHANNELS = 64;

const FORMAT_NAMES: Record<number, string> = {
  2: 'Microsoft ADPCM',
  6: 'A-law',
  7: 'µ-law',
  0x11: 'IMA ADPCM',
  0x31: 'GSM 6.10',
  0x55: 'MPEG Layer 3',
};

function ascii(b: Uint8Array, at: number, n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += String.fromCharCode(b[at + i]);
  return s;
}

/** Reads the RIFF chunk headers and the fmt chunk. Throws AudioError for anything it cannot read. */
export async function parseWavHeader(src: ByteSource): Promise<WavLayout> {
  const head = await src.read(0, 12);
  if (head.length < 12) throw new AudioError('truncated', 'truncated WAV (file ends inside the RIFF header)');
  const riff = ascii(head, 0, 4);
  if (riff === 'RF64') throw new AudioError('unsupported', 'RF64 WAV (over 4 GB) is not supported');
  if (riff === 'RIFX') throw new AudioError('unsupported', 'big-endian WAV (RIFX) is not supported');
  if (riff !== 'RIFF' || ascii(head, 8, 4) !== 'WAVE') throw new AudioError('unknown-format', 'not a WAV file');
  let pos = 12;
  let fmt: { tag: number; channels: number; rate: number; blockAlign: number; bits: number } | undefined;
  for (let n = 0; n < MAX_CHUNKS; n++) {
    const ch = await src.read(pos, 8);
    if (ch.length < 8) break;
    const id = ascii(ch, 0, 4);
    const size = new DataView(ch.buffer, ch.byteOffset, 8).getUint32(4, true);
    const body = pos + 8;
    if (id === 'fmt ') {
      if (size < 16) throw new AudioError('corrupt', `corrupt WAV (fmt chunk of ${size} bytes)`);
      const f = await src.read(body, Math.min(size, 40));
      if (f.length < 16) throw new AudioError('truncated', 'truncated WAV (file ends inside the fmt chunk)');
      const dv = new DataView(f.buffer, f.byteOffset, f.length);
      let tag = dv.getUint16(0, true);
      const channels = dv.getUint16(2, true);
      const rate = dv.getUint32(4, true);
      const blockAlign = dv.getUint16(12, true);
      const bits = dv.getUint16(14, true);
      if (tag === WAVE_FORMAT_EXTENSIBLE) {
        if (f.length < 40) throw new AudioError('corrupt', 'corrupt WAV (WAVE_FORMAT_EXTENSIBLE without its sub-format)');
        tag = dv.getUint16(24, true); // first two bytes of the sub-format GUID
      }
      fmt = { tag, channels, rate, blockAlign, bits };
    } else if (id === 'data') {
      if (!fmt) throw new AudioError('corrupt', 'corrupt WAV (data chunk before the fmt chunk)');
      return layoutOf(fmt, body, size, src.size);
    }
    pos = body + size + (size & 1);
    if (pos > src.size) break;
  }
  if (!fmt) throw new AudioError('truncated', 'truncated WAV (no fmt chunk)');
  throw new AudioError('truncated', 'truncated WAV (no data chunk)');
}

function layoutOf(
  fmt: { tag: number; channels: number; rate: number; blockAlign: number; bits: number },
  dataOffset: number,
  dataSize: number,
  fileSize: number,
): WavLayout {
  const { tag, channels, rate, blockAlign, bits } = fmt;
  const float = tag === WAVE_FORMAT_IEEE_FLOAT;
  if (tag !== WAVE_FORMAT_PCM && !float) {
    const name = FORMAT_NAMES[tag] ?? `format tag 0x${tag.toString(16)}`;
    throw new AudioError('unsupported', `unsupported WAV encoding (${name}); only PCM and IEEE float are read`);
  }
  if (channels < 1 || channels > MAX_CHANNELS) throw new AudioError('corrupt', `corrupt WAV (${channels} channels)`);
  if (rate < 1 || rate > 1_536_000) throw new AudioError('corrupt', `corrupt WAV (sample rate ${rate} Hz)`);
  if (blockAlign < 1 || blockAlign % channels !== 0) {
    throw new AudioError('corrupt', `corrupt WAV (block align ${blockAlign} for ${channels} channels)`);
  }
  const bytesPerSample = blockAlign / channels;
  // The container size decides how samples are stored; `bits` may be smaller (e.g. 20 valid bits in 24).
  const okInt = !float && [1, 2, 3, 4].includes(bytesPerSample);
  const okFloat = float && (bytesPerSample === 4 || bytesPerSample === 8);
  if (!okInt && !okFloat) {
    throw new AudioError('unsupported', `unsupported WAV sample size (${bits}-bit ${float ? 'float' : 'PCM'} in ${bytesPerSample} bytes)`);
  }
  if (bits > bytesPerSample * 8 || bits === 0) {
    throw new AudioError('corrupt', `corrupt WAV (${bits} bits per sample in ${bytesPerSample}-byte samples)`);
  }
  const available = fileSize - dataOffset;
  // Writers that stream to a pipe leave the size as 0xFFFFFFFF or 0: the data then runs to the end of the file.
  if (dataSize === 0xffffffff || (dataSize === 0 && available > 0)) dataSize = Math.max(0, available);
  if (dataSize > available) {
    throw new AudioError('truncated', `truncated WAV (data chunk declares ${dataSize} bytes, file holds ${Math.max(0, available)})`);
  }
  const frames = Math.floor(dataSize / blockAlign);
  return {
    info: {
      format: 'wav',
      sampleRate: rate,
      channels,
      frames,
      duration: frames / rate,
      bitsPerSample: bytesPerSample * 8,
      ...(float ? { float: true } : {}),
    },
    dataOffset,
    blockAlign,
    bytesPerSample,
    float,
  };
}

/** Converts interleaved little-endian samples to planar floats in [-1, 1]. */
export function deinterleave(bytes: Uint8Array, w: WavLayout, frames: number): Float32Array[] {
  const ch = w.info.channels;
  const out = Array.from({ length: ch }, () => new Float32Array(frames));
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const bps = w.bytesPerSample;
  let p = 0;
  for (let i = 0; i < frames; i++) {
    for (let c = 0; c < ch; c++, p += bps) {
      let v: number;
      if (w.float) v = bps === 4 ? dv.getFloat32(p, true) : dv.getFloat64(p, true);
      else if (bps === 2) v = dv.getInt16(p, true) / 32768;
      else if (bps === 1) v = (bytes[p] - 128) / 128;
      else if (bps === 3) v = (((bytes[p] | (bytes[p + 1] << 8) | (bytes[p + 2] << 16)) << 8) >> 8) / 8388608;
      else v = dv.getInt32(p, true) / 2147483648;
      // Float WAVs may hold NaN/Inf or values past full scale; keep the signal finite and in range.
      out[c][i] = Number.isFinite(v) ? (v > 1 ? 1 : v < -1 ? -1 : v) : 0;
    }
  }
  return out;
}

/** Reads `count` frames from frame `start` down-mixed to mono (mean of the channels), without planar copies. */
export async function readWavMono(src: ByteSource, w: WavLayout, start: number, count: number): Promise<Float32Array> {
  const ch = w.info.channels;
  const step = Math.max(1, Math.floor((1 << 20) / w.blockAlign)); // read in pieces of about 1 MB
  const s = Math.max(0, Math.min(w.info.frames, Math.floor(start)));
  const n = Math.max(0, Math.min(w.info.frames - s, Math.floor(count)));
  const out = new Float32Array(n);
  for (let o = 0; o < n; o += step) {
    const m = Math.min(step, n - o);
    const part = await readWavFrames(src, w, s + o, m);
    if (ch === 1) {
      out.set(part[0], o);
      continue;
    }
    for (let c = 0; c < ch; c++) {
      const p = part[c];
      for (let i = 0; i < m; i++) out[o + i] += p[i];
    }
    for (let i = 0; i < m; i++) out[o + i] /= ch;
  }
  return out;
}

/** Reads `count` frames from frame `start` (clamped to the file) as planar float channels. */
export async function readWavFrames(src: ByteSource, w: WavLayout, start: number, count: number): Promise<Float32Array[]> {
  const s = Math.max(0, Math.min(w.info.frames, Math.floor(start)));
  const n = Math.max(0, Math.min(w.info.frames - s, Math.floor(count)));
  const bytes = await src.read(w.dataOffset + s * w.blockAlign, n * w.blockAlign);
  if (bytes.length < n * w.blockAlign) throw new AudioError('truncated', 'truncated WAV (file shorter than its data chunk)');
  return deinterleave(bytes, w, n);
}
