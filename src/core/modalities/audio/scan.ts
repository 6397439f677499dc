/**
 * The scan's reader of audio files (host side, no tfjs): the file's content hash (streamed, so a 2 GB recording is
 * never held in memory), its header (WAV: a few positioned reads; FLAC/MP3/Ogg: decoded, up to 64 MB), the clips it
 * makes (the whole file, or windows `talk.wav#3` when longer than the setting) and, for files up to 64 MB, a check
 * that each clip is not silent. Clips that cannot be used are skipped with a reason.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import type { Item, Skipped } from '../../types';
import type { ScannedFile, ScanFileInput } from '../types';
import { AudioError } from './errors';
import { describeAudio, listAudioClips, loadAudioClips } from './items';
import { DEFAULT_MAX_COMPRESSED_BYTES } from './decode/index';

export const AUDIO_EXTENSIONS: readonly string[] = ['.wav', '.flac', '.mp3', '.ogg', '.opus'];

/** sha256 of a file read in 1 MB pieces, truncated to 32 hex characters like contentHash. */
export async function streamHash(abs: string, signal?: AbortSignal): Promise<string> {
  const h = createHash('sha256');
  // The signal is checked per piece (not given to the stream: 64 files hashed at once would each add a listener).
  for await (const chunk of createReadStream(abs, { highWaterMark: 1 << 20 })) {
    if (signal?.aborted) throw Object.assign(new Error('scan cancelled'), { name: 'AbortError' });
    h.update(chunk as Buffer);
  }
  return h.digest('hex').slice(0, 32);
}

/** The hash of one clip: the file's, plus where the clip lies in it (windows of one file differ). */
export function clipHash(fileHash: string, start: number, duration: number, windowed: boolean): string {
  if (!windowed) return fileHash;
  return createHash('sha256').update(`${fileHash}#${start}:${duration}`).digest('hex').slice(0, 32);
}

export async function scanAudioFile(f: ScanFileInput): Promise<ScannedFile> {
  const { rel, abs } = f;
  let hash: string | undefined;
  try {
    hash = await streamHash(abs, f.signal);
    const { info, clips } = await listAudioClips(abs, rel, f.audioWindows ?? {});
    if (!clips.length) return { hash, items: [], skipped: [{ path: rel, reason: 'no samples (empty data)' }] };
    const windowed = clips.length > 1 || clips[0].window.index !== undefined;
    // Silence is only known from the samples: check it now for files that are cheap to read.
    const checked =
      f.size <= DEFAULT_MAX_COMPRESSED_BYTES
        ? await loadAudioClips(
            abs,
            clips.map((c) => c.window),
          )
        : undefined;
    const details = describeAudio(info);
    const items: Item[] = [];
    const skipped: Skipped[] = [];
    clips.forEach((c, k) => {
      const bad = checked?.[k];
      if (bad instanceof AudioError) {
        skipped.push(c.window.index ? { path: rel, row: c.window.index, reason: bad.reason } : { path: rel, reason: bad.reason });
        return;
      }
      items.push({
        id: c.id,
        path: rel,
        ...(c.window.index !== undefined ? { row: c.window.index } : {}),
        kind: 'audio',
        modality: 'audio',
        hash: clipHash(hash!, c.window.start, c.window.duration, windowed),
        size: f.size,
        mtimeMs: f.mtimeMs,
        duration: c.window.duration,
        start: c.window.start,
        sampleRate: info.sampleRate,
        channels: info.channels,
        details: windowed ? `${details} · window ${c.window.index} at ${c.window.start.toFixed(0)} s` : details,
      });
    });
    return { hash, items, skipped };
  } catch (e) {
    if (e instanceof AudioError) return { hash, items: [], skipped: [{ path: rel, reason: e.reason }] };
    throw e;
  }
}
