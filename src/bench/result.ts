/**
 * The shape of a benchmark result (what `--json FILE` writes and what the markdown report is made from).
 * Fractions are in [0, 1]; times in seconds; `null` means "not measured in this run" (e.g. no test set).
 */
import type { BenchOptions } from './options';
import type { BaselineResult } from './baselines';

export interface StageSeconds {
  train: number;
  embed: number;
  fit: number;
  predict: number;
  test: number;
  propose: number;
  review: number;
  suggest: number;
  total: number;
}

/** SelfLabel's accuracies minus the best baseline's (null where nothing to compare). */
export function baselineMargin(
  final: { testAccuracy: number | null; datasetLabelAccuracy: number },
  baselines: readonly BaselineResult[],
): { test: number | null; dataset: number | null } {
  const tests = baselines.map((b) => b.testAccuracy).filter((v): v is number => v !== null);
  return {
    test: final.testAccuracy !== null && tests.length ? final.testAccuracy - Math.max(...tests) : null,
    dataset: baselines.length ? final.datasetLabelAccuracy - Math.max(...baselines.map((b) => b.datasetLabelAccuracy)) : null,
  };
}

export interface RoundResult {
  round: number;
  /** Human actions so far (seed labels included). */
  humanActions: number;
  /** Human actions taken in this round. */
  roundHumanActions: number;
  /** Labelled pool items when this round's model was trained. */
  trainedOn: number;
  /** Pseudo-labels the engine added to training (its own confident unreviewed proposals). */
  pseudoLabelled: number;
  /** The classifier head the engine used ('spread' or 'linear'). */
  head: string;
  /** True when the train kept the last model: nothing it learns from had changed (TrainSummary.reused). */
  modelReused?: boolean;
  /** The model chosen by held-out human labels and every candidate's accuracy on them (Project.train's `chosen`). */
  chosen?: import('../core/project/types').TrainSummary['chosen'] | null;
  /** The engine's out-of-fold estimate of its accuracy. */
  estimatedAccuracy: number | null;
  /** Proposals at or above the threshold. */
  proposals: number;
  /** Fraction of those proposals that match the truth. */
  proposalPrecision: number | null;
  /** The engine's calibrated expectation of that precision. */
  expectedPrecision: number | null;
  reviewed: number;
  accepted: number;
  corrected: number;
  uncertainLabelled: number;
  /** Proposals accepted without a human (no-review mode). */
  autoAccepted: number;
  /** Labelled pool items / pool items, after this round's actions. */
  labelledFraction: number;
  /** Accuracy of the labels in the journal (human, accepted, corrected) against the truth, after this round. */
  labelAccuracy: number | null;
  /** This round's model on the held-out test items. */
  testAccuracy: number | null;
  testMacroF1: number | null;
  seconds: StageSeconds;
}

export interface TargetCheck {
  metric: string;
  op: string;
  value: number;
  actual: number | null;
  pass: boolean;
}

/** A target checked: its first condition's fields, and its alternatives' (`pass` is true when any condition passes). */
export interface TargetResult extends TargetCheck {
  name: string;
  or?: TargetCheck[];
}

export interface BenchResult {
  version: 1;
  dataset: string;
  mode: 'review' | 'no-review';
  backend: string;
  /** Pool items the Project scanned and the truth knows. */
  items: number;
  classes: string[];
  testItems: number;
  options: Omit<BenchOptions, 'targets' | 'json' | 'quiet' | 'keep'>;
  /** loadAverage: the 1-minute load average at the start and at the end of the run (other work on the machine). */
  machine: { nproc: number; cpu: string; memoryGB: number; node: string; platform: string; loadAverage: { start: number; end: number } };
  started: string;
  /** Data problems: truth rows skipped, truth items not found or not scanned, scanned items with no truth. */
  data: {
    truthProblems: string[];
    truthProblemCount: number;
    /** Truth items that are not usable: no such file/row in the data, or skipped by the scan (first 20). */
    missing: { id: string; reason: string }[];
    missingCount: number;
    /** Of those, the ones the scan skipped: they are pool items, and count as wrong in datasetLabelAccuracy. */
    notScannedCount: number;
    unknownItems: number;
    testMissingCount: number;
    workspace: { linked: number; copied: number; subsets: number; seconds: number };
  };
  pretrain: {
    seconds: number;
    epochs: number | null;
    tasks: { task: string; epochs: number; seconds: number; itemsPerSecond: number; finalLoss: number }[];
  };
  rounds: RoundResult[];
  final: {
    humanActions: number;
    actions: { seed: number; accepted: number; corrected: number; uncertain: number; autoAccepted: number };
    labelled: number;
    testAccuracy: number | null;
    testMacroF1: number | null;
    /**
     * Every pool item's label — journal label, else the final model's prediction — against the truth. Pool items are
     * the truth items whose file (or row) exists; those the scan could not use count as wrong.
     */
    datasetLabelAccuracy: number;
    /** Pool items with neither a label nor a prediction, e.g. not scanned (counted as wrong above). */
    datasetUnlabelledUnpredicted: number;
    /** The journal's labels agree with what the annotator did (label for label). */
    journalConsistent: boolean;
    trainSeconds: number;
    /** The final train's model chosen by held-out human labels (see RoundResult.chosen). */
    chosen?: RoundResult['chosen'];
    /** The final train's fine-tuning (--finetune): seconds, items/s summed over the networks, its calibration estimate. */
    finetune: {
      seconds: number;
      itemsPerSecond: number;
      estimatedAccuracy: number | null;
      calibrationItems: number;
      /** The same final labels scored with the classifier alone (a train without fine-tuning just before). */
      before: { datasetLabelAccuracy: number; testAccuracy: number | null; trainSeconds: number } | null;
    } | null;
    wallSeconds: number;
    pretrainSeconds: number;
    peakRssMB: number;
  };
  speed: {
    /**
     * total: items of all tasks per wall-clock second of the training (Project.pretrain's itemsPerSecond: tasks one
     * after another do not add up, tasks side by side do);
     * wall: items × epochs summed over the tasks, divided by the whole pretrain stage's wall time (decoding,
     * start-up and a task finishing before the other included) — what a user waits for;
     * perWorker: items per second of each worker over its tasks' training time; perTask: each task's own rate over its
     * own seconds, on perTaskWorkers workers (not a share of the stage: do not add them up); plan: how the tasks used
     * the workers ('per-task', 'data-parallel'; null from an engine that does not say).
     */
    pretrainItemsPerSecond: {
      total: number;
      wall: number;
      perWorker: number[];
      perTask: Record<string, number>;
      perTaskWorkers?: Record<string, number>;
      workers: number;
      plan?: string | null;
    };
    embedItemsPerSecond: number | null;
    proposeSeconds: number | null;
    storeAppendPerSecond: number | null;
    storeBatchAppendPerSecond: number | null;
    storeReplayPerSecond: number | null;
    scanFilesPerSecond: number | null;
  };
  /**
   * Plain baselines on the same pool, test items and human labels (src/bench/baselines): name, testAccuracy,
   * datasetLabelAccuracy, the labels each was trained on, seconds (features + fit + predict).
   */
  baselines: BaselineResult[];
  /**
   * SelfLabel minus the best baseline (fractions, e.g. 0.05 = 5 points ahead), on the test set and on the pool's
   * labels; null without baselines (or without a test set).
   */
  baselineMargin: { test: number | null; dataset: number | null };
  targets: TargetResult[];
  warnings: string[];
}
