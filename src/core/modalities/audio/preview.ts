/**
 * The audio modality's preview for the review grid (host side, no tfjs): a small log-mel spectrogram picture of a clip
 * as a PNG `data:` URL (gray and alpha both the level, so a webview can tint it with a theme colour as a mask), and
 * the clip itself as a 16-bit 16 kHz mono WAV for the grid's player. Both read only the clip's window of the file
 * (WAV: positioned reads; FLAC/MP3/Ogg: decoded whole, as the scan does, up to the plugin's size limit).
 */
import { PNG } from 'pngjs';
import type { Item } from '../../types';
import type { ItemMedia, ItemThumbnail, PreviewOptions } from '../types';
import { AudioError } from './errors';
import { windowOf } from './features';
import { loadAudioClips } from './items';
import { LogMel } from './melspec';
import { TARGET_RATE } from './resample';
import { spectrogramGray } from './thumbnail';

/** The grid plays (and pictures) at most this much of a clip. */
export const PREVIEW_MAX_SECONDS = 60;
/** Size of the spectrogram picture (CSS scales it to the cell). */
export const THUMB_WIDTH = 160;
export const THUMB_HEIGHT = 64;

/** The clip of `item` as 16 kHz mono, at most {@link PREVIEW_MAX_SECONDS}. Throws an AudioError (silent clip, bad file). */
export async function previewSamples(file: string, item: Item, maxSeconds = PREVIEW_MAX_SECONDS): Promise<Float32Array> {
  const w = windowOf(item);
  const window = { ...w, duration: Math.min(w.duration, maxSeconds) };
  const [clip] = await loadAudioClips(file, [window]);
  if (clip instanceof AudioError) throw clip;
  return clip;
}

/** A 16-bit PCM mono WAV of `x` (samples in [-1, 1], clipped) at `rate`. */
export function encodeWav16(x: Float32Array, rate: number): Uint8Array {
  const data = x.length * 2;
  const buf = Buffer.alloc(44 + data);
  buf.write('RIFF', 0, 'ascii');
  buf.writeUInt32LE(36 + data, 4);
  buf.write('WAVE', 8, 'ascii');
  buf.write('fmt ', 12, 'ascii');
  buf.writeUInt32LE(16, 16);
  buf.writeUInt16LE(1, 20); // PCM
  buf.writeUInt16LE(1, 22); // mono
  buf.writeUInt32LE(rate, 24);
  buf.writeUInt32LE(rate * 2, 28);
  buf.writeUInt16LE(2, 32);
  buf.writeUInt16LE(16, 34);
  buf.write('data', 36, 'ascii');
  buf.writeUInt32LE(data, 40);
  for (let i = 0; i < x.length; i++) {
    const v = Math.max(-1, Math.min(1, Number.isFinite(x[i]) ? x[i] : 0));
    buf.writeInt16LE(Math.round(v < 0 ? v * 32768 : v * 32767), 44 + 2 * i);
  }
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
}

/** A `width` × `height` PNG of the log-mel spectrogram of `x` (16 kHz): gray + alpha = level, low pitches at the bottom. */
export function spectrogramPng(x: Float32Array, width = THUMB_WIDTH, height = THUMB_HEIGHT): Buffer {
  // About two frames per pixel column, whatever the clip's length (25 ms windows, at least every 10 ms).
  const hop = Math.max(160, Math.floor(x.length / (2 * width)));
  const lm = new LogMel({ nMels: height, hop });
  let padded = x;
  if (x.length < lm.opts.winLength) {
    padded = new Float32Array(lm.opts.winLength);
    padded.set(x);
  }
  const gray = spectrogramGray(lm.compute(padded), width, height);
  const png = new PNG({ width, height, colorType: 4 });
  for (let i = 0; i < gray.length; i++) {
    png.data[4 * i] = gray[i];
    png.data[4 * i + 1] = gray[i];
    png.data[4 * i + 2] = gray[i];
    png.data[4 * i + 3] = gray[i];
  }
  return PNG.sync.write(png, { colorType: 4 });
}

/**
 * What the `audioPreview` job computes (in a worker): the clip's spectrogram PNG ('thumbnail') or its WAV ('media'),
 * as bytes of their own (transferable), and the seconds decoded.
 */
export async function audioPreviewBytes(
  file: string,
  item: Item,
  want: 'thumbnail' | 'media',
  maxSeconds: number,
  signal?: AbortSignal,
): Promise<{ bytes: Uint8Array; duration: number }> {
  const x = await previewSamples(file, item, Math.min(PREVIEW_MAX_SECONDS, maxSeconds));
  if (signal?.aborted) throw Object.assign(new Error('cancelled'), { name: 'AbortError' });
  const out = want === 'thumbnail' ? spectrogramPng(x) : encodeWav16(x, TARGET_RATE);
  return { bytes: new Uint8Array(out), duration: x.length / TARGET_RATE };
}

/**
 * Decodes in a worker when the caller gives a job runner (the extension host: FLAC, MP3 and Ogg are decoded whole,
 * which must not hold its thread), else here (the CLI, tests).
 */
function previewOf(file: string, item: Item, want: 'thumbnail' | 'media', maxSeconds: number, o: PreviewOptions) {
  if (o.runner) return o.runner.run('audioPreview', { file, item, want, maxSeconds }, { signal: o.signal });
  return audioPreviewBytes(file, item, want, maxSeconds, o.signal);
}

export async function audioThumbnail(file: string, item: Item, o: PreviewOptions): Promise<ItemThumbnail | undefined> {
  let r: { bytes: Uint8Array; duration: number };
  try {
    r = await previewOf(file, item, 'thumbnail', PREVIEW_MAX_SECONDS, o);
  } catch {
    return undefined; // unreadable or silent: the cell shows its details line alone
  }
  if (o.signal?.aborted || r.bytes.length > o.maxBytes) return undefined;
  return { src: `data:image/png;base64,${Buffer.from(r.bytes).toString('base64')}`, duration: item.duration ?? r.duration };
}

export async function audioMedia(file: string, item: Item, o: PreviewOptions): Promise<ItemMedia> {
  const maxSeconds = Math.min(PREVIEW_MAX_SECONDS, Math.max(0.1, (o.maxBytes - 44) / (2 * TARGET_RATE)));
  const r = await previewOf(file, item, 'media', maxSeconds, o);
  return { mime: 'audio/wav', bytes: r.bytes, duration: r.duration };
}
