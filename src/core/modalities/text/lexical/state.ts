/**
 * The saved states of the text head (src/core/modalities/text/lexical/head.ts), in a module without dependencies so the host side
 * (Project) can recognise them without loading the ML code (the one import is a type, erased at build).
 *
 * Two kinds of model, both with the calibration fields (temperature, out-of-fold estimate) and the record of the head
 * selection (`chosen`, `candidates`: every candidate's out-of-fold accuracy on the held-out human labels):
 *   - 'text-spread-nb': label spreading over tf-idf kNN graphs + naive Bayes (./spreadNb.ts);
 *   - 'text-linear': logistic regression on tf-idf of words, bigrams, fields (and character n-grams, and the pool's
 *     LSA coordinates) (./head.ts).
 * and the ensemble of several of them ('text-ensemble', with the `ensemble` option of ./head.ts fitTextHead).
 * States saved before the selection existed ('text-spread-nb' without `chosen`) still load and predict.
 */
import { pushedCap, type CalibrationFields, type Pushed, type SelfTrainingCheck } from '../../../train/crossval';

/** One candidate of the head selection and how it did out of fold. */
export interface TextHeadCandidate {
  name: string;
  /** Out-of-fold accuracy on the held-out human labels (null: too few labels to cross-validate). */
  estimatedAccuracy: number | null;
  seconds: number;
  /** After rounds of accepted proposals: whether the self-training check kept them for this candidate. */
  selfTraining?: SelfTrainingCheck;
}

interface SelectionFields {
  /** Name of the candidate this state is (absent in states saved before the selection existed). */
  chosen?: string;
  candidates?: TextHeadCandidate[];
  /**
   * The temperature was softened by `factor` (≥ 1) so that `heldOut` held-out labels all right are not read as
   * certainty (head.ts withSoftening; `temperature` and `oof` are the softened ones). Absent: no cross-validation, or
   * a state saved before it.
   */
  softened?: { factor: number; heldOut: number };
}

export interface SpreadNbState extends CalibrationFields, SelectionFields {
  version: 1;
  kind: 'text-spread-nb';
  nClasses: number;
  buckets: number;
  views: string[];
  /** NB model: feature ids (ascending) and log p(id|c) (ids × C), base64 of Int32 / Float32 little-endian. */
  nb: { ids: string; logp: string; unseen: number[]; logPrior: number[] };
  seed: number;
}

export interface LinearTextState extends CalibrationFields, SelectionFields {
  version: 2;
  kind: 'text-linear';
  nClasses: number;
  buckets: number;
  /** Feature set: words + bigrams + fields, plus character n-grams when `subword`. */
  subword: boolean;
  /** Parts of the documents read (as SpreadNbState.views: 'fields' and/or 'body' when the pool has field lines). */
  views: string[];
  /** Pool size the idf was computed on (idf of a feature the pool never had: ln(1 + pool) + 1). */
  pool: number;
  /** base64 Int32 ids (ascending) with idf (Float32) for every feature of the pool; weights (ids × C) and bias. */
  model: { ids: string; idf: string; W: string; bias: number[] };
  /**
   * 'linear-lsa' only: the pool's LSA directions (./lsa.ts) over words and fields, and the weights of a document's
   * L2-normalised coordinates (× beta): base64 Int32 ids, Float32 idf (per id), V (ids × dim), W (dim × C).
   */
  lsa?: { dim: number; beta: number; ids: string; idf: string; V: string; W: string };
  seed: number;
}

/** One model of the text head (a candidate of the selection, or a member of an ensemble). */
export type SingleTextState = SpreadNbState | LinearTextState;

/**
 * The average of several candidates' calibrated probabilities (each at its own temperature), re-calibrated: the
 * averaged out-of-fold probabilities of the held-out labels (the candidates share their folds) fit `temperature`,
 * applied to the log of the average. `chosen` names the members joined by '+'.
 */
export interface EnsembleTextState extends CalibrationFields, SelectionFields {
  version: 1;
  kind: 'text-ensemble';
  nClasses: number;
  members: SingleTextState[];
  seed: number;
}

export type TextHeadState = SingleTextState | EnsembleTextState;

export function isTextHeadState(s: unknown): s is TextHeadState {
  const k = typeof s === 'object' && s !== null ? (s as { kind?: unknown }).kind : undefined;
  if (k === 'text-ensemble') {
    const m = (s as { members?: unknown }).members;
    return Array.isArray(m) && m.length > 0 && m.every((x) => isTextHeadState(x) && (x as { kind: string }).kind !== 'text-ensemble');
  }
  return k === 'text-spread-nb' || k === 'text-linear';
}

/** The proposals' default threshold (config `threshold`): the one the text head's caps are measured at. */
export const TEXT_PROPOSAL_THRESHOLD = 0.9;

/**
 * The cap of a state's confidence: its largest held-out confidence when that stayed below the proposals' default
 * threshold — the temperature then had no held-out label where proposals are made, and nothing is claimed there.
 * When held-out labels did reach it, the temperature has evidence there and is trusted beyond: with m held-out
 * labels, about 1/(m + 1) of a pool lies above the largest of them by chance alone, so a hard cap would pull every
 * round's most confident proposals down to one sampled value. After self-training (crossval.ts Pushed) the evidence
 * for the next proposals is the held-out labels it pushed over the threshold: no more than their precision by the rule
 * of succession, and never under the model's accuracy on every held-out label.
 */
export function confidenceCap(state: CapFields): number | undefined {
  return capEvidence(state)?.value;
}

type CapFields = Pick<CalibrationFields, 'maxConfidence' | 'pushed'> & { estimatedAccuracy: number | null };

/**
 * confidenceCap with the evidence that set it (OwnHeadChoice.cap): `pushed` when the held-out labels self-training
 * pushed over the threshold bound it, none when the largest held-out confidence did. Undefined: no cap.
 */
export function capEvidence(state: CapFields): { value: number; pushed?: Pushed } | undefined {
  const m = state.maxConfidence;
  const held = m !== undefined && m < TEXT_PROPOSAL_THRESHOLD ? m : undefined;
  // After self-training, the held-out labels it pushed over the threshold: no more than their precision, which few of
  // them never pull under the model's accuracy on every held-out label (its confident rows are not worse than those).
  const p = pushedCap(state.pushed);
  if (p === undefined) return held === undefined ? undefined : { value: held };
  const value = Math.max(p, state.estimatedAccuracy ?? 0);
  return held !== undefined && held <= value ? { value: held } : { value, pushed: state.pushed };
}
