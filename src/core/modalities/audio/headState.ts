/**
 * The audio head's saved state (no tfjs): which candidate was chosen by the held-out human labels, the utterance
 * features' pool statistics, the encoders whose embeddings it reads, and the calibrated classifier on top. JSON-safe.
 */
import type { ClassifierState } from '../../train/classifier';
import type { ColumnStats } from './utterance';

/** The candidates, in the order of preference on a tie. */
export const AUDIO_HEAD_CANDIDATES = ['utterance-spread', 'joint-spread', 'utterance-linear', 'joint-linear'] as const;
export type AudioHeadCandidate = (typeof AUDIO_HEAD_CANDIDATES)[number];

export interface AudioHeadState {
  version: 1;
  kind: 'audio-head';
  nClasses: number;
  chosen: AudioHeadCandidate;
  /** Every candidate's out-of-fold accuracy on the held-out human labels (null: too few to cross-validate). */
  candidates: { name: AudioHeadCandidate; estimatedAccuracy: number | null }[];
  /** Pool statistics of the utterance features (src/core/modalities/audio/utterance.ts). */
  stats: ColumnStats;
  /** Checkpoint folders of the encoders whose embeddings the chosen candidate reads ([] for utterance-only). */
  encoders: string[];
  /** The chosen candidate's classifier (its calibration fields are repeated at the top level). */
  classifier: ClassifierState;
  temperature: number;
  estimatedAccuracy: number | null;
  oof?: { index: number[]; probs: number[] };
  ece?: { before: number; after: number };
  trainedOn: { rows: number; heldOut: number; folds: number };
}

export function isAudioHeadState(v: unknown): v is AudioHeadState {
  if (typeof v !== 'object' || v === null) return false;
  const s = v as Partial<AudioHeadState>;
  return (
    s.kind === 'audio-head' &&
    s.version === 1 &&
    typeof s.nClasses === 'number' &&
    typeof s.chosen === 'string' &&
    (AUDIO_HEAD_CANDIDATES as readonly string[]).includes(s.chosen) &&
    Array.isArray(s.encoders) &&
    typeof s.stats === 'object' &&
    s.stats !== null &&
    Array.isArray(s.stats.mean) &&
    Array.isArray(s.stats.std) &&
    typeof s.classifier === 'object' &&
    s.classifier !== null
  );
}
