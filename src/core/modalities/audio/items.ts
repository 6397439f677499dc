/**
 * What the modality plugin needs per file: its clips (one, or windows `file#k` for long recordings), their
 * 16 kHz mono samples, and a details line for the UI. No tfjs.
 */
import { AudioError } from './errors';
import { type OpenOptions, openAudio, readClip } from './decode/index';
import { FORMAT_LABEL } from './decode/common';
import { TARGET_RATE } from './resample';
import type { AudioInfo, AudioWindow, WindowOptions } from './types';
import { planWindows, windowId } from './window';

export interface AudioClip {
  /** Item id: `fileId` or `fileId#k`. */
  id: string;
  window: AudioWindow;
}

export interface AudioFileClips {
  info: AudioInfo;
  clips: AudioClip[];
}

export type AudioScanOptions = WindowOptions & OpenOptions;

/** Opens `path` (header only for WAV), reports its info and plans its clips. Throws AudioError to skip the file. */
export async function listAudioClips(path: string, fileId: string, opts: AudioScanOptions = {}): Promise<AudioFileClips> {
  const r = await openAudio(path, opts);
  try {
    const info = r.info;
    if (!info.frames) throw new AudioError('silent', 'no samples (empty data)');
    const clips = planWindows(info.duration, opts).map((w) => ({ id: windowId(fileId, w), window: w }));
    return { info, clips };
  } finally {
    await r.close();
  }
}

/**
 * Loads the given windows of one file as 16 kHz mono (one open, positioned reads). A window that cannot be used
 * (silent) comes back as its AudioError in place of the samples; a file-level failure throws.
 */
export async function loadAudioClips(
  path: string,
  windows: AudioWindow[],
  opts: OpenOptions & { rate?: number } = {},
): Promise<(Float32Array | AudioError)[]> {
  const r = await openAudio(path, opts);
  try {
    const out: (Float32Array | AudioError)[] = [];
    for (const w of windows) {
      try {
        out.push(await readClip(r, w, opts.rate ?? TARGET_RATE));
      } catch (e) {
        if (e instanceof AudioError) out.push(e);
        else throw e;
      }
    }
    return out;
  } finally {
    await r.close();
  }
}

const CHANNEL_NAMES = ['', 'mono', 'stereo'];

/** "2.5 s · 44.1 kHz · stereo · WAV 16-bit" — the item's details line. */
export function describeAudio(info: AudioInfo): string {
  const dur =
    info.duration >= 60
      ? `${Math.floor(info.duration / 60)}:${(info.duration % 60).toFixed(0).padStart(2, '0')}`
      : `${info.duration.toFixed(info.duration < 10 ? 2 : 1)} s`;
  const rate = `${+(info.sampleRate / 1000).toFixed(3)} kHz`;
  const ch = CHANNEL_NAMES[info.channels] ?? `${info.channels} channels`;
  const enc = info.bitsPerSample ? ` ${info.bitsPerSample}-bit${info.float ? ' float' : ''}` : '';
  return `${dur} · ${rate} · ${ch} · ${FORMAT_LABEL[info.format]}${enc}`;
}
