/** Tells the audio format from the first bytes of a file (never from its extension). */
import type { AudioFormat } from '../types';

/** Bytes `sniffAudio` wants to see (the Ogg codec tag sits after the first page header). */
export const SNIFF_BYTES = 512;

/**
 * The format of `head` (the file's first bytes), or undefined when it is no audio format we know. Ogg is split into
 * Vorbis and Opus when the first packet is visible; an Ogg with another codec still sniffs as 'ogg-vorbis' so the
 * Ogg reader can name the codec in its error.
 */
export function sniffAudio(head: Uint8Array): AudioFormat | undefined {
  const s = (at: number, n: number) => String.fromCharCode(...head.subarray(at, at + n));
  if (head.length >= 12 && (s(0, 4) === 'RIFF' || s(0, 4) === 'RIFX' || s(0, 4) === 'RF64') && s(8, 4) === 'WAVE') return 'wav';
  // A RIFF file cut inside its 12-byte header is still a WAV (a truncated one): let the WAV reader say so.
  if (head.length < 12 && head.length >= 4 && s(0, 4) === 'RIFF') return 'wav';
  if (s(0, 4) === 'fLaC') return 'flac';
  if (s(0, 4) === 'OggS') {
    if (head.length >= 27) {
      const p = 27 + head[26];
      if (s(p, 8) === 'OpusHead') return 'ogg-opus';
    }
    return 'ogg-vorbis';
  }
  if (s(0, 3) === 'ID3') return 'mp3';
  // An MPEG audio frame header: 11 sync bits, a valid version, layer, bitrate and sample-rate index.
  if (head.length >= 4 && head[0] === 0xff && (head[1] & 0xe0) === 0xe0) {
    const version = (head[1] >> 3) & 3;
    const layer = (head[1] >> 1) & 3;
    const bitrate = head[2] >> 4;
    const rate = (head[2] >> 2) & 3;
    if (version !== 1 && layer !== 0 && bitrate !== 15 && rate !== 3) return 'mp3';
  }
  return undefined;
}
