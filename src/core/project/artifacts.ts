/**
 * What training leaves on disk under .selflabel/models, read back on open: the classifier (classifier.json), the
 * predictions for every pool item (predictions.bin + meta), the proposals (proposals.json) and the rounds so far
 * (history.json). All of it can be deleted and rebuilt; the label journal is the only source of truth.
 */
import type { WorkspacePaths } from '../paths';
import type { ProposalSet, RoundRecord } from './types';
import type { FinetuneRecord } from '../modalities/image/finetune';
import type { StudentRecord } from '../train/student';
import { readArrayFile, readJson, writeArrayFile, writeJson } from '../util/files';
import { argmaxRow } from '../util/math';
import { ProjectError } from './errors';

export interface ClassifierFile {
  version: string;
  backend?: string;
  time: string;
  classes: string[];
  tasks: string[];
  dim: number;
  estimatedAccuracy?: number;
  /** The head's saved state: an embedding head's, or the modality's own head's. */
  state: unknown;
  /** Present when the predictions come from fine-tuned networks (then `state` is the classifier that taught them). */
  finetuned?: FinetuneRecord;
  /**
   * What the model was trained from (training.ts trainKey) and what the train reported: a train with the same key
   * (the same encoders, pool, human labels and settings; the accepted proposals do not reach these models) reuses
   * this model and its predictions instead of fitting the same thing again.
   */
  memo?: {
    key: string;
    head: string;
    chosen?: unknown;
    /** What the student learnt from (training.ts studentKey); absent when there was none. */
    studentKey?: string;
    /**
     * The model before its student and the class priors (the teacher), so that a train whose only change is the
     * accepted labels trains a new student on it instead of fitting it again; its pool probabilities are in
     * teacher.bin.
     */
    teacher?: TeacherMemo;
  };
  /** The noisy student (src/core/train/student.ts): when `kept`, its mean with the teacher predicts. */
  student?: StudentRecord;
}

/** The teacher of a student (ClassifierFile.memo.teacher). */
export interface TeacherMemo {
  chosen: unknown;
  estimatedAccuracy?: number;
  /** The chosen candidate's held-out accuracy. */
  accuracy?: number;
  /** Its out-of-fold probabilities of the human labels, row j × C for pool row rows[j] (4 decimals). */
  rows: number[];
  oof: number[];
}

export interface PredictionsMeta {
  model: string;
  classes: string[];
  ids: string[];
}

export interface Predictions {
  meta: PredictionsMeta;
  probs: Float32Array;
}

export class Artifacts {
  predictions: Predictions | undefined;
  proposalSet: ProposalSet | undefined;

  constructor(private readonly paths: WorkspacePaths) {}

  async load(): Promise<void> {
    const pr = await readJson<ProposalSet>(this.paths.proposals);
    if (pr && Array.isArray(pr.proposals)) this.proposalSet = pr;
    const pred = await readArrayFile<PredictionsMeta>(this.paths.predictions);
    if (pred) {
      const probs = new Float32Array(pred.bytes.buffer.slice(pred.bytes.byteOffset, pred.bytes.byteOffset + pred.bytes.byteLength));
      this.predictions = { meta: pred.meta, probs };
    }
  }

  classifier(): Promise<ClassifierFile | undefined> {
    return readJson<ClassifierFile>(this.paths.classifier);
  }

  async saveModel(cf: ClassifierFile, predictions: Predictions): Promise<void> {
    await writeJson(this.paths.classifier, cf);
    await writeArrayFile(this.paths.predictions, predictions.probs, predictions.meta);
    this.predictions = predictions;
  }

  /** The teacher's pool probabilities (before its student and the class priors), with the key of what it learnt. */
  async saveTeacher(probs: Float32Array, meta: { key: string; ids: string[] }): Promise<void> {
    await writeArrayFile(this.paths.teacher, probs, meta);
  }

  /** The teacher's saved pool probabilities when they are for `key` and these item ids in order, else undefined. */
  async teacher(key: string, ids: string[], nClasses: number): Promise<Float32Array | undefined> {
    const t = await readArrayFile<{ key: string; ids: string[] }>(this.paths.teacher);
    if (!t || t.meta.key !== key || !Array.isArray(t.meta.ids) || t.meta.ids.length !== ids.length) return undefined;
    if (!ids.every((id, i) => t.meta.ids[i] === id) || t.bytes.byteLength !== ids.length * nClasses * 4) return undefined;
    return new Float32Array(t.bytes.buffer.slice(t.bytes.byteOffset, t.bytes.byteOffset + t.bytes.byteLength));
  }

  async saveProposals(set: ProposalSet): Promise<void> {
    this.proposalSet = set;
    await writeJson(this.paths.proposals, set);
  }

  async history(): Promise<RoundRecord[]> {
    return (await readJson<RoundRecord[]>(this.paths.history)) ?? [];
  }

  async saveHistory(h: RoundRecord[]): Promise<void> {
    await writeJson(this.paths.history, h);
  }

  /** Appends a round (numbered after the last) to history.json. */
  async addRound(r: Omit<RoundRecord, 'round'>): Promise<void> {
    const h = await this.history();
    h.push({ round: h.length + 1, ...r });
    await this.saveHistory(h);
  }

  requirePredictions(): Predictions {
    if (!this.predictions) throw new ProjectError('not-trained', 'no trained model yet: run train first');
    return this.predictions;
  }

  /** Row of item `id` in the predictions (`hint`: its row in the pool, the fast path), or undefined. */
  predRow(id: string, hint?: number): number | undefined {
    const p = this.predictions;
    if (!p || !p.meta.ids.length) return undefined;
    if (hint !== undefined && p.meta.ids[hint] === id) return hint;
    const j = p.meta.ids.indexOf(id);
    return j < 0 ? undefined : j;
  }

  /** The model's prediction for the item in row `r` of the predictions. */
  predictionAt(r: number): { label: string; confidence: number } {
    const p = this.requirePredictions();
    const C = p.meta.classes.length;
    const best = argmaxRow(p.probs, r, C);
    return { label: p.meta.classes[best], confidence: p.probs[r * C + best] };
  }
}
