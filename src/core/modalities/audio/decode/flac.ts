/**
 * FLAC through @wasm-audio-decoders/flac (wasm, no native binary). The STREAMINFO block is parsed here so a file
 * that decodes to fewer samples than it declares is reported as truncated rather than silently shortened.
 */
import { AudioError } from '../errors';
import type { DecodedAudio } from '../types';
import { checkDecoded, guard } from './common';
import { withDecoder } from './pool';

export interface FlacStreamInfo {
  sampleRate: number;
  channels: number;
  bitsPerSample: number;
  /** Total samples per channel; 0 = unknown. */
  totalFrames: number;
}

/** Parses the mandatory first metadata block (STREAMINFO). */
export function parseFlacStreamInfo(b: Uint8Array): FlacStreamInfo {
  if (b.length < 4 || b[0] !== 0x66 || b[1] !== 0x4c || b[2] !== 0x61 || b[3] !== 0x43) {
    throw new AudioError('unknown-format', 'not a FLAC file');
  }
  if (b.length < 8 + 34) throw new AudioError('truncated', 'truncated FLAC (file ends inside STREAMINFO)');
  if ((b[4] & 0x7f) !== 0) throw new AudioError('corrupt', 'corrupt FLAC (first metadata block is not STREAMINFO)');
  const s = 8;
  const sampleRate = (b[s + 10] << 12) | (b[s + 11] << 4) | (b[s + 12] >> 4);
  const channels = ((b[s + 12] >> 1) & 7) + 1;
  const bitsPerSample = (((b[s + 12] & 1) << 4) | (b[s + 13] >> 4)) + 1;
  const totalFrames = (b[s + 13] & 0x0f) * 2 ** 32 + ((b[s + 14] << 24) >>> 0) + (b[s + 15] << 16) + (b[s + 16] << 8) + b[s + 17];
  if (sampleRate === 0) throw new AudioError('corrupt', 'corrupt FLAC (sample rate 0 in STREAMINFO)');
  return { sampleRate, channels, bitsPerSample, totalFrames };
}

export async function decodeFlac(bytes: Uint8Array): Promise<DecodedAudio> {
  const si = parseFlacStreamInfo(bytes);
  const { FLACDecoder } = await import('@wasm-audio-decoders/flac');
  const r = await guard('flac', () =>
    withDecoder(
      'flac',
      () => new FLACDecoder(),
      true,
      (dec) => Promise.resolve(dec.decodeFile(bytes)),
    ),
  );
  if (si.totalFrames && r.samplesDecoded < si.totalFrames) {
    throw new AudioError(
      'truncated',
      `truncated or corrupt FLAC (decoded ${r.samplesDecoded} of the ${si.totalFrames} samples its header declares)`,
    );
  }
  const d = checkDecoded('flac', r, si.bitsPerSample);
  if (d.info.channels !== si.channels || d.info.sampleRate !== si.sampleRate) {
    throw new AudioError(
      'corrupt',
      `corrupt FLAC (frames of ${d.info.channels} ch at ${d.info.sampleRate} Hz, STREAMINFO says ${si.channels} ch at ${si.sampleRate} Hz)`,
    );
  }
  return d;
}
