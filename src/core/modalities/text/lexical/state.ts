/**
 * The saved state of the text head (src/core/text/head.ts), in a module without dependencies so the host side
 * (Project) can recognise it without loading the ML code (the one import is a type, erased at build).
 */
import type { CalibrationFields } from '../../../train/crossval';

export interface TextHeadState extends CalibrationFields {
  version: 1;
  kind: 'text-spread-nb';
  nClasses: number;
  buckets: number;
  views: string[];
  /** NB model: feature ids (ascending) and log p(id|c) (ids × C), base64 of Int32 / Float32 little-endian. */
  nb: { ids: string; logp: string; unseen: number[]; logPrior: number[] };
  seed: number;
}

export function isTextHeadState(s: unknown): s is TextHeadState {
  return typeof s === 'object' && s !== null && (s as { kind?: unknown }).kind === 'text-spread-nb';
}
