/** MPEG-1/2 Layer I/II/III through mpg123-decoder (wasm build of libmpg123, no native binary). */
import type { DecodedAudio } from '../types';
import { checkDecoded, guard } from './common';

export async function decodeMp3(bytes: Uint8Array): Promise<DecodedAudio> {
  const { MPEGDecoder } = await import('mpg123-decoder');
  const dec = new MPEGDecoder();
  try {
    await dec.ready;
    const r = await guard('mp3', () => dec.decode(bytes));
    return checkDecoded('mp3', r);
  } finally {
    dec.free();
  }
}
