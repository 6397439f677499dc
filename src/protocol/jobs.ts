/**
 * The engine's jobs as they cross the thread boundary: name → params → result. The envelope (run / progress /
 * result / error / cancel) is in ./worker.ts; this file types what is inside it. Project (src/core/project.ts) sends
 * these, src/worker/jobs.ts runs them. Large arrays travel as SharedArrayBuffer (shared, not copied) or are
 * transferred.
 */
import type { TransferListItem } from 'node:worker_threads';
import type { Item, Progress } from '../core/types';
import type { AudioData, ImageData, Modality, ModalityData, OwnJobName } from './modalities';
import type { ClassifierState, TrainSet } from '../core/train/classifier';
import type { TextHeadState } from '../core/modalities/text/lexical/state';
import type { AudioHeadState, JudgeHalfRequest, JudgedHalf } from '../core/modalities/audio/headState';
import type { StudentPlan } from '../core/train/selfTraining';
import type { PixelState } from '../core/modalities/image/pixels';

/** The modalities' data and own jobs are registered in ./modalities.ts (one line each); re-exported here for the jobs. */
export type { AudioData, DataOf, ImageData, ModalityData, TextData } from './modalities';
export type JobData = ModalityData[Modality];

/** Labelled rows to fit on: item row, class, weight; holdout[k] = 1 where the label may be held out for calibration. */
export type { TrainSet };

export interface PretrainStats {
  task: string;
  epochs: number;
  seconds: number;
  /** This task's own rate over its own seconds (on `workers` workers), not the stage's. */
  itemsPerSecond: number;
  finalLoss: number;
  /** What the encoder took, e.g. images "32×32×3" (image: the side geometry.ts `pretrainSide` chose); absent for text and audio. */
  input?: string;
  /** The workers that trained this task at once (set by the host; 1 when absent). */
  workers?: number;
  /**
   * A task trained in parts (the 'join' plan: on one worker, then data-parallel on several): each part's seconds, rate
   * and the workers it ran on (set by the host).
   */
  parts?: { seconds: number; itemsPerSecond: number; workers: number[] }[];
}

/**
 * One pretext task trained on several workers at once (src/core/ssl/loop.ts, DataParallel): the same job on each of
 * `world` workers with its own `rank`, all sharing `buffer` (src/core/backend/exchange.ts: `allocateExchange(world)`),
 * through which they average their gradients every step.
 */
export interface PretrainDataParallel {
  buffer: SharedArrayBuffer;
  rank: number;
  world: number;
}

/**
 * How the pretrain stage uses the workers (src/core/project/training.ts, pretrainPlan): 'per-task' — the tasks side
 * by side, each on its own share of the workers (one worker each, or data-parallel on several when there are more
 * workers than tasks; one after another when there are more tasks than workers); 'data-parallel' — the tasks one
 * after another, each on all workers; 'join' — as 'per-task', and a worker whose task is done joins a task still
 * running, which resumes from its checkpoint data-parallel (src/core/project/pretrainPlans.ts joinedTasks).
 */
export const PRETRAIN_PLANS = ['per-task', 'data-parallel', 'join'] as const;
export type PretrainPlan = (typeof PRETRAIN_PLANS)[number];

/** Why `v` is not a usable PretrainDataParallel (undefined if it is): the host checks before sending, the worker on receipt. */
export function dataParallelProblem(v: unknown): string | undefined {
  if (typeof v !== 'object' || v === null) return 'dataParallel must be an object {buffer, rank, world}';
  const d = v as Record<string, unknown>;
  if (!(d.buffer instanceof SharedArrayBuffer)) return 'dataParallel.buffer must be a SharedArrayBuffer';
  if (typeof d.world !== 'number' || !Number.isInteger(d.world) || d.world < 2 || d.world > 64)
    return `dataParallel.world must be an integer in [2, 64], got ${String(d.world)}`;
  if (typeof d.rank !== 'number' || !Number.isInteger(d.rank) || d.rank < 0 || d.rank >= d.world)
    return `dataParallel.rank must be an integer in [0, ${d.world}), got ${String(d.rank)}`;
  // The buffer's size is checked against its layout where it is used (GradientExchange, src/core/backend/dataParallel.ts).
  return undefined;
}

/**
 * Why a pretrain job's `yieldFlag` is unusable (undefined when it is fine): a SharedArrayBuffer of at least one Int32
 * (the host stores 1 in it to have the task stop), on a job that is not a rank of a data-parallel task (the ranks
 * would read it after different steps and part ways).
 */
export function yieldFlagProblem(flag: unknown, dataParallel: unknown): string | undefined {
  if (!(flag instanceof SharedArrayBuffer)) return 'yieldFlag must be a SharedArrayBuffer';
  if (flag.byteLength < 4) return `yieldFlag must hold one Int32 (4 bytes), got ${flag.byteLength}`;
  if (dataParallel !== undefined) return 'yieldFlag is for a task on one worker, not a rank of a data-parallel task';
  return undefined;
}

export type JobTypes = {
  /** Decode image items (checked against their content hash) into rows offset.. of `out`. */
  decodeImages: {
    params: { root: string; items: Item[]; size: number; channels: 1 | 3; out: SharedArrayBuffer; offset: number };
    result: { failed: { index: number; reason: string }[] };
  };
  /**
   * Decode audio clips (checked against their content hash) to 16 kHz mono, cropped or padded to `seconds`, into
   * log-mel rows offset.. of `out` (frames × mels float32 each).
   */
  audioFeatures: {
    params: {
      root: string;
      items: Item[];
      seconds: number;
      frames: number;
      mels: number;
      out: SharedArrayBuffer;
      offset: number;
      /** Also the clips' voice features (src/core/modalities/audio/voice.ts), rows offset.. of this (VOICE_DIM float32 each). */
      voice?: SharedArrayBuffer;
    };
    result: { failed: { index: number; reason: string }[] };
  };
  /**
   * The audio encoder from random initialisation trained on `train` rows of `data` alone (the bench's
   * supervised-encoder baseline); logits (n × classes) of `data` and of each of `others`.
   */
  audioSupervised: {
    params: { data: AudioData; others: AudioData[]; train: TrainSet; nClasses: number; epochs: number; seed: number };
    result: { logits: Float32Array[]; seconds: number; itemsPerSecond: number };
  };
  /**
   * The audio head (src/core/modalities/audio/head.ts): utterance features of every pool clip, joined with the
   * embeddings of the encoders saved in `encoders` (checkpoint folders; [] for none), candidates chosen by the held-out
   * human labels.
   */
  fitAudio: {
    params: { data: AudioData; train: TrainSet; nClasses: number; seed: number; encoders: string[] };
    result: AudioHeadState;
  };
  /**
   * The audio head's student (src/core/modalities/audio/head.ts fitAudioStudent): a network trained on the `train`
   * rows no person labelled, saved in `dir`, kept in the returned state when the held-out human labels prefer the mean
   * of it and `teacher`.
   */
  fitAudioStudent: {
    params: { data: AudioData; teacher: AudioHeadState; train: TrainSet; nClasses: number; seed: number; dir: string; initFrom?: string };
    result: AudioHeadState;
  };
  /**
   * One half of the audio student's cross-fitted verdict (src/core/modalities/audio/head.ts judgeAudioStudentHalf):
   * the teacher's candidate fitted on the other half of the human labels, its `count` surest clips teaching a judging
   * student, both predicting the half's labels. Null when the halves cannot cover every class. With `saveTo`, the
   * judging student is kept in that folder (the real student starts from it).
   */
  judgeAudioStudent: {
    params: JudgeHalfRequest & { data: AudioData };
    result: JudgedHalf | null;
  };
  predictAudio: {
    params: { state: AudioHeadState; data: AudioData };
    result: { probs: Float32Array };
  };
  /**
   * The review grid's preview of one audio item (src/core/modalities/audio/preview.ts), decoded in a worker (FLAC,
   * MP3 and Ogg are decoded whole): 'thumbnail', a spectrogram PNG; 'media', a 16 kHz mono 16-bit WAV of at most
   * `maxSeconds` of the clip's window. `file` is absolute, already checked to be inside the workspace.
   */
  audioPreview: {
    params: { file: string; item: Item; want: 'thumbnail' | 'media'; maxSeconds: number };
    result: { bytes: Uint8Array; duration: number };
  };
  pretrain: {
    params: {
      modality: Modality;
      task: string;
      data: JobData;
      epochs: number;
      seed: number;
      checkpointDir: string;
      resume: boolean;
      maxSeconds?: number;
      /** Train this task on several workers at once: this job is one rank of it (see PretrainDataParallel). */
      dataParallel?: PretrainDataParallel;
      /**
       * One Int32 the host sets to 1 to have this task stop after its current step, checkpointed, and return
       * incomplete (a single-worker job only: see yieldFlagProblem).
       */
      yieldFlag?: SharedArrayBuffer;
    };
    result: PretrainStats;
  };
  embed: {
    params: { modality: Modality; checkpointDir: string; data: JobData };
    result: { embeddings: Float32Array; dim: number };
  };
  fit: {
    params: {
      X: SharedArrayBuffer;
      n: number;
      dim: number;
      train: TrainSet;
      nClasses: number;
      seed: number;
      /**
       * 'spread': label spreading over `graph` (the kNN graph of all n rows) + the calibrated classifier on the
       * labels and the spread labels; 'linear' (default): the calibrated classifier on the labels alone.
       */
      head?: ClassifierHead;
      graph?: GraphData;
    };
    result: ClassifierState;
  };
  graph: {
    /**
     * The k-nearest-neighbour graph (cosine) of the n rows of X, for label spreading; with `rows`, the part for rows
     * [from, to) (its `n` their count), so that the workers build the graph side by side.
     */
    params: { X: SharedArrayBuffer; n: number; dim: number; k: number; rows?: { from: number; to: number } };
    result: GraphData;
  };
  /** The text head (src/core/modalities/text/lexical/head.ts): fitted on the texts of every pool item (labelled or not). */
  fitText: {
    params: {
      texts: string[];
      train: TrainSet;
      nClasses: number;
      seed: number;
    };
    result: TextHeadState;
  };
  predictText: {
    params: { state: TextHeadState; texts: string[] };
    result: { probs: Float32Array };
  };
  /**
   * Fine-tunes a copy of a pretrained image encoder end to end with a softmax head (src/core/train/student.ts) on
   * train.index rows of `data`, saving it in checkpointDir.
   */
  finetune: {
    params: {
      data: ImageData;
      train: TrainSet;
      nClasses: number;
      epochs: number;
      seed: number;
      initFrom: string;
      checkpointDir: string;
      /**
       * FixMatch consistency on every image of `data` (src/core/modalities/image/student.ts ConsistencyOptions):
       * unlabelled images per labelled one, confidence threshold, loss weight.
       */
      consistency?: { ratio: number; threshold: number; weight: number };
    };
    result: { epochs: number; seconds: number; itemsPerSecond: number; finalLoss: number; maskRate?: number };
  };
  /** Logits (n × classes) of a network saved by `finetune` for the n images of `data`. */
  finetuneLogits: {
    params: { checkpointDir: string; data: ImageData };
    result: { logits: Float32Array; nClasses: number };
  };
  /** Which rows a student network trains on and which human labels calibrate it (src/core/train/selfTraining.ts). */
  studentPlan: {
    params: { train: TrainSet & { holdout: Uint8Array }; teacher: Float32Array; n: number; nClasses: number; seed: number };
    result: StudentPlan;
  };
  /** Temperature fitted on held-out rows of logits, and the calibrated probabilities of every row. */
  calibrateLogits: {
    params: { logits: Float32Array; n: number; nClasses: number; calRows: Int32Array; calY: Int32Array; temperature?: number };
    result: { probs: Float32Array; temperature: number; accuracy?: number };
  };
  /**
   * The pixel candidate (src/core/modalities/image/pixels.ts): PCA of the raw pixels + logistic regression on the
   * human labels in `train`, cross-validated; its state and calibrated probabilities for every image of `data`.
   */
  fitPixels: {
    params: { data: ImageData; train: TrainSet; nClasses: number; seed: number };
    result: { state: PixelState; probs: Float32Array };
  };
  predictPixels: {
    params: { state: PixelState; data: ImageData };
    result: { probs: Float32Array };
  };
  predict: {
    params: { state: ClassifierState; X: SharedArrayBuffer; n: number; dim: number };
    result: { probs: Float32Array; oof?: { index: Int32Array; probs: Float32Array } };
  };
  /** The embedding map's first layout: the n rows of X on their two principal components, n × 2 in [-1, 1]. */
  mapPca: {
    params: { X: SharedArrayBuffer; n: number; dim: number; seed: number };
    result: { xy: Float32Array };
  };
  /** The embedding map's UMAP layout from the items' kNN graph, started from `init` (n × 2), n × 2 in [-1, 1]. */
  mapUmap: {
    params: { graph: GraphData; init?: Float32Array; seed: number; epochs?: number };
    result: { xy: Float32Array };
  };
};
export type JobName = keyof JobTypes;
/** The jobs every modality goes through (served by src/worker/jobs.ts); the others are the modalities' own. */
export type CoreJobName = Exclude<JobName, OwnJobName>;
/** Every job a modality says it owns (src/protocol/modalities.ts) is typed here. */
export const OWN_JOBS_ARE_TYPED: [OwnJobName] extends [JobName] ? true : 'a modality owns a job JobTypes does not type' = true;
export type JobParams<K extends JobName> = JobTypes[K]['params'];
export type JobResult<K extends JobName> = JobTypes[K]['result'];

/** A set of jobs, name → params → result: the product's (JobTypes) or a test's own. */
export type JobMap = { [name: string]: { params: unknown; result: unknown } };

export interface JobRunOptions {
  signal?: AbortSignal;
  onProgress?: (p: Progress) => void;
  /** ArrayBuffers (etc.) in the params to move to the worker instead of copying. */
  transfer?: readonly TransferListItem[];
  /** Run on this worker (index modulo the runner's size), e.g. to keep a model's state on one thread. */
  worker?: number;
}

/**
 * What the engine is given to run its heavy work: typed end to end, no casts. The CLI, the bench and the extension
 * pass the worker pool (src/worker/pool.ts); the engine never imports it.
 */
export interface JobRunner<J extends JobMap = JobTypes> {
  /** Number of jobs that can run at once (worker threads). */
  readonly size: number;
  /** Starts the workers; resolves with the tfjs backend that loaded. */
  start(): Promise<{ name: string }>;
  run<K extends keyof J & string>(job: K, params: J[K]['params'], opts?: JobRunOptions): Promise<J[K]['result']>;
  dispose(): Promise<void>;
}

/** What a job handler gets besides its params (inside the worker thread). */
export interface JobContext {
  signal: AbortSignal;
  progress(p: Progress): void;
  backend: string;
}

/** Runs one job, `{params, result}`, inside a worker; returns its result and what to transfer instead of copy. */
export type JobHandler<E extends { params: unknown; result: unknown }> = (
  params: E['params'],
  ctx: JobContext,
) => Promise<{ result: E['result']; transfer?: TransferListItem[] }>;

/** One handler for every job of J: a registry typed this way cannot miss a job or return the wrong result. */
export type JobHandlers<J extends JobMap> = { [K in keyof J]: JobHandler<J[K]> };

/** Makes the job runner for a project's settings (called once, when the first job is needed). */
export type JobRunnerFactory = (o: { size: number; backend: 'auto' | 'tensorflow' | 'wasm' | 'cpu' }) => JobRunner;

export type ClassifierHead = 'spread' | 'linear';

/** A kNN graph: n × k neighbour rows (most similar first) and their similarities. */
export interface GraphData {
  n: number;
  k: number;
  idx: Int32Array;
  sim: Float32Array;
}
