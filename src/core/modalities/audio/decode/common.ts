/** Shared checks on the output of the wasm decoders (FLAC, MP3, Ogg Vorbis/Opus). */
import { AudioError } from '../errors';
import type { AudioFormat, DecodedAudio } from '../types';

export const FORMAT_LABEL: Record<AudioFormat, string> = {
  wav: 'WAV',
  flac: 'FLAC',
  mp3: 'MP3',
  'ogg-vorbis': 'Ogg Vorbis',
  'ogg-opus': 'Ogg Opus',
};

export interface RawDecoded {
  channelData: Float32Array[];
  samplesDecoded: number;
  sampleRate: number;
  errors: { message: string }[];
}

/** Turns a decoder's result into DecodedAudio, or throws AudioError('corrupt') when it reported errors or nothing. */
export function checkDecoded(format: AudioFormat, r: RawDecoded, bitsPerSample?: number): DecodedAudio {
  const label = FORMAT_LABEL[format];
  if (r.errors.length) {
    throw new AudioError(
      'corrupt',
      `corrupt ${label} (${r.errors.length} undecodable frame${r.errors.length > 1 ? 's' : ''}: ${r.errors[0].message})`,
    );
  }
  const channels = r.channelData.length;
  const frames = r.samplesDecoded;
  if (!channels || !frames || !(r.sampleRate > 0)) throw new AudioError('corrupt', `corrupt ${label} (no audio frames decoded)`);
  const channelData = r.channelData.map((c) => {
    const out = c.length === frames ? c : c.subarray(0, frames);
    for (let i = 0; i < out.length; i++) if (!Number.isFinite(out[i])) out[i] = 0;
    return out;
  });
  return {
    info: {
      format,
      sampleRate: r.sampleRate,
      channels,
      frames,
      duration: frames / r.sampleRate,
      ...(bitsPerSample ? { bitsPerSample } : {}),
    },
    channelData,
  };
}

/** Runs a decoder call, turning anything it throws (wasm traps, parser TypeErrors) into AudioError('corrupt'). */
export async function guard<T>(format: AudioFormat, fn: () => Promise<T> | T): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof AudioError) throw e;
    const msg = e instanceof Error ? e.message : String(e);
    throw new AudioError('corrupt', `corrupt ${FORMAT_LABEL[format]} (decoder failed: ${msg.slice(0, 160)})`);
  }
}
