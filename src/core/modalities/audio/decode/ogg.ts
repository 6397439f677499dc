/**
 * Ogg Vorbis (@wasm-audio-decoders/ogg-vorbis) and Ogg Opus (opus-decoder, the plain libopus wasm build, fed the
 * packets of Ogg pages parsed here with codec-parser — ogg-opus-decoder would bundle 4 MB of an ML speech enhancer we
 * do not use), both without native binaries.
 * `oggCodec` reads the first page's packet to tell which codec the stream carries; other Ogg codecs (FLAC-in-Ogg,
 * Speex, Theora) are reported as unsupported.
 *
 * Vorbis pages are parsed here (codec-parser, the library's own parser) and checked before they reach the decoder:
 * the decoder, given no identification header or no audio packets, reads an uninitialised channel count and can spend
 * long in garbage; here that is a quick AudioError instead.
 */
import { AudioError } from '../errors';
import type { DecodedAudio } from '../types';
import { checkDecoded, guard } from './common';
import { withDecoder } from './pool';

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
  const name = tag.startsWith('\x7fFLAC')
    ? 'FLAC in Ogg'
    : tag.startsWith('Speex')
      ? 'Speex'
      : tag.slice(1, 7) === 'theora'
        ? 'Theora video'
        : 'an unknown codec';
  throw new AudioError('unsupported', `unsupported Ogg stream (${name}); only Vorbis and Opus are read`);
}

/** Channels and rate from the Vorbis identification header on the first page. */
function vorbisIdHeader(b: Uint8Array): { channels: number; sampleRate: number } {
  const p = 27 + b[26];
  if (b.length < p + 16) throw new AudioError('truncated', 'truncated Ogg Vorbis (file ends inside the identification header)');
  const channels = b[p + 11];
  const sampleRate = (b[p + 12] | (b[p + 13] << 8) | (b[p + 14] << 16) | (b[p + 15] << 24)) >>> 0;
  if (channels < 1 || sampleRate < 1 || sampleRate > 1_536_000) {
    throw new AudioError('corrupt', `corrupt Ogg Vorbis (identification header: ${channels} channels at ${sampleRate} Hz)`);
  }
  return { channels, sampleRate };
}

export async function decodeOggVorbis(bytes: Uint8Array): Promise<DecodedAudio> {
  const id = vorbisIdHeader(bytes);
  const pages = await oggPages('ogg-vorbis', bytes);
  const { OggVorbisDecoder } = await import('@wasm-audio-decoders/ogg-vorbis');
  const r = await guard('ogg-vorbis', () =>
    withDecoder(
      'ogg-vorbis',
      () => new OggVorbisDecoder(),
      false,
      (dec) => Promise.resolve(dec.decodeOggPages(pages)),
    ),
  );
  const d = checkDecoded('ogg-vorbis', r);
  if (d.info.channels !== id.channels || d.info.sampleRate !== id.sampleRate) {
    throw new AudioError(
      'corrupt',
      `corrupt Ogg Vorbis (decoded ${d.info.channels} ch at ${d.info.sampleRate} Hz, header says ${id.channels} ch at ${id.sampleRate} Hz)`,
    );
  }
  return d;
}

async function oggPages(format: 'ogg-vorbis' | 'ogg-opus', bytes: Uint8Array): Promise<import('codec-parser').OggPage[]> {
  const cp = await import('codec-parser');
  const pages = await guard(
    format,
    () => new cp.default('audio/ogg', { enableFrameCRC32: false }).parseAll(bytes) as import('codec-parser').OggPage[],
  );
  if (!pages.some((pg) => pg.codecFrames?.length)) {
    const code = pages.length > 1 ? 'corrupt' : 'truncated';
    throw new AudioError(
      code,
      `${code} ${format === 'ogg-opus' ? 'Ogg Opus' : 'Ogg Vorbis'} (no audio packets in ${pages.length} page${pages.length === 1 ? '' : 's'})`,
    );
  }
  return pages;
}

/** Opus in Ogg: pre-skip removed by the decoder, the end trimmed to the last page's granule position; always 48 kHz. */
/**
 * Runs `f` (synchronous) with console.error silenced: opus-decoder prints one line per corrupt packet, which would
 * flood the worker's log for one damaged file; the packets' errors are in the result it returns, and a file that
 * decodes to nothing is skipped with a reason by checkDecoded.
 */
function withoutConsoleErrors<T>(f: () => T): T {
  const original = console.error;
  console.error = () => {};
  try {
    return f();
  } finally {
    console.error = original;
  }
}

export async function decodeOggOpus(bytes: Uint8Array): Promise<DecodedAudio> {
  const pages = await oggPages('ogg-opus', bytes);
  const { OpusDecoder } = await import('opus-decoder');
  const frames = pages.flatMap((pg) => (pg.codecFrames ?? []).map((f) => f.data));
  const h = pages.find((pg) => pg.codecFrames?.length)!.codecFrames[0].header as unknown as import('codec-parser').OpusHeader;
  const { channels, preSkip } = h;
  // Channel mapping family 0 (mono/stereo) has no table in the header: one stream, coupled when stereo.
  const multi = h.channelMappingFamily !== undefined && h.channelMappingFamily !== 0;
  const streamCount = multi ? h.streamCount : 1;
  const coupledStreamCount = multi ? h.coupledStreamCount : channels - 1;
  const channelMappingTable = multi ? h.channelMappingTable : channels === 2 ? [0, 1] : [0];
  if (
    !(channels >= 1 && channels <= 8) ||
    (!multi && channels > 2) ||
    !(streamCount >= 1) ||
    !(coupledStreamCount >= 0) ||
    coupledStreamCount > streamCount ||
    !Array.isArray(channelMappingTable) ||
    channelMappingTable.length !== channels
  ) {
    throw new AudioError('corrupt', `corrupt Ogg Opus (header: ${channels} channels, ${streamCount} streams)`);
  }
  const key = `ogg-opus:${channels}:${streamCount}:${coupledStreamCount}:${(channelMappingTable ?? []).join('.')}:${preSkip}`;
  const r = await guard('ogg-opus', () =>
    withDecoder(
      key,
      () => new OpusDecoder({ channels, streamCount, coupledStreamCount, channelMappingTable, preSkip }),
      false,
      (dec) => Promise.resolve(withoutConsoleErrors(() => dec.decodeFrames(frames))),
    ),
  );
  const last = pages[pages.length - 1];
  if (last.isLastPage && last.totalSamples > 0 && r.samplesDecoded > last.totalSamples) {
    r.channelData = r.channelData.map((c) => c.subarray(0, last.totalSamples));
    r.samplesDecoded = last.totalSamples;
  }
  return checkDecoded('ogg-opus', r);
}

export async function decodeOgg(bytes: Uint8Array): Promise<DecodedAudio> {
  return oggCodec(bytes) === 'opus' ? decodeOggOpus(bytes) : decodeOggVorbis(bytes);
}
