/**
 * Entry point of the decoders: sniff the format by magic bytes, then read.
 *
 * - `decodeAudio(bytes)`: a whole small file to planar channels at its own rate.
 * - `openAudio(path)`: an `AudioReader` — WAV is read by position (a 2 GB file costs a few header reads, then one
 *   window at a time); FLAC/MP3/Ogg are decoded whole once, if no larger than `maxCompressedBytes`, and kept mono.
 * - `readClip(reader, window)`: one window as 16 kHz mono, or AudioError('silent').
 *
 * Every failure is an AudioError with `code` and a readable `reason`.
 */
import { AudioError } from '../errors';
import { TARGET_RATE, downmix, resample } from '../resample';
import type { AudioFormat, AudioInfo, AudioWindow, DecodedAudio } from '../types';
import { FORMAT_LABEL } from './common';
import { decodeFlac } from './flac';
import { decodeMp3 } from './mp3';
import { decodeOgg } from './ogg';
import { SNIFF_BYTES, sniffAudio } from './sniff';
import { type ByteSource, bytesSource, fileSource } from './source';
import { type WavLayout, parseWavHeader, readWavFrames, readWavMono } from './wav';

export { sniffAudio } from './sniff';
export { freeAudioDecoders } from './pool';
export { type ByteSource, bytesSource, fileSource } from './source';

export interface OpenOptions {
  /** FLAC/MP3/Ogg files larger than this are skipped as 'too-large' (they are decoded whole). Default 64 MB. */
  maxCompressedBytes?: number;
}

export const DEFAULT_MAX_COMPRESSED_BYTES = 64 * 1024 * 1024;

/** Peak below which a clip counts as silent (-80 dBFS). */
export const SILENCE_PEAK = 1e-4;

async function decodeCompressed(format: AudioFormat, bytes: Uint8Array): Promise<DecodedAudio> {
  switch (format) {
    case 'flac':
      return decodeFlac(bytes);
    case 'mp3':
      return decodeMp3(bytes);
    default:
      return decodeOgg(bytes);
  }
}

function unknown(): AudioError {
  return new AudioError('unknown-format', 'not an audio file this reader knows (WAV, FLAC, MP3, Ogg Vorbis, Ogg Opus)');
}

/** Decodes a whole in-memory file to planar channels at its native rate. */
export async function decodeAudio(bytes: Uint8Array): Promise<DecodedAudio> {
  if (!bytes.length) throw new AudioError('truncated', 'empty file');
  const format = sniffAudio(bytes.subarray(0, SNIFF_BYTES));
  if (!format) throw unknown();
  if (format === 'wav') {
    const src = bytesSource(bytes);
    const w = await parseWavHeader(src);
    return { info: w.info, channelData: await readWavFrames(src, w, 0, w.info.frames) };
  }
  return decodeCompressed(format, bytes);
}

/** An open audio file: its info and positioned reads of mono samples at the native rate. */
export interface AudioReader {
  readonly info: AudioInfo;
  /** Mono (mean of the channels) samples `[start, start + count)` at `info.sampleRate`, clamped to the file. */
  readMono(startFrame: number, count: number): Promise<Float32Array>;
  close(): Promise<void>;
}

class WavReader implements AudioReader {
  constructor(
    private readonly src: ByteSource,
    private readonly w: WavLayout,
  ) {}
  get info(): AudioInfo {
    return this.w.info;
  }
  async readMono(start: number, count: number): Promise<Float32Array> {
    return readWavMono(this.src, this.w, start, count);
  }
  close(): Promise<void> {
    return this.src.close();
  }
}

class MemoryReader implements AudioReader {
  constructor(
    readonly info: AudioInfo,
    private readonly mono: Float32Array,
  ) {}
  readMono(start: number, count: number): Promise<Float32Array> {
    const s = Math.max(0, Math.min(this.mono.length, Math.floor(start)));
    return Promise.resolve(this.mono.slice(s, Math.min(this.mono.length, s + Math.max(0, Math.floor(count)))));
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

/** Opens a file (path) or a ByteSource. The caller closes the reader. */
export async function openAudio(file: string | ByteSource, opts: OpenOptions = {}): Promise<AudioReader> {
  const src = typeof file === 'string' ? await fileSource(file) : file;
  let keep = false;
  try {
    if (src.size === 0) throw new AudioError('truncated', 'empty file');
    const format = sniffAudio(await src.read(0, SNIFF_BYTES));
    if (!format) throw unknown();
    if (format === 'wav') {
      const reader = new WavReader(src, await parseWavHeader(src));
      keep = true;
      return reader;
    }
    const max = opts.maxCompressedBytes ?? DEFAULT_MAX_COMPRESSED_BYTES;
    if (src.size > max) {
      throw new AudioError(
        'too-large',
        `${FORMAT_LABEL[format]} file of ${(src.size / 1048576).toFixed(0)} MB is over the ${(max / 1048576).toFixed(0)} MB limit for compressed audio (convert it to WAV to read it in windows)`,
      );
    }
    const bytes = await src.read(0, src.size);
    const d = await decodeCompressed(format, bytes);
    return new MemoryReader(d.info, downmix(d.channelData));
  } finally {
    if (!keep) await src.close();
  }
}

/** Largest absolute sample. */
export function peak(x: Float32Array): number {
  let m = 0;
  for (let i = 0; i < x.length; i++) {
    const a = Math.abs(x[i]);
    if (a > m) m = a;
  }
  return m;
}

/**
 * One window of the reader as mono at `rate` (16 kHz by default). Throws AudioError('silent') when the clip's peak is
 * below `SILENCE_PEAK` or it holds no samples.
 */
export async function readClip(reader: AudioReader, w: AudioWindow, rate: number = TARGET_RATE): Promise<Float32Array> {
  const sr = reader.info.sampleRate;
  const x = await reader.readMono(Math.round(w.start * sr), Math.round(w.duration * sr));
  if (!x.length) throw new AudioError('silent', 'no samples in this clip');
  if (peak(x) < SILENCE_PEAK) throw new AudioError('silent', 'silent clip (peak below -80 dBFS)');
  return resample(x, sr, rate);
}

/** Info of a file without decoding its samples when it is a WAV (compressed formats are decoded to count them). */
export async function probeAudio(file: string | ByteSource, opts: OpenOptions = {}): Promise<AudioInfo> {
  const r = await openAudio(file, opts);
  try {
    return r.info;
  } finally {
    await r.close();
  }
}
