/**
 * Ogg Vorbis (@wasm-audio-decoders/ogg-vorbis) and Ogg Opus (ogg-opus-decoder), both wasm without native binaries.
 * `oggCodec` reads the first page's packet to tell which codec the stream carries; other Ogg codecs (FLAC-in-Ogg,
 * Speex, Theora) are reported as unsupported.
 */
import { AudioError } from '../errors';
import type { DecodedAudio } from '../types';
import { checkDecoded, guard } from './common';

export type OggCodec = 'vorbis' | 'opus';

/** The codec of the first logical stream of an Ogg file (from the packet on its first page). */
export function oggCodec(b: Uint8Array): OggCodec {
  if (b.length < 4 || b[0] !== 0x4f || b[1] !== 0x67 || b[2] !== 0x67 || b[3] !== 0x53) {
    throw new AudioError('unknown-format', 'not an Ogg file');
  }
  if (b.length < 27) throw new AudioError('truncated', 'truncated Ogg (file ends inside the first page header)');
  const segs = b[26];
  const p = 27 + segs;
  if (b.length < p + 8) throw new AudioError('truncated', 'truncated Ogg (file ends inside the first packet)');
  const tag = String.fromCharCode(...b.subarray(p, p + 8));
  if (tag === 'OpusHead') return 'opus';
  if (tag.slice(1, 7) === 'vorbis' && b[p] === 1) return 'vorbis';
  const name = tag.startsWith('\x7fFLAC') ? 'FLAC in Ogg' : tag.startsWith('Speex') ? 'Speex' : tag.slice(1, 7) === 'theora' ? 'Theora video' : 'an unknown codec';
  throw new AudioError('unsupported', `unsupported Ogg stream (${name}); only Vorbis and Opus are read`);
}

export async function decodeOggVorbis(bytes: Uint8Array): Promise<DecodedAudio> {
  const { OggVorbisDecoder } = await import('@wasm-audio-decoders/ogg-vorbis');
  const dec = new OggVorbisDecoder();
  try {
    await dec.ready;
    const r = await guard('ogg-vorbis', () => dec.decodeFile(bytes));
    return checkDecoded('ogg-vorbis', r);
  } finally {
    dec.free();
  }
}

export async function decodeOggOpus(bytes: Uint8Array): Promise<DecodedAudio> {
  const { OggOpusDecoder } = await import('ogg-opus-decoder');
  const dec = new OggOpusDecoder();
  try {
    await dec.ready;
    const r = await guard('ogg-opus', () => dec.decodeFile(bytes));
    return checkDecoded('ogg-opus', r);
  } finally {
    dec.free();
  }
}

export async function decodeOgg(bytes: Uint8Array): Promise<DecodedAudio> {
  return oggCodec(bytes) === 'opus' ? decodeOggOpus(bytes) : decodeOggVorbis(bytes);
}
