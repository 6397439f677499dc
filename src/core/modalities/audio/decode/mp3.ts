/** MPEG-1/2 Layer I/II/III through mpg123-decoder (wasm build of libmpg123, no native binary). */
import type { DecodedAudio } from '../types';
import { checkDecoded, guard } from './common';
import { withDecoder } from './pool';

/**
 * Channel count from the first MPEG frame header after any ID3v2 tag (mpg123-decoder always returns two channels;
 * a mono file's second channel is a copy). Undefined when no frame header is found in the first 64 KB after the tag.
 */
export function mp3Channels(b: Uint8Array): number | undefined {
  let p = 0;
  if (b.length >= 10 && b[0] === 0x49 && b[1] === 0x44 && b[2] === 0x33) {
    p = 10 + (((b[6] & 0x7f) << 21) | ((b[7] & 0x7f) << 14) | ((b[8] & 0x7f) << 7) | (b[9] & 0x7f));
  }
  const end = Math.min(b.length - 4, p + 65536);
  for (; p <= end; p++) {
    if (b[p] !== 0xff || (b[p + 1] & 0xe0) !== 0xe0) continue;
    const version = (b[p + 1] >> 3) & 3;
    const layer = (b[p + 1] >> 1) & 3;
    const bitrate = b[p + 2] >> 4;
    const rate = (b[p + 2] >> 2) & 3;
    if (version === 1 || layer === 0 || bitrate === 15 || rate === 3) continue;
    return b[p + 3] >> 6 === 3 ? 1 : 2;
  }
  return undefined;
}

export async function decodeMp3(bytes: Uint8Array): Promise<DecodedAudio> {
  const { MPEGDecoder } = await import('mpg123-decoder');
  const r = await guard('mp3', () =>
    withDecoder(
      'mp3',
      () => new MPEGDecoder({ enableGapless: true }),
      false,
      (dec) => Promise.resolve(dec.decode(bytes)),
    ),
  );
  if (mp3Channels(bytes) === 1 && r.channelData.length > 1) r.channelData = r.channelData.slice(0, 1);
  return checkDecoded('mp3', r);
}
