/**
 * The audio head's saved state (no tfjs): the candidate chosen by the held-out human labels (which utterance
 * features, whether the encoders' embeddings join them, spread or linear), the features' pool statistics, and the
 * calibrated classifier on top. JSON-safe.
 */
import type { ClassifierState, TrainSet } from '../../train/classifier';
import type { ColumnStats, UtteranceBlocks } from './utterance';

/**
 * Which utterance blocks a candidate reads (./utterance.ts): 'shape', the word's course in time; 'timbre', the
 * MFCC and spectrum statistics (speaker, channel); 'all', both; 'voice', timbre with the clips' voice features
 * (./voice.ts: pitch statistics, the long-term spectrum and the harmonics, when the data carry them).
 */
export const AUDIO_FEATURE_SETS = ['shape', 'timbre', 'all', 'voice'] as const;
export type AudioFeatureSet = (typeof AUDIO_FEATURE_SETS)[number];

/** The block weights of a feature set (0: left out). */
export const FEATURE_SET_WEIGHTS: Record<AudioFeatureSet, Required<Record<keyof UtteranceBlocks, number>>> = {
  shape: { mfcc: 0, stats: 0, shape: 1, spectrum: 0, pitch: 0, lts: 0, harm: 0 },
  timbre: { mfcc: 1, stats: 1, shape: 0, spectrum: 1, pitch: 0, lts: 0, harm: 0 },
  all: { mfcc: 1, stats: 1, shape: 1, spectrum: 1, pitch: 0, lts: 0, harm: 0 },
  voice: { mfcc: 1, stats: 1, shape: 0, spectrum: 1, pitch: 1, lts: 1, harm: 1 },
};

/**
 * How a candidate is fitted: 'linear', the calibrated classifier on the human labels alone; 'spread', label spreading
 * over the pool's kNN graph of the features, then the classifier on the spread labels; 'lda', the same spreading
 * over the kNN graph of the features projected on the human labels' discriminant directions (src/core/train/lda.ts),
 * projected anew from each fit's own labels.
 */
export const AUDIO_HEAD_FITS = ['spread', 'linear', 'lda'] as const;
export type AudioHeadFit = (typeof AUDIO_HEAD_FITS)[number];

export interface AudioHeadCandidate {
  features: AudioFeatureSet;
  /** The pretext encoders' embeddings join the utterance features. */
  encoders: boolean;
  fit: AudioHeadFit;
}

export const candidateName = (c: AudioHeadCandidate): string => `${c.features}${c.encoders ? '+encoders' : ''}/${c.fit}`;

/** The name of what a state predicts with: its candidate, and the student when the mean with it was kept. */
export const stateName = (s: Pick<AudioHeadState, 'chosen' | 'student'>): string =>
  `${candidateName(s.chosen)}${s.student?.kept ? ' + student' : ''}`;

export interface AudioHeadState {
  version: 2;
  kind: 'audio-head';
  nClasses: number;
  chosen: AudioHeadCandidate;
  /** Every candidate's out-of-fold accuracy on the held-out human labels by its quick proxy (null: too few labels). */
  candidates: { name: string; proxyAccuracy: number | null }[];
  /** Pool statistics of the utterance features (src/core/modalities/audio/utterance.ts). */
  stats: ColumnStats;
  /** Checkpoint folders of the encoders whose embeddings the chosen candidate reads ([] for utterance only). */
  encoders: string[];
  /** The chosen candidate's calibrated classifier (its calibration fields are repeated at the top level). */
  classifier: ClassifierState;
  temperature: number;
  estimatedAccuracy: number | null;
  oof?: { index: number[]; probs: number[] };
  ece?: { before: number; after: number };
  trainedOn: { rows: number; heldOut: number; folds: number };
  /**
   * The student network (./student.ts, ./head.ts fitAudioStudent), when labels no person gave were there to train
   * it: its folder, what it learned from, and the held-out human labels' verdict. `kept`: the model predicts with the
   * mean of the classifier's and the student's probabilities (weight `weight` on the student) at `temperature`, and
   * the calibration fields above are the mean's.
   */
  student?: AudioStudentRecord;
}

export interface AudioStudentRecord {
  dir: string;
  rows: number;
  steps: number;
  seconds: number;
  /** Started from the last student's weights. */
  warm: boolean;
  weight: number;
  temperature: number;
  kept: boolean;
  /**
   * How the verdict was reached: `cross-fitted` — judging students whose teachers never saw the judged labels, the
   * mean uncapped; absent — on the head's held-out labels, which its teacher saw (flattered), the mean capped.
   */
  judge?: 'cross-fitted';
  /** Seconds the judging (two half-teachers and their students, on other workers) took, when cross-fitted. */
  judgeSeconds?: number;
  /**
   * When cross-fitted: the temperature fitted on the judging pairs, before transferTemperature moved it to the real
   * pair's (`temperature`).
   */
  judgedTemperature?: number;
  heldOut: {
    labels: number;
    head: { accuracy: number; logLoss: number };
    student: { accuracy: number };
    mean: { accuracy: number; logLoss: number };
  };
}

/**
 * What one half of a student's cross-fitted verdict is asked (job `judgeAudioStudent`, ./head.ts
 * judgeAudioStudentHalf): the teacher and labels, which half, how many lessons its judging student gets, and where
 * to keep that student (`saveTo`: the real student may start from it; else it is thrown away).
 */
export interface JudgeHalfRequest {
  teacher: AudioHeadState;
  train: TrainSet;
  nClasses: number;
  seed: number;
  half: 0 | 1;
  count: number;
  saveTo?: string;
}

/**
 * One half of a student's cross-fitted verdict (./head.ts judgeAudioStudentHalf): the half's human labels (data rows
 * and classes), and the probabilities (rows × C) of the teacher fitted on the other half and of its judging student.
 */
export interface JudgedHalf {
  index: Int32Array;
  labels: Int32Array;
  teacher: Float32Array;
  student: Float32Array;
  seconds: number;
}

function isStudentRecord(v: unknown): v is AudioStudentRecord {
  if (typeof v !== 'object' || v === null) return false;
  const r = v as Partial<AudioStudentRecord>;
  return (
    typeof r.dir === 'string' &&
    typeof r.kept === 'boolean' &&
    typeof r.weight === 'number' &&
    r.weight >= 0 &&
    r.weight <= 1 &&
    typeof r.temperature === 'number' &&
    r.temperature > 0 &&
    (r.judge === undefined || r.judge === 'cross-fitted') &&
    (r.judgedTemperature === undefined || (typeof r.judgedTemperature === 'number' && r.judgedTemperature > 0)) &&
    typeof r.heldOut === 'object' &&
    r.heldOut !== null
  );
}

export function isAudioHeadState(v: unknown): v is AudioHeadState {
  if (typeof v !== 'object' || v === null) return false;
  const s = v as Partial<AudioHeadState>;
  const c = s.chosen as Partial<AudioHeadCandidate> | undefined;
  return (
    s.kind === 'audio-head' &&
    s.version === 2 &&
    typeof s.nClasses === 'number' &&
    typeof c === 'object' &&
    c !== null &&
    (AUDIO_FEATURE_SETS as readonly string[]).includes(c.features as string) &&
    (AUDIO_HEAD_FITS as readonly string[]).includes(c.fit as string) &&
    typeof c.encoders === 'boolean' &&
    Array.isArray(s.encoders) &&
    typeof s.stats === 'object' &&
    s.stats !== null &&
    Array.isArray(s.stats.mean) &&
    Array.isArray(s.stats.std) &&
    typeof s.classifier === 'object' &&
    s.classifier !== null &&
    (s.student === undefined || isStudentRecord(s.student))
  );
}
