/**
 * What training leaves on disk under .selflabel/models, read back on open: the classifier (classifier.json), the
 * predictions for every pool item (predictions.bin + meta), the proposals (proposals.json), the rounds so far
 * (history.json) and the items it asked a person to label because the model doubted them (asked.json). All of it can
 * be deleted and rebuilt; the label journal is the only source of truth.
 */
import type { WorkspacePaths } from '../paths';
import type { ProposalSet, RoundRecord } from './types';
import type { FinetuneRecord } from '../modalities/image/finetune';
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
  memo?: { key: string; head: string; chosen?: unknown };
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

  /**
   * The items `suggest` handed out for their doubt (uncertainty picks, not the diverse seeds). Their human labels are
   * not a sample of the pool: a model is wrong on far more of them than on the pool's, so they do not judge whether it
   * is strong enough for EM's pool priors (training.ts). A missing or malformed file: none.
   */
  async askedItems(): Promise<Set<string>> {
    const f = await readJson<{ items?: unknown }>(this.paths.asked).catch(() => undefined);
    const items = Array.isArray(f?.items) ? f.items.filter((x): x is string => typeof x === 'string') : [];
    return new Set(items);
  }

  /** Adds items to asked.json (written only when one is new). */
  async addAsked(ids: readonly string[]): Promise<void> {
    if (!ids.length) return;
    const known = await this.askedItems();
    const fresh = ids.filter((id) => !known.has(id));
    if (!fresh.length) return;
    await writeJson(this.paths.asked, { version: 1, items: [...known, ...fresh] });
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
