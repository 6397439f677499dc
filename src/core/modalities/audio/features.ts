/**
 * Audio items → the encoder's input, in a worker: each clip decoded to 16 kHz mono (one open per file, positioned
 * reads for WAV), cropped or padded to a fixed length, and turned into a log-mel spectrogram (40 mels, 25 ms / 10 ms)
 * and, when asked, the voice features of the same samples (./voice.ts: pitch, long-term spectrum).
 * No tfjs. The scan's record of the file (size and mtime) is checked first, so a file changed since the scan is
 * reported, not silently read (the clips of a 2 GB recording are not re-hashed on every load).
 */
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import type { Item } from '../../types';
import { AudioError } from './errors';
import { loadAudioClips } from './items';
import { LogMel, fixLength } from './melspec';
import { TARGET_RATE } from './resample';
import type { AudioWindow } from './types';
import { VOICE_DIM, voiceFeatures } from './voice';

/** Mel bands of the encoder's input. */
export const AUDIO_MELS = 40;

/** Frames of a clip of `seconds` at 16 kHz (25 ms windows every 10 ms, not centred). */
export function audioFrames(seconds: number, mels = AUDIO_MELS): number {
  return new LogMel({ nMels: mels }).frameCount(Math.round(seconds * TARGET_RATE));
}

/** The clip length the encoder takes: the setting, or the median clip duration clamped to 0.5–4 s (0.1 s steps). */
export function clipSecondsOf(setting: number | 'auto', pool: readonly Pick<Item, 'duration'>[]): number {
  if (setting !== 'auto') return setting;
  const d = pool
    .map((it) => it.duration)
    .filter((x): x is number => typeof x === 'number' && x > 0)
    .sort((a, b) => a - b);
  const med = d.length ? d[Math.floor(d.length / 2)] : 1;
  return Math.min(4, Math.max(0.5, Math.round(med * 10) / 10));
}

export function windowOf(item: Item): AudioWindow {
  return { start: item.start ?? 0, duration: item.duration ?? Infinity };
}

/**
 * Writes the log-mel spectrograms of `items` into rows `offset + i` of `out` (frames × mels float32 each). Returns the
 * items that could not be read, by index, with a reason; their rows are left as they were.
 */
export async function audioFeatureRows(
  root: string,
  items: readonly Item[],
  o: {
    seconds: number;
    frames: number;
    mels: number;
    out: Float32Array;
    offset: number;
    signal?: AbortSignal;
    /** Also the voice features of each clip (./voice.ts) into rows `offset + i` of this (VOICE_DIM each). */
    voice?: Float32Array;
  },
  onDone?: (done: number) => void,
): Promise<{ index: number; reason: string }[]> {
  const lm = new LogMel({ nMels: o.mels });
  const samples = Math.round(o.seconds * TARGET_RATE);
  if (lm.frameCount(samples) !== o.frames)
    throw new Error(`audio features: ${o.seconds} s gives ${lm.frameCount(samples)} frames, not ${o.frames}`);
  const per = o.frames * o.mels;
  const failed: { index: number; reason: string }[] = [];
  // Group the clips by file, so a long recording is opened once for all its windows.
  const byFile = new Map<string, number[]>();
  items.forEach((it, i) => {
    const list = byFile.get(it.path);
    if (list) list.push(i);
    else byFile.set(it.path, [i]);
  });
  let done = 0;
  for (const [rel, idx] of byFile) {
    if (o.signal?.aborted) throw Object.assign(new Error('cancelled'), { name: 'AbortError' });
    const abs = path.join(root, rel);
    try {
      const st = await fs.stat(abs);
      const it0 = items[idx[0]];
      if (st.size !== it0.size || (it0.mtimeMs && Math.abs(st.mtimeMs - it0.mtimeMs) > 1))
        throw new AudioError('corrupt', 'file changed since the scan: scan again');
      const clips = await loadAudioClips(
        abs,
        idx.map((i) => windowOf(items[i])),
        {},
      );
      clips.forEach((c, k) => {
        const i = idx[k];
        if (c instanceof AudioError) failed.push({ index: i, reason: c.reason });
        else {
          const x = fixLength(c, samples);
          o.out.set(lm.compute(x).data, (o.offset + i) * per);
          if (o.voice) o.voice.set(voiceFeatures(x), (o.offset + i) * VOICE_DIM);
        }
      });
    } catch (e) {
      const reason = e instanceof AudioError ? e.reason : `cannot read: ${(e as Error).message}`;
      for (const i of idx) failed.push({ index: i, reason });
    }
    done += idx.length;
    onDone?.(done);
  }
  return failed;
}
