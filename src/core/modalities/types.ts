/**
 * What a modality is to the loop. Each modality is one folder under src/core/modalities/<name>/ with two faces:
 *
 * - index.ts, the host face (`ModalityPlugin`): runs where Project runs (the CLI, or the VS Code extension host),
 *   never loads tfjs. It knows its pretext tasks, reads items into the data its worker jobs take (with its own cache),
 *   and may bring a head of its own (text: the lexical head) and a refinement step (image: fine-tuning the encoder).
 * - worker.ts, the worker face (`ModalityWorker`): runs inside the worker threads, with tfjs. It pretrains an encoder
 *   on a pretext task, embeds items with it, and serves the modality's own jobs.
 *
 * - modality.ts, its registration (`defineModality`): the name, the host face, and a lazy reference to the worker face.
 *
 * The loop (src/core/project/*) knows a modality only through these interfaces. To add one, see ARCHITECTURE.md.
 */
import type { Item, Modality, Progress, ScanOptions, Skipped } from '../types';
import type { ProjectConfig } from '../config';
import type { WorkspacePaths } from '../paths';
import type { DataOf, JobHandlers, JobRunner, JobTypes, PretrainDataParallel, TrainSet } from '../../protocol/jobs';
import type { OwnJobName } from '../../protocol/modalities';
import type { SelfTrainingCheck } from '../train/crossval';

export interface StageOptions {
  signal?: AbortSignal;
  onProgress?: (p: Progress) => void;
}

/** An item that could not be read, with a reason a user can read. */
export interface FailedItem {
  id: string;
  reason: string;
}

/** What a plugin's host face is given: the workspace, the settings, the pool's items, and the job runner. */
export interface ModalityContext {
  /** The workspace folder the items of the pool live in. */
  root: string;
  paths: WorkspacePaths;
  config: ProjectConfig;
  /** The pool (every scanned item of this modality), e.g. to pick an input size from. */
  pool: readonly Item[];
  runner: JobRunner;
}

/** A classifier of the modality's own, fitted on the items' data instead of the encoders' embeddings. */
export interface OwnHead<M extends Modality, S> {
  /** Its name in train summaries and status. */
  readonly name: string;
  /** Whether the settings ask for it (else the loop uses the embedding heads). */
  enabled(config: ProjectConfig): boolean;
  isState(state: unknown): state is S;
  fit(ctx: ModalityContext, data: DataOf<M>, train: TrainSet, nClasses: number, opts: StageOptions): Promise<S>;
  predict(ctx: ModalityContext, state: S, data: DataOf<M>, opts: StageOptions): Promise<Float32Array>;
  /** The candidate a fitted state is, with every candidate's accuracy on the held-out human labels (train summary). */
  chosen?(state: S): OwnHeadChoice | undefined;
}

/** An own head's choice among its candidates, as the train summary reports it (CLI, bench JSON, side panel). */
export interface OwnHeadChoice {
  name: string;
  /** Human labels held out to score the candidates (0: too few to cross-validate). */
  heldOut: number;
  /** With `selfTraining` for a candidate fitted with accepted labels: whether the check kept them (crossval.ts). */
  candidates: { name: string; accuracy: number | null; selfTraining?: SelfTrainingCheck }[];
  /** When the chosen model averages several candidates: their names (each one of `candidates`). */
  members?: string[];
  /**
   * The most confidence the chosen model's evidence supports, when it caps the predictions: the largest a held-out
   * label reached (under the proposals' threshold), or after self-training the precision of the held-out labels it
   * pushed over the threshold (`pushed`: how many, how many right).
   */
  cap?: { value: number; pushed?: { rows: number; right: number } };
}

/** A step after the classifier that may replace its predictions (image: the encoder fine-tuned end to end). */
export interface Refinement<M extends Modality, R> {
  enabled(config: ProjectConfig): boolean;
  /** Trains from the classifier's probabilities (the teacher) and returns calibrated probabilities for the pool. */
  run(
    ctx: ModalityContext,
    o: { model: string; data: DataOf<M>; teacher: Float32Array; train: TrainSet & { holdout: Uint8Array }; nClasses: number },
    opts: StageOptions,
  ): Promise<{ probs: Float32Array; record: R }>;
  /**
   * Optional candidate model trained on the labels alone (images: the encoder from scratch), for the choice by
   * held-out human labels (src/core/train/select.ts): a k-fold ensemble, model f trained on `fits[f]` (the labels
   * without the human labels of fold f). Returns the calibrated probabilities it predicts with (the ensemble), the
   * calibrated out-of-fold probabilities of the human labels (`oofProbs`, rows × C: row j = pool row `rows[j]`, from
   * model `rowFold[j]`), to score it, and what `predict` needs (`folds` is kept in it for the next train).
   */
  scratch?(
    ctx: ModalityContext,
    o: {
      model: string;
      data: DataOf<M>;
      fits: TrainSet[];
      rows: Int32Array;
      y: Int32Array;
      rowFold: Int32Array;
      pseudo: number;
      nClasses: number;
      /** Networks of the last train trained on these same `fits`: used as they are instead of training again. */
      reuse?: string[];
      /**
       * Asked once the folds' calibrated out-of-fold probabilities (as in the record) and their accuracy are known,
       * while the model that predicts may still be training: false stops it (it would not be chosen), and the result
       * has no `probs`.
       */
      wanted?: (oofProbs: Float32Array, accuracy: number | undefined) => Promise<boolean>;
    },
    opts: StageOptions,
  ): Promise<{ probs?: Float32Array; oofProbs: Float32Array; record: R }>;
  /** Probabilities for other items (a held-out folder) from what `run` saved. */
  predict(ctx: ModalityContext, record: R, data: DataOf<M>, nClasses: number, opts: StageOptions): Promise<Float32Array>;
  /** Model folders under .selflabel/models that `record` uses (the others are deleted after a train). */
  folders(record: R): string[];
}

/** One file the scan hands to a plugin's reader. */
export interface ScanFileInput {
  /** Workspace-relative POSIX path (the item id, or the prefix of its windows' ids). */
  rel: string;
  abs: string;
  size: number;
  mtimeMs: number;
  audioWindows?: ScanOptions['audioWindows'];
  signal?: AbortSignal;
}

/** What a plugin's reader makes of one file: its items, what it skipped (with reasons), and the file's hash. */
export interface ScannedFile {
  items: Item[];
  skipped: Skipped[];
  hash?: string;
}

/** Which files are a modality's, and how the scan reads them. */
export interface ModalityFiles {
  /** Lower-case extensions with the dot (the scan picks these files up for this modality). */
  readonly extensions: readonly string[];
  /**
   * Reads one file into items (e.g. audio: one clip, or the windows of a long recording). Absent: the scan's
   * built-in reader for whole image and text files. The items are cached by the scan as they are (plain JSON).
   */
  read?(f: ScanFileInput): Promise<ScannedFile>;
  /**
   * Files of this modality it cannot read yet (e.g. images: GIF, WebP, HEIC): the scan lists each as skipped with
   * the reason, so that users see why, instead of not seeing them at all.
   */
  readonly unreadable?: readonly string[];
  /** Largest file the scan reads for this modality (default: the scan's 50 MB). */
  readonly maxFileBytes?: number;
}

/**
 * A picture of an item for the review grid: a small image inlined as a `data:image/…` URL (`duration`: seconds of
 * an audio clip), or `file`: the item's own file is the picture, too big to inline (the host gives the webview its
 * URL).
 */
export type ItemThumbnail = { src: string; duration?: number } | { file: true };

/** An item as something the review grid can play: e.g. audio, a WAV of the clip. */
export interface ItemMedia {
  mime: string;
  bytes: Uint8Array;
  /** Seconds it plays. */
  duration: number;
}

/** What a preview method is given besides the item: the largest answer wanted, and a way to stop. */
export interface PreviewOptions {
  /** Largest inlined answer in bytes (before base64). */
  maxBytes: number;
  signal?: AbortSignal;
  /** Where heavy decoding runs (the project's workers); absent: in the caller's thread (CLI, tests). */
  runner?: Pick<JobRunner, 'run'>;
}

export interface ModalityPlugin<M extends Modality = Modality> {
  readonly name: M;
  /** Its files: extensions and, optionally, the reader that makes items of them. */
  readonly files: ModalityFiles;
  /** Its pretext tasks, one worker each; their encoders' embeddings are concatenated. */
  readonly pretextTasks: readonly string[];
  /** How the review UI shows an item: a picture, its text, or a spectrogram and a player. */
  readonly preview: 'thumbnail' | 'text' | 'audio';
  /**
   * Reads `items` of folder `root` into the data the worker jobs take. `cache`: keep what was decoded under
   * .selflabel/cache (only for the pool). Items that cannot be read are reported, never thrown.
   */
  load(
    ctx: ModalityContext,
    root: string,
    items: readonly Item[],
    opts: StageOptions & { cache: boolean },
  ): Promise<{ data: DataOf<M>; failed: FailedItem[] }>;
  /**
   * The review grid's picture of an item whose file is `file` (absolute, already checked to be inside the
   * workspace by the caller); undefined: none (e.g. text, shown as its snippet), or the file cannot be read.
   */
  thumbnail?(file: string, item: Item, o: PreviewOptions): Promise<ItemThumbnail | undefined>;
  /** The item as media the review grid can play (audio: a 16 kHz mono WAV of the clip's window). Throws an error a user can read. */
  media?(file: string, item: Item, o: PreviewOptions): Promise<ItemMedia>;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly ownHead?: OwnHead<M, any>;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly refinement?: Refinement<M, any>;
}

/** The pretext-task side of a modality, inside a worker thread. */
export interface PretrainStepOptions {
  epochs: number;
  seed: number;
  checkpointDir: string;
  resume: boolean;
  maxSeconds?: number;
  signal: AbortSignal;
  onProgress: (p: Progress) => void;
  /** This call is one rank of the task trained on several workers (src/core/ssl/loop.ts, DataParallel). */
  dataParallel?: PretrainDataParallel;
  /** The host's request to stop after the current step (src/core/ssl/loop.ts, PretrainOptions.yieldFlag). */
  yieldFlag?: SharedArrayBuffer;
}

export interface ModalityWorker<M extends Modality = Modality> {
  readonly name: M;
  readonly pretextTasks: readonly string[];
  pretrain(
    task: string,
    data: DataOf<M>,
    o: PretrainStepOptions,
  ): Promise<{ task: string; epochs: number; seconds: number; itemsPerSecond: number; finalLoss: number }>;
  embed(
    data: DataOf<M>,
    o: { checkpointDir: string; signal: AbortSignal; onProgress: (p: Progress) => void },
  ): Promise<{ embeddings: Float32Array; dim: number }>;
}

/** What a worker thread gets from a modality's worker.ts: the worker face, and the handlers of the jobs it owns. */
export interface WorkerSide<M extends Modality = Modality> {
  face: ModalityWorker<M>;
  jobs: JobHandlers<Pick<JobTypes, OwnJobName<M>>>;
}

/**
 * A modality as the registry finds it in src/core/modalities/<name>/modality.ts (exported as `modality`): its name,
 * its host face, and `worker`, which loads its worker face with `import('./worker')`. The build bundles that import
 * into dist/worker.js only (elsewhere it becomes a module that throws: scripts/build.mjs), so the host never loads
 * tfjs; scripts/check-imports.mjs knows this edge.
 */
export interface ModalityDescriptor<M extends Modality = Modality> {
  readonly name: M;
  readonly host: ModalityPlugin<M>;
  readonly worker: () => Promise<WorkerSide<M>>;
}

/** Declares a modality (its modality.ts); the compiler checks the faces against the name's contract. */
export function defineModality<M extends Modality>(d: ModalityDescriptor<M>): ModalityDescriptor<M> {
  return d;
}
