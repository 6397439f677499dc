/**
 * Project: the whole self-labelling loop on one workspace folder — a facade over parts with one job each
 * (src/core/project/): the pool of items (items.ts), the workers (workers.ts), what training leaves on disk
 * (artifacts.ts), the encoders' embeddings (embeddings.ts), pretraining and training (training.ts), proposals and
 * review actions (review.ts), status and the next action (status.ts). It only orchestrates: files are read with async
 * I/O and every heavy computation runs as a job on the runner the caller gives (the worker pool), so the calling
 * thread — the CLI, or the VS Code extension host — never blocks. The label store is the single source of truth;
 * everything under .selflabel/cache and .selflabel/models can be deleted and rebuilt.
 */
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import type { CurrentLabel, Disagreement, Item, LabelEvent, Modality, Proposal, Skipped, Suggestion } from './types';
import type { JobRunnerFactory } from '../protocol/jobs';
import type { StageOptions } from './modalities/types';
import type { PredictedItem, PretrainSummary, ProjectStatus, ProposalSet, ScanSummary, TrainOptions, TrainSummary } from './project/types';
import { DEFAULT_CONFIG, readConfigFile, validateConfig, type ProjectConfig } from './config';
import { workspacePaths, type WorkspacePaths } from './paths';
import { LabelStore, type SchemaChange, type UndoStep, importCsv, importFolders, importParquet, exportLabels } from './store';
import { ensureScanned } from './store/ensureScanned';
import { similar as findSimilar, type SimilarItem } from './project/similar';
import * as map from './project/map';
import { AbortError } from './util/progress';
import { ItemSet } from './project/items';
import { Workers } from './project/workers';
import { Artifacts } from './project/artifacts';
import type { ProjectContext } from './project/context';
import { pretrained } from './project/embeddings';
import * as training from './project/training';
import * as review from './project/review';
import { status } from './project/status';
import { ProjectError } from './project/errors';

export * from './project/types';
export type { UndoStep } from './store';
export { LABEL_ERROR_DEFAULTS, OOF_SOURCES, type LabelErrorOptions, type OofSource } from './project/review';
export type { EmbeddingMap, MapMethod, MapOptions } from './project/map';
export { ProjectError, type ProjectErrorCode } from './project/errors';
export { chooseHead, MIN_LABELS_PER_CLASS } from './project/training';
export { concatEmbeddings } from './project/embeddings';
export { nextStep, SEEDS_PER_CLASS } from './project/nextStep';
export { STUDENT_KEEP as FINETUNE_KEEP } from './train/selfTraining';
export { AbortError };

export interface ProjectDeps {
  /** Makes the job runner (the worker pool) when the first heavy job comes. Without it the project can label, not train. */
  runner?: JobRunnerFactory;
}

export class Project {
  readonly paths: WorkspacePaths;
  readonly warnings: string[] = [];
  private readonly ctx: ProjectContext;
  private busy: string | undefined;

  private constructor(
    readonly root: string,
    readonly config: ProjectConfig,
    readonly store: LabelStore,
    deps: ProjectDeps,
  ) {
    this.paths = workspacePaths(root);
    this.ctx = {
      root,
      config,
      store,
      paths: this.paths,
      items: new ItemSet(this.paths),
      workers: new Workers(config, deps.runner),
      artifacts: new Artifacts(this.paths),
    };
  }

  /** Creates `.selflabel` with the class schema (or updates the classes of an existing one). */
  static async init(root: string, classes: string[], overrides: Partial<ProjectConfig> = {}, deps: ProjectDeps = {}): Promise<Project> {
    const store = await LabelStore.open(root, { create: true });
    await store.setClasses(classes);
    return Project.fromStore(root, store, overrides, deps);
  }

  /** Opens an existing SelfLabel workspace; never trains or scans. */
  static async open(root: string, overrides: Partial<ProjectConfig> = {}, deps: ProjectDeps = {}): Promise<Project> {
    const abs = path.resolve(root);
    const st = await fs.stat(abs).catch(() => undefined);
    if (!st?.isDirectory()) throw new ProjectError('workspace-not-found', `workspace folder not found: ${abs}`);
    const store = await LabelStore.open(abs, { create: false });
    return Project.fromStore(abs, store, overrides, deps);
  }

  private static async fromStore(root: string, store: LabelStore, overrides: Partial<ProjectConfig>, deps: ProjectDeps): Promise<Project> {
    const abs = path.resolve(root);
    const file = await readConfigFile(workspacePaths(abs).config);
    const over = validateConfig(overrides, 'settings');
    const p = new Project(abs, { ...DEFAULT_CONFIG, ...file.config, ...over.config }, store, deps);
    p.warnings.push(...file.problems, ...over.problems, ...store.warnings);
    await p.ctx.items.load();
    await p.ctx.artifacts.load();
    return p;
  }

  /** Runs one long stage at a time; a second one while busy is refused with a clear message. */
  private async exclusive<T>(stage: string, fn: () => Promise<T>): Promise<T> {
    if (this.busy) throw new ProjectError('busy', `cannot ${stage} while ${this.busy} is running (cancel it first)`);
    this.busy = stage;
    try {
      return await fn();
    } finally {
      this.busy = undefined;
    }
  }

  /** The long stage running now, if any. */
  get running(): string | undefined {
    return this.busy;
  }
  /** The tfjs backend the workers loaded (once they started). */
  get backend(): string | undefined {
    return this.ctx.workers.backend;
  }
  /** Stops the worker threads. The project can still be used; workers restart on demand. */
  dispose(): Promise<void> {
    return this.ctx.workers.dispose();
  }

  // ── classes and items
  classes(): string[] {
    return this.store.classes();
  }
  async setClasses(classes: string[], force = false): Promise<void> {
    await this.store.setClasses(classes, { force });
  }
  /**
   * Changes the class schema as one undoable journal batch (LabelStore.changeClasses). A reorder keeps the model (its
   * predictions name classes); any other change needs a train before the model's proposals match the classes again.
   */
  async changeClasses(change: SchemaChange): Promise<{ classes: string[]; moved: number; retrainNeeded: boolean }> {
    const r = await this.store.changeClasses(change);
    const model = await this.ctx.artifacts.classifier();
    return { classes: r.classes, moved: r.events.length, retrainNeeded: Boolean(model) && change.op !== 'reorder' };
  }
  getItems(): readonly Item[] {
    return this.ctx.items.list;
  }
  getItem(id: string): Item | undefined {
    return this.ctx.items.get(id);
  }
  getSkipped(): readonly Skipped[] {
    return this.ctx.items.skipped;
  }
  getModality(): Modality | undefined {
    return this.ctx.items.modality;
  }

  // ── the long stages (one at a time)
  scan(opts: StageOptions = {}): Promise<ScanSummary> {
    return this.exclusive('scan', () => this.ctx.items.scan(this.root, this.config, opts));
  }
  pretrain(opts: Parameters<typeof training.pretrain>[1] = {}): Promise<PretrainSummary> {
    return this.exclusive('pretrain', () => training.pretrain(this.ctx, opts));
  }
  train(opts: TrainOptions = {}): Promise<TrainSummary> {
    return this.exclusive('train', () => training.train(this.ctx, opts));
  }
  /** Which pretext encoders exist, with their epochs. */
  pretrained(): Promise<{ task: string; epochs: number }[]> {
    return pretrained(this.ctx);
  }
  /** Predicts the items of another folder (e.g. a held-out test set) with the current model. */
  predictFolder(dir: string, opts: StageOptions = {}): Promise<PredictedItem[]> {
    return training.predictFolder(this.ctx, dir, opts);
  }

  // ── proposals and active learning
  propose(opts: { threshold?: number; limit?: number } = {}): Promise<ProposalSet> {
    return review.propose(this.ctx, opts);
  }
  pendingProposals(): Proposal[] {
    return review.pendingProposals(this.ctx);
  }
  /** The threshold the current proposal set was made with (undefined before the first `propose`). */
  proposalThreshold(): number | undefined {
    return this.ctx.artifacts.proposalSet?.threshold;
  }
  /** The best candidates under the threshold still unlabelled (see ProposalSet.below). */
  candidatesBelow(): Proposal[] {
    return review.candidatesBelow(this.ctx);
  }
  proposalFor(item: string): Proposal | undefined {
    return this.pendingProposals().find((p) => p.item === item);
  }
  /** Expected precision and count of accepting every pending proposal with confidence ≥ c. */
  previewAcceptAbove(c: number): { count: number; expectedPrecision: number } {
    const ps = this.pendingProposals().filter((p) => p.confidence >= c);
    return { count: ps.length, expectedPrecision: ps.length ? ps.reduce((s, p) => s + p.confidence, 0) / ps.length : 0 };
  }
  predictionFor(item: string): { label: string; confidence: number } | undefined {
    return review.predictionFor(this.ctx, item);
  }
  suggest(k: number): Promise<Suggestion[]> {
    return review.suggest(this.ctx, k);
  }
  /** The items nearest to `item` in embedding space (cosine), most similar first. */
  similar(item: string, count = 10, opts: StageOptions = {}): Promise<SimilarItem[]> {
    return findSimilar(this.ctx, item, count, opts);
  }
  /** The embedding map's 2-D layout of every item (PCA, or UMAP), cached by the embeddings' hash. */
  embeddingMap(opts: map.MapOptions = {}): Promise<map.EmbeddingMap> {
    return map.embeddingMap(this.ctx, opts);
  }
  /** Likely label errors: confident learning (options: review.LabelErrorOptions), or with `threshold` the older confidence rule. */
  disagreements(threshold?: number, options: review.LabelErrorOptions = {}): Promise<Disagreement[]> {
    return review.disagreements(this.ctx, threshold, options);
  }

  // ── review actions (each durable when it returns)
  label(item: string, label: string): Promise<LabelEvent> {
    return review.label(this.ctx, item, label);
  }
  /** Labels many items as one class in one journal batch (the embedding map's "Label all as …"). */
  labelMany(items: string[], label: string): Promise<LabelEvent[]> {
    return map.labelMany(this.ctx, items, label);
  }
  /** Accepts the pending proposals of `items` (and gives the human `labels`) in one journal batch: one undo. */
  accept(items: string[], labels: { item: string; label: string }[] = []): Promise<LabelEvent[]> {
    return review.accept(this.ctx, items, labels);
  }
  /** Accepts every pending proposal with confidence ≥ c. */
  async acceptAbove(c: number): Promise<LabelEvent[]> {
    const items = this.pendingProposals()
      .filter((p) => p.confidence >= c)
      .map((p) => p.item);
    return items.length ? this.accept(items) : [];
  }
  reject(item: string): Promise<LabelEvent> {
    return review.reject(this.ctx, item);
  }
  correct(item: string, label: string): Promise<LabelEvent> {
    return review.correct(this.ctx, item, label);
  }
  removeLabel(item: string): Promise<LabelEvent> {
    return this.store.record({ item, label: null, source: 'removed' });
  }
  /** Undoes the last step: one label, or a whole batch (a bulk label, an accept of many, a class change). */
  async undo(): Promise<UndoStep | undefined> {
    await this.store.refresh();
    return this.store.undo();
  }
  /** Re-applies the last undone step, when nothing was done since. */
  async redo(): Promise<UndoStep | undefined> {
    await this.store.refresh();
    return this.store.redo();
  }
  labelOf(item: string): CurrentLabel | undefined {
    return review.labelOf(this.ctx, item);
  }

  // ── status, import, export
  status(): Promise<ProjectStatus> {
    return status(this.ctx, this.warnings);
  }
  async exportLabels(o: {
    format: 'csv' | 'jsonl' | 'folders' | 'parquet';
    out: string;
    includeProposals?: boolean;
  }): Promise<{ written: number }> {
    await this.store.refresh();
    const items = this.ctx.items.list;
    return exportLabels(this.store, {
      format: o.format,
      out: o.out,
      root: this.root,
      items: items.length ? [...items] : undefined,
      textField: this.config.textField,
      proposals: o.includeProposals ? this.pendingProposals() : undefined,
    });
  }
  async importLabels(
    file: string,
    opts: { addClasses?: boolean } = {},
  ): Promise<{ imported: number; skipped: { row: number; reason: string }[] }> {
    await ensureScanned(this);
    const st = await fs.stat(file).catch(() => undefined);
    if (st?.isDirectory())
      return importFolders(this.store, file, { root: this.root, items: [...this.ctx.items.list], addClasses: opts.addClasses });
    if (/\.parquet$/i.test(file))
      return importParquet(this.store, file, { knownItems: new Set(this.ctx.items.ids()), addClasses: opts.addClasses });
    return importCsv(this.store, file, {
      knownItems: new Set(this.ctx.items.ids()),
      addClasses: opts.addClasses,
    });
  }
}
