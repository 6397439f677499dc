/**
 * The engine's jobs as they cross the thread boundary: name → params → result. The envelope (run / progress /
 * result / error / cancel) is in ./worker.ts; this file types what is inside it. Project (src/core/project.ts) sends
 * these, src/worker/jobs.ts runs them. Large arrays travel as SharedArrayBuffer (shared, not copied) or are
 * transferred.
 */
import type { Item, Modality } from '../core/types';

export interface ImageData {
  kind: 'image';
  /** n × size × size × channels bytes (HWC, 0..255). */
  pixels: SharedArrayBuffer;
  n: number;
  size: number;
  channels: 1 | 3;
}
export interface TextData {
  kind: 'text';
  texts: string[];
}
export type JobData = ImageData | TextData;

export interface PretrainStats {
  task: string;
  epochs: number;
  seconds: number;
  itemsPerSecond: number;
  finalLoss: number;
}

export interface JobTypes {
  /** Decode image items (checked against their content hash) into rows offset.. of `out`. */
  decodeImages: {
    params: { root: string; items: Item[]; size: number; channels: 1 | 3; out: SharedArrayBuffer; offset: number };
    result: { failed: { index: number; reason: string }[] };
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
      /** holdout[k] = 1 where the label may be held out for calibration (human labels only). */
      train: { index: Int32Array; y: Int32Array; weight: Float32Array; holdout?: Uint8Array };
      nClasses: number;
      seed: number;
      /**
       * 'spread': label spreading over `graph` (the kNN graph of all n rows) + the calibrated classifier on the
       * labels and the spread labels; 'linear' (default): the calibrated classifier on the labels alone.
       */
      head?: ClassifierHead;
      graph?: GraphData;
    };
    result: unknown;
  };
  graph: {
    /** The k-nearest-neighbour graph (cosine) of the n rows of X, for label spreading. */
    params: { X: SharedArrayBuffer; n: number; dim: number; k: number };
    result: GraphData;
  };
  /** The text head (src/core/text/head.ts): fitted on the texts of every pool item (labelled or not). */
  fitText: {
    params: {
      texts: string[];
      train: { index: Int32Array; y: Int32Array; weight: Float32Array; holdout?: Uint8Array };
      nClasses: number;
      seed: number;
    };
    result: unknown;
  };
  predictText: {
    params: { state: unknown; texts: string[] };
    result: { probs: Float32Array };
  };
  /**
   * Fine-tunes a copy of a pretrained image encoder end to end with a softmax head (src/core/train/student.ts) on
   * train.index rows of `data`, saving it in checkpointDir.
   */
  finetune: {
    params: {
      data: ImageData;
      train: { index: Int32Array; y: Int32Array; weight: Float32Array };
      nClasses: number;
      epochs: number;
      seed: number;
      initFrom: string;
      checkpointDir: string;
    };
    result: { epochs: number; seconds: number; itemsPerSecond: number; finalLoss: number };
  };
  /** Logits (n × classes) of a network saved by `finetune` for the n images of `data`. */
  finetuneLogits: {
    params: { checkpointDir: string; data: ImageData };
    result: { logits: Float32Array; nClasses: number };
  };
  predict: {
    params: { state: unknown; X: SharedArrayBuffer; n: number; dim: number };
    result: { probs: Float32Array; oof?: { index: Int32Array; probs: Float32Array } };
  };
}
export type JobName = keyof JobTypes;

export type ClassifierHead = 'spread' | 'linear';

/** A kNN graph: n × k neighbour rows (most similar first) and their similarities. */
export interface GraphData {
  n: number;
  k: number;
  idx: Int32Array;
  sim: Float32Array;
}
