/** What the loop's stages return and what status reports: the public shapes of Project. */
import type { Modality, Progress, Skipped } from '../types';
import type { ClassifierHead, PretrainPlan, PretrainStats } from '../../protocol/jobs';
import type { FinetuneRecord } from '../modalities/image/finetune';

export type { StageOptions } from '../modalities/types';
export type { FinetuneRecord };

export interface ScanSummary {
  items: number;
  skipped: Skipped[];
  modality: Modality | undefined;
  byModality: Record<Modality, number>;
  filesSeen: number;
  seconds: number;
}

export interface PretrainSummary {
  backend: string;
  modality: Modality;
  tasks: PretrainStats[];
  seconds: number;
  /** Items of all pretext tasks per wall-clock second of the training (each task's own rate is in `tasks`). */
  itemsPerSecond: number;
  /** How the tasks used the workers (src/core/project/training.ts, pretrainPlan). */
  plan?: PretrainPlan;
  /** The workers the stage kept busy. */
  workers?: number;
  /** Wall-clock seconds of the training itself (`seconds` includes loading the pool's data). */
  trainSeconds?: number;
}

export interface TrainSummary {
  model: string;
  backend: string;
  labelled: number;
  pseudoLabelled: number;
  /**
   * The classifier head used: 'spread' (label spreading over the kNN graph + classifier), 'linear', or the
   * modality's own head (text: 'lexical', on the documents' own words and fields).
   */
  head: ClassifierHead | 'lexical';
  /** Out-of-fold accuracy on human labels; undefined with too few labels. */
  estimatedAccuracy?: number;
  /** Set when networks made the predictions: the fine-tuned encoder, or the network trained from scratch (`chosen`). */
  finetuned?: FinetuneRecord;
  /** The fine-tuning run, when one was asked for (`finetune`), whether or not it was chosen. */
  finetuneRun?: FinetuneRecord;
  /**
   * The model chosen by held-out human labels: its name (the head, 'finetuned', 'scratch', 'pixels'; an own head's
   * candidate, e.g. 'linear-lsa'), how many labels were held out, and every candidate's accuracy on them (null: not
   * scored).
   */
  chosen?: {
    name: string;
    heldOut: number;
    candidates: { name: string; accuracy: number | null }[];
    /**
     * The pool's class priors and whether they re-weighted the predictions: estimated by EM from a model right on at
     * least PRIOR_MIN_ACCURACY of the held-out labels (applied), else by black-box shift estimation from its held-out
     * confusions ('bbse', applied when there are enough held-out labels and the pool's predictions show a shift).
     */
    priors?: {
      estimate: number[];
      applied: boolean;
      method?: 'em' | 'bbse';
      classes?: string[];
      /** A weaker model's shift test (priors.ts priorShiftEvidence): BBSE's priors apply when chi2 > threshold. */
      shift?: { chi2: number; threshold: number };
      /**
       * Set when some held-out labels do not sample the pool (items asked about for their doubt, corrected
       * proposals): the chosen model's accuracy on the others, which judges whether it is strong enough for EM; or,
       * when the chosen model was scored on the held-out fifth only (the fine-tuned network) and beat the head there,
       * the head's accuracy on them (`via`: the head's name).
       */
      sample?: { labels: number; accuracy: number | null; via?: string };
    };
    /** The cap of the chosen model's confidence, when its evidence sets one (OwnHeadChoice.cap). */
    cap?: import('../modalities/types').OwnHeadChoice['cap'];
    /** The candidates the chosen model averages, when it is an ensemble (OwnHeadChoice.members). */
    members?: string[];
    /**
     * Set when the chosen ensemble scored below one of its parts (`over`) but the part's lead is within chance: it
     * was right on `wins` held-out labels the ensemble got wrong and wrong on `losses` it got right, one-sided sign
     * test `p` (src/core/train/select.ts keepEnsemble).
     */
    ensembleKept?: { over: string; wins: number; losses: number; p: number };
  };
  /**
   * True when nothing the models learn from changed since the last train (encoders, pool, human labels, settings;
   * the scratch folds in play, no fine-tuning): the saved model and its predictions were kept.
   */
  reused?: boolean;
  seconds: { embed: number; fit: number; predict: number; finetune: number };
}

export interface ProposalSet {
  model: string;
  threshold: number;
  proposals: import('../types').Proposal[];
  /** Mean calibrated confidence of the proposals: the precision a reviewer should expect. */
  expectedPrecision: number;
  time: string;
  /** The best candidates under the threshold (src/core/proposals/below.ts); never pending proposals. */
  below?: import('../types').Proposal[];
}

export interface RoundRecord {
  round: number;
  time: string;
  model: string;
  labelled: number;
  estimatedAccuracy?: number;
  proposals?: number;
  expectedPrecision?: number;
}

export const NEXT_STEPS = [
  'set-classes',
  'scan',
  'pretrain',
  'label-seeds',
  'train',
  'review',
  'propose',
  'retrain',
  'label-uncertain',
  'export',
] as const;
/** The one next step of the loop, with a sentence saying it: the CLI prints the sentence, the side panel adds the button. */
export interface NextStep {
  kind: (typeof NEXT_STEPS)[number];
  text: string;
}

export interface ProjectStatus {
  root: string;
  classes: string[];
  counts: Record<string, number>;
  modality?: Modality;
  items: number;
  labelled: number;
  unlabelled: number;
  skipped: number;
  pretrained: { task: string; epochs: number }[];
  model?: { version: string; estimatedAccuracy?: number; time: string };
  proposals: number;
  backend?: string;
  history: RoundRecord[];
  /** The one next step (src/core/project/status.ts), shown by the CLI and the side panel alike. */
  next: NextStep;
  /** next.text. */
  nextAction: string;
  warnings: string[];
}

export interface PredictedItem {
  id: string;
  label: string;
  confidence: number;
}

export interface TrainOptions {
  signal?: AbortSignal;
  onProgress?: (p: Progress) => void;
  /** Also run the modality's refinement (images: fine-tune the encoder end to end; default: the `finetune` setting). */
  finetune?: boolean;
}
