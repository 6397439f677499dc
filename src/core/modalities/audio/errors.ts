/**
 * Typed errors of the audio library. Every failure to read or decode an audio file is an `AudioError` (a subclass of
 * the dataset layer's `ItemError`, so the scan skips the item and shows `reason`). `code` says which kind, so callers
 * and tests can tell a truncated file from an unsupported one without parsing the sentence.
 */
import { ItemError } from '../../dataset/errors';

export type AudioErrorCode =
  /** The file ends before its header or its declared data does. */
  | 'truncated'
  /** The bytes contradict the format (bad chunk sizes, undecodable frames). */
  | 'corrupt'
  /** A real audio file in a format or layout this library does not read (e.g. a WAV in A-law, a 12-bit PCM). */
  | 'unsupported'
  /** Not audio: no known magic bytes. */
  | 'unknown-format'
  /** Decoded fine but holds no audible signal (peak below the silence threshold) or no samples at all. */
  | 'silent'
  /** Too large to decode in memory (compressed formats only; WAV is read by position and has no such limit). */
  | 'too-large';

export class AudioError extends ItemError {
  override name = 'AudioError';
  readonly code: AudioErrorCode;

  constructor(code: AudioErrorCode, reason: string, item?: string) {
    super(reason, item);
    this.code = code;
  }
}

export function isAudioError(e: unknown): e is AudioError {
  return e instanceof AudioError;
}
