/**
 * Project: the whole self-labelling loop on one workspace folder — scan, self-supervised pretraining, fine-tuning,
 * calibrated proposals, review actions, active learning, retraining. It only orchestrates: files are read with async
 * I/O and every heavy computation (image decoding, pretraining, embedding, fitting) runs as a job on the worker pool,
 * so the calling thread (the CLI, or the VS Code extension host) never blocks. The label store is the single source
 * of truth; everything else under .selflabel/cache and .selflabel/models can be deleted and rebuilt.
 */
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import type { TransferListItem } from 'node:worker_threads';
import { createHash } from 'node:crypto';
import type {
  CurrentLabel,
  Disagreement,
  Item,
  LabelEvent,
  Modality,
  Progress,
  Proposal,
  Skipped,
  Suggestion,
} from './types';
import { DEFAULT_CONFIG, SPREAD_MIN_ITEMS_PER_CLASS, readConfigFile, validateConfig, type ProjectConfig } from './config';
import { workspacePaths, type WorkspacePaths } from './paths';
import { readArrayFile, readJson, writeArrayFile, writeJson } from './util/files';
import { AbortError, combineProgress, throwIfAborted } from './util/progress';
import { scanWorkspace, loadTexts } from './dataset';
import { LabelStore, importCsv, exportLabels, itemIdProblem } from './store';
import { ensureScanned } from './store/ensureScanned';
import { shortId } from './store/itemId';
import { proposeLabels, suggestForLabelling, findDisagreements } from './proposals';
import { WorkerPool } from '../worker/pool';
import { isTextHeadState } from './text/state';
import type { ClassifierHead, GraphData, ImageData, JobData, JobName, JobTypes, PretrainStats } from '../protocol/jobs';
import { Rng } from './models/random';
import { stratifiedFolds } from './train/crossval';
import { fitTemperature, softmaxRows } from './train/calibration';

export interface StageOptions {
  signal?: AbortSignal;
  onProgress?: (p: Progress) => void;
}

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
  /** Items processed per second, summed over the parallel workers. */
  itemsPerSecond: number;
}

export interface TrainSummary {
  model: string;
  backend: string;
  labelled: number;
  pseudoLabelled: number;
  /**
   * The classifier head used: 'spread' (label spreading over the kNN graph + classifier), 'linear', or 'lexical'
   * (text items: the text head on the documents' own words and fields, src/core/text/head.ts).
   */
  head: ClassifierHead | 'lexical';
  /** Out-of-fold accuracy on human labels; undefined with too few labels. */
  estimatedAccuracy?: number;
  /** Set when the encoder was fine-tuned and its networks made the predictions. */
  finetuned?: FinetuneRecord;
  seconds: { embed: number; fit: number; predict: number; finetune: number };
}

export interface ProposalSet {
  model: string;
  threshold: number;
  proposals: Proposal[];
  /** Mean calibrated confidence of the proposals: the precision a reviewer should expect. */
  expectedPrecision: number;
  time: string;
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
  nextAction: string;
  warnings: string[];
}

export interface PredictedItem {
  id: string;
  label: string;
  confidence: number;
}

interface ItemsFile {
  version: 1;
  modality?: Modality;
  items: Item[];
  skipped: Skipped[];
}

interface ClassifierFile {
  version: string;
  backend?: string;
  time: string;
  classes: string[];
  tasks: string[];
  dim: number;
  estimatedAccuracy?: number;
  state: unknown;
  /** Present when the predictions come from fine-tuned networks (then `state` is the classifier that taught them). */
  finetuned?: FinetuneRecord;
}

/** What a fine-tuning (Project.train with finetune) made: see Project.finetuneNetworks. */
export interface FinetuneRecord {
  /** Checkpoint folders under .selflabel/models, averaged. */
  networks: string[];
  initFrom: string | null;
  epochs: number;
  temperature: number;
  trainedOn: { labels: number; pseudo: number };
  calibrationItems: number;
  estimatedAccuracy?: number;
  itemsPerSecond: number;
  seconds: number;
}

export interface TrainOptions extends StageOptions {
  /** Also fine-tune the image encoder end to end (default: the `finetune` setting). */
  finetune?: boolean;
}

/** Share of the unlabelled items, most confident first, the fine-tuned networks learn from. */
export const FINETUNE_KEEP = 0.9;

interface PredictionsMeta {
  model: string;
  classes: string[];
  ids: string[];
}

/** Neighbours per item in the label-spreading graph. */
const GRAPH_K = 20;

const TASKS: Record<Modality, string[]> = { image: ['simclr', 'rotation'], text: ['masked', 'contrastive'] };
/** Fewest human labels per class before fine-tuning makes sense. */
export const MIN_LABELS_PER_CLASS = 1;

export class ProjectError extends Error {
  override name = 'ProjectError';
}

export class Project {
  readonly paths: WorkspacePaths;
  private items: Item[] = [];
  private index = new Map<string, number>();
  private skipped: Skipped[] = [];
  private modality: Modality | undefined;
  private pool: WorkerPool | undefined;
  private poolStart: Promise<string> | undefined;
  private backendName: string | undefined;
  private busy: string | undefined;
  private predictions: { meta: PredictionsMeta; probs: Float32Array } | undefined;
  private proposalSet: ProposalSet | undefined;
  readonly warnings: string[] = [];

  private constructor(
    readonly root: string,
    readonly config: ProjectConfig,
    readonly store: LabelStore,
  ) {
    this.paths = workspacePaths(root);
  }

  /** Creates `.selflabel` with the class schema (or updates the classes of an existing one). */
  static async init(root: string, classes: string[], overrides: Partial<ProjectConfig> = {}): Promise<Project> {
    const store = await LabelStore.open(root, { create: true });
    await store.setClasses(classes);
    return Project.fromStore(root, store, overrides);
  }

  /** Opens an existing SelfLabel workspace; never trains or scans. */
  static async open(root: string, overrides: Partial<ProjectConfig> = {}): Promise<Project> {
    const abs = path.resolve(root);
    const st = await fs.stat(abs).catch(() => undefined);
    if (!st?.isDirectory()) throw new ProjectError(`workspace folder not found: ${abs}`);
    const store = await LabelStore.open(abs, { create: false });
    return Project.fromStore(abs, store, overrides);
  }

  private static async fromStore(root: string, store: LabelStore, overrides: Partial<ProjectConfig>): Promise<Project> {
    const abs = path.resolve(root);
    const paths = workspacePaths(abs);
    const file = await readConfigFile(paths.config);
    const over = validateConfig(overrides, 'settings');
    const p = new Project(abs, { ...DEFAULT_CONFIG, ...file.config, ...over.config }, store);
    p.warnings.push(...file.problems, ...over.problems, ...store.warnings);
    await p.loadState();
    return p;
  }

  private async loadState(): Promise<void> {
    const f = await readJson<ItemsFile>(this.paths.items);
    if (f?.version === 1 && Array.isArray(f.items)) this.setItems(f.items, f.skipped ?? [], f.modality);
    const pr = await readJson<ProposalSet>(this.paths.proposals);
    if (pr && Array.isArray(pr.proposals)) this.proposalSet = pr;
    const pred = await readArrayFile<PredictionsMeta>(this.paths.predictions);
    if (pred) {
      const probs = new Float32Array(pred.bytes.buffer.slice(pred.bytes.byteOffset, pred.bytes.byteOffset + pred.bytes.byteLength));
      this.predictions = { meta: pred.meta, probs };
    }
  }

  private setItems(items: Item[], skipped: Skipped[], modality: Modality | undefined): void {
    this.items = items;
    this.skipped = skipped;
    this.modality = modality;
    this.index = new Map(items.map((it, i) => [it.id, i]));
  }

  classes(): string[] {
    return this.store.classes();
  }

  async setClasses(classes: string[], force = false): Promise<void> {
    await this.store.setClasses(classes, { force });
  }

  getItems(): readonly Item[] {
    return this.items;
  }

  getItem(id: string): Item | undefined {
    const i = this.index.get(id);
    return i === undefined ? undefined : this.items[i];
  }

  getSkipped(): readonly Skipped[] {
    return this.skipped;
  }

  getModality(): Modality | undefined {
    return this.modality;
  }

  get backend(): string | undefined {
    return this.backendName;
  }

  /** Runs one long stage at a time; a second one while busy is refused with a clear message. */
  private async exclusive<T>(stage: string, fn: () => Promise<T>): Promise<T> {
    if (this.busy) throw new ProjectError(`cannot ${stage} while ${this.busy} is running (cancel it first)`);
    this.busy = stage;
    try {
      return await fn();
    } finally {
      this.busy = undefined;
    }
  }

  get running(): string | undefined {
    return this.busy;
  }

  // ───────────────────────────── scan ─────────────────────────────

  async scan(opts: StageOptions = {}): Promise<ScanSummary> {
    return this.exclusive('scan', async () => {
      const res = await scanWorkspace(this.root, {
        include: this.config.include.length ? this.config.include : undefined,
        exclude: this.config.exclude,
        textField: this.config.textField,
        signal: opts.signal,
        onProgress: opts.onProgress,
        cacheFile: this.paths.scanCache,
      });
      const byModality: Record<Modality, number> = { image: 0, text: 0 };
      for (const it of res.items) byModality[it.modality]++;
      let modality: Modality | undefined =
        this.config.modality !== 'auto'
          ? this.config.modality
          : byModality.image + byModality.text === 0
            ? undefined
            : byModality.image >= byModality.text
              ? 'image'
              : 'text';
      const items = modality ? res.items.filter((it) => it.modality === modality) : [];
      const skipped = [...res.skipped];
      if (modality) {
        const other = res.items.length - items.length;
        if (other > 0) {
          skipped.push({
            path: '*',
            reason: `${other} ${modality === 'image' ? 'text' : 'image'} item(s) ignored: this workspace labels ${modality}s (setting "modality")`,
          });
        }
      } else {
        modality = undefined;
      }
      this.setItems(items, skipped, modality);
      await writeJson(this.paths.items, { version: 1, modality, items, skipped } satisfies ItemsFile);
      return { items: items.length, skipped, modality, byModality, filesSeen: res.filesSeen, seconds: res.seconds };
    });
  }

  private requireItems(): Modality {
    if (!this.modality || this.items.length === 0) {
      throw new ProjectError('no items to work on: run scan first (and check the include/exclude settings)');
    }
    return this.modality;
  }

  // ───────────────────────────── workers ─────────────────────────────

  private async getPool(): Promise<WorkerPool> {
    if (!this.pool) {
      this.pool = new WorkerPool({ size: this.config.workers, backend: this.config.backend });
      this.poolStart = this.pool.start().then((b) => {
        this.backendName = b.name;
        return b.name;
      });
    }
    await this.poolStart;
    return this.pool;
  }

  private async job<K extends JobName>(
    name: K,
    params: JobTypes[K]['params'],
    opts: StageOptions & { worker?: number; transfer?: TransferListItem[] } = {},
  ): Promise<JobTypes[K]['result']> {
    const pool = await this.getPool();
    return pool.run<JobTypes[K]['result']>(name, params, {
      signal: opts.signal,
      onProgress: opts.onProgress,
      worker: opts.worker,
      transfer: opts.transfer,
    });
  }

  /** Stops the worker threads. The project can still be used; workers restart on demand. */
  async dispose(): Promise<void> {
    const pool = this.pool;
    this.pool = undefined;
    this.poolStart = undefined;
    if (pool) await pool.dispose();
  }

  // ───────────────────────────── data for the models ─────────────────────────────

  private imageGeometry(): { size: number; channels: 1 | 3 } {
    let size = this.config.imageSize === 'auto' ? 32 : this.config.imageSize;
    if (this.config.imageSize === 'auto') {
      const sides = this.items
        .map((it) => (it as Item & { width?: number }).width)
        .filter((w): w is number => typeof w === 'number')
        .sort((a, b) => a - b);
      if (sides.length) size = Math.min(32, Math.max(8, sides[Math.floor(sides.length / 2)]));
    }
    let channels: 1 | 3 = this.config.channels === 'auto' ? 1 : this.config.channels;
    if (this.config.channels === 'auto') {
      const ch = this.items.map((it) => (it as Item & { channels?: number }).channels);
      channels = ch.some((c) => c === 3 || c === 4) ? 3 : 1;
    }
    return { size, channels };
  }

  /**
   * Pixels of `items` as one SharedArrayBuffer, decoded in the workers and cached by content hash in
   * .selflabel/cache. Items that fail to decode are reported in `failed` (their rows stay zero).
   */
  private async loadPixels(
    root: string,
    items: readonly Item[],
    opts: StageOptions & { cache: boolean },
  ): Promise<{ data: JobData & { kind: 'image' }; failed: { id: string; reason: string }[] }> {
    const { size, channels } = this.imageGeometry();
    const per = size * size * channels;
    const n = items.length;
    const sab = new SharedArrayBuffer(Math.max(1, n * per));
    const out = new Uint8Array(sab);
    const base = this.paths.pixels(size, channels);
    const missing: number[] = [];
    if (opts.cache) {
      const cached = await readArrayFile<{ hashes: string[]; per: number }>(base);
      const rowOf = new Map<string, number>();
      if (cached && cached.meta.per === per) cached.meta.hashes.forEach((h, i) => rowOf.set(h, i));
      // This runs on the extension host's thread: copy in slices and let other events in between (10,200 digits
      // took 40–145 ms in one go at load 10).
      for (let i = 0; i < n; i++) {
        if (i % 5000 === 4999) await new Promise<void>((r) => setImmediate(r));
        const r = rowOf.get(items[i].hash);
        if (r !== undefined && cached) out.set(cached.bytes.subarray(r * per, (r + 1) * per), i * per);
        else missing.push(i);
      }
    } else {
      for (let i = 0; i < n; i++) missing.push(i);
    }
    const failed: { id: string; reason: string }[] = [];
    if (missing.length) {
      // Decode the missing rows in contiguous scratch space, split across the workers.
      const scratch = new SharedArrayBuffer(missing.length * per);
      const parts = Math.min(this.config.workers, Math.max(1, Math.ceil(missing.length / 256)));
      const chunk = Math.ceil(missing.length / parts);
      const merge = combineProgress('embed', parts, opts.onProgress);
      const jobs = [];
      for (let p = 0; p < parts; p++) {
        const slice = missing.slice(p * chunk, (p + 1) * chunk);
        if (!slice.length) continue;
        jobs.push(
          this.job(
            'decodeImages',
            { root, items: slice.map((i) => items[i]), size, channels, out: scratch, offset: p * chunk },
            { signal: opts.signal, worker: p, onProgress: merge(p) },
          ).then((r) => {
            for (const f of r.failed) failed.push({ id: items[slice[f.index]].id, reason: f.reason });
          }),
        );
      }
      await Promise.all(jobs);
      const src = new Uint8Array(scratch);
      missing.forEach((i, k) => out.set(src.subarray(k * per, (k + 1) * per), i * per));
      if (opts.cache && root === this.root) {
        const bad = new Set(failed.map((f) => f.id));
        await writeArrayFile(base, out, { hashes: items.map((it) => (bad.has(it.id) ? '' : it.hash)), per, size, channels });
      }
    }
    return { data: { kind: 'image', pixels: sab, n, size, channels }, failed };
  }

  private async loadTextData(root: string, items: readonly Item[]): Promise<{ data: JobData & { kind: 'text' }; failed: { id: string; reason: string }[] }> {
    const res = await loadTexts(root, items as Item[], { textField: this.config.textField });
    const failed: { id: string; reason: string }[] = [];
    const texts = res.map((t, i) => {
      if (typeof t === 'string') return t;
      failed.push({ id: items[i].id, reason: t.message });
      return '';
    });
    return { data: { kind: 'text', texts }, failed };
  }

  private async loadData(root: string, items: readonly Item[], modality: Modality, opts: StageOptions & { cache: boolean }) {
    return modality === 'image' ? this.loadPixels(root, items, opts) : this.loadTextData(root, items);
  }

  /** Marks items that could not be read as skipped (visible in status), so they are never proposed. */
  private async dropFailed(failed: { id: string; reason: string }[]): Promise<void> {
    if (!failed.length) return;
    const bad = new Set(failed.map((f) => f.id));
    const keep = this.items.filter((it) => !bad.has(it.id));
    const skipped = [
      ...this.skipped,
      ...failed.map((f) => {
        const it = this.getItem(f.id);
        return { path: it?.path ?? f.id, row: it?.row, reason: f.reason };
      }),
    ];
    this.setItems(keep, skipped, this.modality);
    await writeJson(this.paths.items, { version: 1, modality: this.modality, items: keep, skipped } satisfies ItemsFile);
  }

  // ───────────────────────────── pretrain ─────────────────────────────

  /**
   * Self-supervised pretraining on every item, one pretext task per worker in parallel. Resumable: a cancelled run
   * continues from its last checkpoint; `fresh` starts over. `epochs` is the total per task.
   */
  async pretrain(opts: StageOptions & { epochs?: number; fresh?: boolean; maxSeconds?: number } = {}): Promise<PretrainSummary> {
    return this.exclusive('pretrain', async () => {
      const modality = this.requireItems();
      const t0 = Date.now();
      const first = await this.loadData(this.root, this.items, modality, { ...opts, cache: true });
      let data = first.data;
      if (first.failed.length) {
        await this.dropFailed(first.failed);
        data = (await this.loadData(this.root, this.items, modality, { ...opts, cache: true })).data;
      }
      throwIfAborted(opts.signal);
      await this.getPool();
      const tasks = TASKS[modality];
      if (opts.fresh) for (const t of tasks) await fs.rm(this.paths.checkpoint(t), { recursive: true, force: true });
      const merge = combineProgress('pretrain', tasks.length, opts.onProgress);
      const epochs = opts.epochs ?? this.config.pretrainEpochs;
      const maxSeconds = opts.maxSeconds ?? (this.config.pretrainMaxSeconds || undefined);
      const run = (task: string, i: number) =>
        this.job(
          'pretrain',
          {
            modality,
            task,
            data,
            epochs,
            seed: this.config.seed + i,
            checkpointDir: this.paths.checkpoint(task),
            resume: true,
            maxSeconds,
          },
          { signal: opts.signal, onProgress: merge(i), worker: i % this.config.workers },
        );
      let stats: PretrainStats[];
      if (this.config.workers >= tasks.length) {
        stats = await Promise.all(tasks.map(run));
      } else {
        stats = [];
        for (let i = 0; i < tasks.length; i++) stats.push(await run(tasks[i], i));
      }
      const seconds = (Date.now() - t0) / 1000;
      return {
        backend: this.backendName ?? 'unknown',
        modality,
        tasks: stats,
        seconds,
        itemsPerSecond: stats.reduce((s, x) => s + x.itemsPerSecond, 0),
      };
    });
  }

  /** Identifies a pretext encoder's checkpoint: changes whenever it is saved again. */
  private async checkpointVersion(task: string): Promise<string | undefined> {
    const state = await readJson<{ epochsDone?: number; batchInEpoch?: number; savedAt?: string }>(path.join(this.paths.checkpoint(task), 'state.json'));
    if (!state?.savedAt) return undefined;
    return `${task}-e${state.epochsDone ?? 0}.${state.batchInEpoch ?? 0}-${state.savedAt}`;
  }

  /** Which pretext encoders exist, with their epochs. */
  async pretrained(): Promise<{ task: string; epochs: number }[]> {
    const out: { task: string; epochs: number }[] = [];
    for (const task of this.modality ? TASKS[this.modality] : [...TASKS.image, ...TASKS.text]) {
      const state = await readJson<{ epochsDone?: number; savedAt?: string }>(path.join(this.paths.checkpoint(task), 'state.json'));
      if (state?.savedAt) out.push({ task, epochs: state.epochsDone ?? 0 });
    }
    return out;
  }

  // ───────────────────────────── embed ─────────────────────────────

  /**
   * Embeddings of every item: each pretext encoder's embedding (cached by content hash and model version),
   * concatenated. Runs the encoders in parallel on the workers.
   */
  private async embedAll(opts: StageOptions): Promise<{ X: SharedArrayBuffer; dim: number; version: string; tasks: string[] }> {
    const modality = this.requireItems();
    const tasks: string[] = [];
    const versions: string[] = [];
    for (const t of TASKS[modality]) {
      const v = await this.checkpointVersion(t);
      if (v) {
        tasks.push(t);
        versions.push(v);
      }
    }
    if (!tasks.length) throw new ProjectError('no pretrained encoder yet: run pretrain first');
    const n = this.items.length;
    const parts: { emb: Float32Array; dim: number }[] = new Array(tasks.length);
    let dataP: Promise<JobData> | undefined;
    const merge = combineProgress('embed', tasks.length, opts.onProgress);
    await Promise.all(
      tasks.map(async (task, ti) => {
        const base = this.paths.embeddings(task);
        const cached = await readArrayFile<{ version: string; dim: number; hashes: string[] }>(base);
        if (cached && cached.meta.version === versions[ti]) {
          const rowOf = new Map(cached.meta.hashes.map((h, i) => [h, i]));
          const all = new Float32Array(cached.bytes.buffer, cached.bytes.byteOffset, cached.bytes.byteLength / 4);
          const dim = cached.meta.dim;
          const emb = new Float32Array(n * dim);
          let ok = true;
          for (let i = 0; i < n && ok; i++) {
            const r = rowOf.get(this.items[i].hash);
            if (r === undefined) ok = false;
            else emb.set(all.subarray(r * dim, (r + 1) * dim), i * dim);
          }
          if (ok) {
            parts[ti] = { emb, dim };
            return;
          }
        }
        if (!dataP) dataP = this.loadData(this.root, this.items, modality, { ...opts, cache: true }).then((d) => d.data);
        const data = await dataP;
        const r = await this.job(
          'embed',
          { modality, checkpointDir: this.paths.checkpoint(task), data },
          { signal: opts.signal, onProgress: merge(ti), worker: ti % this.config.workers },
        );
        parts[ti] = { emb: r.embeddings, dim: r.dim };
        await writeArrayFile(base, r.embeddings, { version: versions[ti], dim: r.dim, hashes: this.items.map((it) => it.hash) });
      }),
    );
    return { ...concatEmbeddings(parts, n), version: versions.join('+'), tasks };
  }

  /**
   * The items' k-nearest-neighbour graph for label spreading, cached in .selflabel/cache by embedding version and
   * item list (building it costs n² · dim multiply-adds: about a minute for 60,000 items).
   */
  private async knnGraph(X: SharedArrayBuffer, n: number, dim: number, version: string, opts: StageOptions): Promise<GraphData> {
    const base = this.paths.graph(GRAPH_K);
    const key = createHash('sha256').update(version).update(this.items.map((it) => it.hash).join('\n')).digest('hex');
    const cached = await readArrayFile<{ key: string; n: number; k: number }>(base);
    if (cached && cached.meta.key === key && cached.meta.n === n) {
      const { k } = cached.meta;
      const b = cached.bytes;
      if (b.byteLength === n * k * 8) {
        const buf = b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength);
        return { n, k, idx: new Int32Array(buf, 0, n * k), sim: new Float32Array(buf, n * k * 4, n * k) };
      }
    }
    const g = await this.job('graph', { X, n, dim, k: GRAPH_K }, { signal: opts.signal, onProgress: opts.onProgress });
    const bytes = new Uint8Array(g.n * g.k * 8);
    bytes.set(new Uint8Array(g.idx.buffer, g.idx.byteOffset, g.idx.byteLength), 0);
    bytes.set(new Uint8Array(g.sim.buffer, g.sim.byteOffset, g.sim.byteLength), g.n * g.k * 4);
    await writeArrayFile(base, bytes, { key, n: g.n, k: g.k });
    return g;
  }

  // ───────────────────────────── train ─────────────────────────────

  /**
   * Fine-tunes the classifier on human, corrected, imported and accepted labels — plus, when pseudoLabelWeight > 0,
   * on the last round's unreviewed confident proposals with that weight (self-training) — then predicts every item.
   */
  async train(opts: TrainOptions = {}): Promise<TrainSummary> {
    return this.exclusive('train', async () => {
      this.requireItems();
      await this.store.refresh();
      const classes = this.store.classes();
      if (classes.length < 2) throw new ProjectError('set at least two classes first (selflabel init --classes a,b)');
      const t0 = Date.now();
      // Text items with the lexical text head (src/core/text/head.ts) need the texts, not the encoders' embeddings.
      const lexical = this.modality === 'text' && this.config.textModel === 'lexical';
      const texts = lexical ? await this.poolTexts() : undefined;
      const { X, dim, version, tasks } = texts ? { X: new SharedArrayBuffer(4), dim: 0, version: 'lexical', tasks: [] as string[] } : await this.embedAll(opts);
      const t1 = Date.now();
      const n = this.items.length;
      const cls = new Map(classes.map((c, i) => [c, i]));
      const idx: number[] = [];
      const ys: number[] = [];
      const ws: number[] = [];
      const hold: number[] = [];
      const labelledPerClass = new Array(classes.length).fill(0);
      for (const [item, cur] of this.store.current()) {
        const i = this.index.get(item);
        const c = cls.get(cur.label);
        if (i === undefined || c === undefined) continue;
        idx.push(i);
        ys.push(c);
        ws.push(1);
        // Calibrate only on labels a person gave: accepted proposals agree with the model by construction.
        hold.push(cur.source === 'accepted' ? 0 : 1);
        if (cur.source !== 'accepted') labelledPerClass[c]++;
      }
      const missing = classes.filter((_, c) => labelledPerClass[c] < MIN_LABELS_PER_CLASS);
      if (missing.length) {
        throw new ProjectError(`label at least ${MIN_LABELS_PER_CLASS} item(s) of each class first; none yet for: ${missing.join(', ')}`);
      }
      const labelledCount = idx.length;
      let pseudo = 0;
      if (this.config.pseudoLabelWeight > 0 && this.proposalSet) {
        for (const p of this.proposalSet.proposals) {
          const i = this.index.get(p.item);
          const c = cls.get(p.label);
          if (i === undefined || c === undefined || this.store.get(p.item)) continue;
          if (this.store.rejectedLabels(p.item).has(p.label)) continue;
          if (p.confidence < this.config.threshold) continue;
          idx.push(i);
          ys.push(c);
          ws.push(this.config.pseudoLabelWeight);
          hold.push(0);
          pseudo++;
        }
      }
      const train = { index: Int32Array.from(idx), y: Int32Array.from(ys), weight: Float32Array.from(ws), holdout: Uint8Array.from(hold) };
      let state: unknown;
      let head: ClassifierHead | 'lexical' = 'lexical';
      if (texts) {
        state = await this.job('fitText', { texts, train, nClasses: classes.length, seed: this.config.seed }, { signal: opts.signal, onProgress: opts.onProgress });
      } else {
        const embHead = chooseHead(this.config.classifier, n, classes.length);
        head = embHead;
        const graph = embHead === 'spread' ? await this.knnGraph(X, n, dim, version, opts) : undefined;
        state = await this.job('fit', { X, n, dim, train, nClasses: classes.length, seed: this.config.seed, head: embHead, graph }, { signal: opts.signal, onProgress: opts.onProgress });
      }
      const t2 = Date.now();
      const pred = texts
        ? await this.job('predictText', { state, texts }, { signal: opts.signal })
        : await this.job('predict', { state, X, n, dim }, { signal: opts.signal });
      const t3 = Date.now();
      let estimatedAccuracy = (state as { estimatedAccuracy?: number }).estimatedAccuracy;
      const model = `m${createHash('sha256').update(version + JSON.stringify(idx.length) + t0).digest('hex').slice(0, 10)}`;
      let probs = pred.probs;
      let finetuned: FinetuneRecord | undefined;
      if ((opts.finetune ?? this.config.finetune) && this.modality === 'image' && !texts) {
        const ft = await this.finetuneNetworks(model, pred.probs, train, classes.length, opts);
        probs = ft.probs;
        finetuned = ft.record;
        estimatedAccuracy = ft.record.estimatedAccuracy ?? estimatedAccuracy;
      }
      const t4 = Date.now();
      const time = new Date().toISOString();
      await writeJson(this.paths.classifier, { version: model, backend: this.backendName, time, classes, tasks, dim, estimatedAccuracy, state, finetuned } satisfies ClassifierFile);
      await this.removeStaleNetworks(finetuned?.networks ?? []);
      const meta: PredictionsMeta = { model, classes, ids: this.items.map((it) => it.id) };
      await writeArrayFile(this.paths.predictions, probs, meta);
      this.predictions = { meta, probs };
      const history = (await readJson<RoundRecord[]>(this.paths.history)) ?? [];
      history.push({ round: history.length + 1, time, model, labelled: labelledCount, estimatedAccuracy });
      await writeJson(this.paths.history, history);
      return {
        model,
        backend: this.backendName ?? 'unknown',
        labelled: labelledCount,
        pseudoLabelled: pseudo,
        head,
        estimatedAccuracy,
        finetuned,
        seconds: { embed: (t1 - t0) / 1000, fit: (t2 - t1) / 1000, predict: (t3 - t2) / 1000, finetune: (t4 - t3) / 1000 },
      };
    });
  }

  /**
   * Fine-tunes the pretrained image encoder end to end (a "noisy student", src/core/train/student.ts), one network
   * per worker in parallel with different seeds, on the human labels plus the classifier's most confident
   * predictions for the unlabelled items; their averaged logits become the predictions. A stratified fifth of the
   * human labels is held out of the networks' training to fit their temperature and estimate their accuracy, so
   * the confidences stay calibrated. Measured on MNIST (60,000 items, 100 labels): pool accuracy 95.9% → 96.9%.
   */
  private async finetuneNetworks(
    model: string,
    teacher: Float32Array,
    train: { index: Int32Array; y: Int32Array; weight: Float32Array; holdout: Uint8Array },
    C: number,
    opts: StageOptions,
  ): Promise<{ probs: Float32Array; record: FinetuneRecord }> {
    const t0 = Date.now();
    const n = this.items.length;
    const { data, failed } = await this.loadPixels(this.root, this.items, { ...opts, cache: true });
    if (failed.length) throw new ProjectError(`${failed.length} image(s) could not be read since the embeddings were made (e.g. ${failed[0].id}: ${failed[0].reason}); run train again`);
    const init = (await this.pretrained()).find((p) => TASKS.image.includes(p.task))?.task;
    // Calibration items: a stratified fifth of the human labels (none when there are too few to split).
    const human = [...Array(train.index.length).keys()].filter((k) => train.holdout[k] === 1);
    const cal = new Set<number>();
    if (human.length >= 10) {
      const fold = stratifiedFolds(human, train.y, 5, new Rng(this.config.seed + 7));
      human.forEach((k, j) => fold[j] === 0 && cal.add(k));
    }
    const rows: number[] = [];
    const ys: number[] = [];
    const ws: number[] = [];
    const labelled = new Set<number>();
    for (let k = 0; k < train.index.length; k++) {
      labelled.add(train.index[k]);
      if (cal.has(k)) continue;
      rows.push(train.index[k]);
      ys.push(train.y[k]);
      ws.push(train.weight[k]);
    }
    const cand: { i: number; c: number; p: number }[] = [];
    for (let i = 0; i < n; i++) {
      if (labelled.has(i)) continue;
      let best = 0;
      for (let c = 1; c < C; c++) if (teacher[i * C + c] > teacher[i * C + best]) best = c;
      cand.push({ i, c: best, p: teacher[i * C + best] });
    }
    cand.sort((a, b) => b.p - a.p || a.i - b.i);
    const pseudo = cand.slice(0, Math.round(FINETUNE_KEEP * cand.length));
    for (const q of pseudo) {
      rows.push(q.i);
      ys.push(q.c);
      ws.push(1);
    }
    const set = { index: Int32Array.from(rows), y: Int32Array.from(ys), weight: Float32Array.from(ws) };
    const W = Math.max(1, Math.min(2, this.config.workers));
    const networks = Array.from({ length: W }, (_, w) => `finetune-${model}-${w}`);
    const merge = combineProgress('train', W, opts.onProgress);
    const runs = await Promise.all(
      networks.map((name, w) =>
        this.job(
          'finetune',
          {
            data,
            train: set,
            nClasses: C,
            epochs: this.config.finetuneEpochs,
            seed: this.config.seed + 101 + w,
            initFrom: init ? this.paths.checkpoint(init) : '',
            checkpointDir: this.paths.checkpoint(name),
          },
          { signal: opts.signal, onProgress: merge(w), worker: w },
        ),
      ),
    );
    const logits = await this.networkLogits(networks, data, opts);
    const calIdx = [...cal];
    const calLogits = new Float32Array(calIdx.length * C);
    calIdx.forEach((k, j) => calLogits.set(logits.subarray(train.index[k] * C, (train.index[k] + 1) * C), j * C));
    const calY = Int32Array.from(calIdx, (k) => train.y[k]);
    const temperature = calIdx.length ? fitTemperature(calLogits, calY, C, { smoothing: 1 / (calIdx.length + 2) }) : 1;
    let ok = 0;
    calIdx.forEach((_, j) => {
      let best = 0;
      for (let c = 1; c < C; c++) if (calLogits[j * C + c] > calLogits[j * C + best]) best = c;
      if (best === calY[j]) ok++;
    });
    return {
      probs: softmaxRows(logits, n, C, temperature),
      record: {
        networks,
        initFrom: init ?? null,
        epochs: this.config.finetuneEpochs,
        temperature,
        trainedOn: { labels: rows.length - pseudo.length, pseudo: pseudo.length },
        calibrationItems: calIdx.length,
        estimatedAccuracy: calIdx.length ? ok / calIdx.length : undefined,
        itemsPerSecond: runs.reduce((s, r) => s + r.itemsPerSecond, 0),
        seconds: (Date.now() - t0) / 1000,
      },
    };
  }

  /** The fine-tuned networks' averaged logits for the images of `data`. */
  private async networkLogits(networks: string[], data: ImageData, opts: StageOptions): Promise<Float32Array> {
    const outs = await Promise.all(
      networks.map((name, w) => this.job('finetuneLogits', { checkpointDir: this.paths.checkpoint(name), data }, { signal: opts.signal, worker: w % this.config.workers })),
    );
    const avg = new Float32Array(outs[0].logits.length);
    for (const o of outs) for (let q = 0; q < avg.length; q++) avg[q] += o.logits[q] / outs.length;
    return avg;
  }

  /** Deletes fine-tuned networks the classifier file no longer uses. */
  private async removeStaleNetworks(keep: string[]): Promise<void> {
    let names: string[];
    try {
      names = await fs.readdir(this.paths.models);
    } catch {
      return;
    }
    for (const name of names) if (name.startsWith('finetune-') && !keep.includes(name)) await fs.rm(this.paths.checkpoint(name), { recursive: true, force: true });
  }

  // ───────────────────────────── proposals ─────────────────────────────

  private requirePredictions(): { meta: PredictionsMeta; probs: Float32Array } {
    const p = this.predictions;
    if (!p) throw new ProjectError('no trained model yet: run train first');
    return p;
  }

  /** Row of item `id` in the predictions, or undefined (item new since the last train). */
  private predRow(id: string): number | undefined {
    const p = this.predictions;
    if (!p) return undefined;
    if (!p.meta.ids.length) return undefined;
    // Fast path: the predictions were made for the current item list.
    const i = this.index.get(id);
    if (i !== undefined && p.meta.ids[i] === id) return i;
    const j = p.meta.ids.indexOf(id);
    return j < 0 ? undefined : j;
  }

  /** Proposes labels for unlabelled items with calibrated confidence ≥ threshold, most confident first. */
  async propose(opts: { threshold?: number; limit?: number } = {}): Promise<ProposalSet> {
    const pred = this.requirePredictions();
    await this.store.refresh();
    const classes = pred.meta.classes;
    const C = classes.length;
    const threshold = opts.threshold ?? this.config.threshold;
    const rows: number[] = [];
    const ids: string[] = [];
    for (let r = 0; r < pred.meta.ids.length; r++) {
      const id = pred.meta.ids[r];
      if (!this.index.has(id) || this.store.get(id)) continue;
      rows.push(r);
      ids.push(id);
    }
    const res = proposeLabels({
      probs: pred.probs,
      n: pred.meta.ids.length,
      nClasses: C,
      classes,
      candidates: Int32Array.from(rows),
      threshold,
      rejected: (r: number) => this.store.rejectedLabels(pred.meta.ids[r]),
      limit: opts.limit,
    });
    const proposals: Proposal[] = res.proposals.map((p) => ({
      item: pred.meta.ids[p.index],
      label: p.label,
      confidence: p.confidence,
      alternatives: p.alternatives,
      model: pred.meta.model,
    }));
    const set: ProposalSet = { model: pred.meta.model, threshold, proposals, expectedPrecision: res.expectedPrecision, time: new Date().toISOString() };
    this.proposalSet = set;
    await writeJson(this.paths.proposals, set);
    const history = (await readJson<RoundRecord[]>(this.paths.history)) ?? [];
    const last = history[history.length - 1];
    if (last && last.model === set.model) {
      last.proposals = proposals.length;
      last.expectedPrecision = set.expectedPrecision;
      await writeJson(this.paths.history, history);
    }
    return set;
  }

  /** The current proposals still waiting for review (labelled items are filtered out). */
  pendingProposals(): Proposal[] {
    if (!this.proposalSet) return [];
    return this.proposalSet.proposals.filter((p) => !this.store.get(p.item) && !this.store.rejectedLabels(p.item).has(p.label));
  }

  proposalFor(item: string): Proposal | undefined {
    return this.pendingProposals().find((p) => p.item === item);
  }

  /** Expected precision and count of accepting every pending proposal with confidence ≥ c. */
  previewAcceptAbove(c: number): { count: number; expectedPrecision: number } {
    const ps = this.pendingProposals().filter((p) => p.confidence >= c);
    const expectedPrecision = ps.length ? ps.reduce((s, p) => s + p.confidence, 0) / ps.length : 0;
    return { count: ps.length, expectedPrecision };
  }

  /** The model's prediction for any item (labelled or not), when a model exists. */
  predictionFor(item: string): { label: string; confidence: number } | undefined {
    const r = this.predRow(item);
    const p = this.predictions;
    if (r === undefined || !p) return undefined;
    const C = p.meta.classes.length;
    let best = 0;
    for (let c = 1; c < C; c++) if (p.probs[r * C + c] > p.probs[r * C + best]) best = c;
    return { label: p.meta.classes[best], confidence: p.probs[r * C + best] };
  }

  /** Items worth a human label: the most uncertain ones, or diverse seeds before a model exists. */
  async suggest(k: number): Promise<Suggestion[]> {
    this.requireItems();
    await this.store.refresh();
    const candidates: number[] = [];
    for (let i = 0; i < this.items.length; i++) if (!this.store.get(this.items[i].id)) candidates.push(i);
    if (!candidates.length) return [];
    const p = this.predictions;
    let X: Float32Array | undefined;
    let dim = 0;
    try {
      const e = await this.embedAll({});
      X = new Float32Array(e.X);
      dim = e.dim;
    } catch {
      X = undefined;
    }
    let probs: Float32Array | undefined;
    if (p && p.meta.ids.length === this.items.length && p.meta.ids.every((id, i) => id === this.items[i].id)) probs = p.probs;
    if (!X && !probs) {
      // Nothing learned yet: spread the picks evenly over the items (stable, seeded).
      const step = Math.max(1, Math.floor(candidates.length / k));
      return candidates
        .filter((_, j) => j % step === 0)
        .slice(0, k)
        .map((i) => ({ item: this.items[i].id, score: 1, reason: 'diverse' as const }));
    }
    const picks = suggestForLabelling({
      probs,
      nClasses: p?.meta.classes.length ?? this.store.classes().length,
      X: X ?? new Float32Array(0),
      n: this.items.length,
      dim,
      candidates: Int32Array.from(candidates),
      k,
      seed: this.config.seed,
    });
    return picks.map((s) => {
      const pr = this.predictionFor(this.items[s.index].id);
      return {
        item: this.items[s.index].id,
        score: s.score,
        reason: s.reason,
        predicted: pr?.label,
        confidence: pr?.confidence,
      };
    });
  }

  /** Human labels that the model (trained without them, out-of-fold) strongly disagrees with. */
  async disagreements(threshold = 0.9): Promise<Disagreement[]> {
    const p = this.requirePredictions();
    await this.store.refresh();
    const humans: { item: string; label: string; row: number }[] = [];
    for (const [item, cur] of this.store.current()) {
      if (cur.source === 'accepted') continue;
      const r = this.predRow(item);
      if (r !== undefined) humans.push({ item, label: cur.label, row: r });
    }
    const classFile = await readJson<ClassifierFile>(this.paths.classifier);
    const oof = (classFile?.state as { oof?: { index: number[]; probs: number[] } } | undefined)?.oof;
    const C = p.meta.classes.length;
    const lookup = new Map<number, Float32Array>();
    if (oof) oof.index.forEach((row, k) => lookup.set(row, Float32Array.from(oof.probs.slice(k * C, (k + 1) * C))));
    return findDisagreements({
      labelled: humans.map((h) => ({ item: h.item, label: h.label, probs: lookup.get(h.row) ?? p.probs.subarray(h.row * C, (h.row + 1) * C) })),
      classes: p.meta.classes,
      threshold,
    });
  }

  // ───────────────────────────── review actions (each durable when it returns) ─────────────────────────────

  private async requireKnownItem(item: string): Promise<Item> {
    const problem = itemIdProblem(item);
    if (problem) throw new ProjectError(`invalid item id ${shortId(item)}: it ${problem}`);
    await ensureScanned(this);
    const it = this.getItem(item);
    if (it) return it;
    throw new ProjectError(`unknown item ${shortId(item)}: not among the ${this.items.length} item(s) of the workspace (a new file? run scan)`);
  }

  private requireClass(label: string): void {
    if (!this.store.classes().includes(label)) {
      throw new ProjectError(`unknown class "${label}" (classes: ${this.store.classes().join(', ') || 'none — run init'})`);
    }
  }

  async label(item: string, label: string): Promise<LabelEvent> {
    this.requireClass(label);
    const it = await this.requireKnownItem(item);
    return this.store.record({ item, label, source: 'human', hash: it.hash });
  }

  /** Accepts the pending proposals of `items` (all of them in one durable write). */
  async accept(items: string[]): Promise<LabelEvent[]> {
    const pending = new Map(this.pendingProposals().map((p) => [p.item, p]));
    const events = items.map((item) => {
      const p = pending.get(item);
      if (!p) throw new ProjectError(`no pending proposal for "${item}"`);
      return { item, label: p.label, source: 'accepted' as const, model: p.model, confidence: p.confidence, hash: this.getItem(item)?.hash };
    });
    return this.store.recordMany(events);
  }

  /** Accepts every pending proposal with confidence ≥ c. */
  async acceptAbove(c: number): Promise<LabelEvent[]> {
    const items = this.pendingProposals()
      .filter((p) => p.confidence >= c)
      .map((p) => p.item);
    return items.length ? this.accept(items) : [];
  }

  async reject(item: string): Promise<LabelEvent> {
    const p = this.proposalFor(item);
    if (!p) throw new ProjectError(`no pending proposal for "${item}"`);
    return this.store.record({ item, label: p.label, source: 'rejected', model: p.model, confidence: p.confidence, hash: this.getItem(item)?.hash });
  }

  /** Labels an item whose proposal was wrong with the right class. */
  async correct(item: string, label: string): Promise<LabelEvent> {
    this.requireClass(label);
    const it = await this.requireKnownItem(item);
    const p = this.proposalFor(item);
    return this.store.record({ item, label, source: 'corrected', model: p?.model, confidence: p?.confidence, hash: it.hash });
  }

  async removeLabel(item: string): Promise<LabelEvent> {
    return this.store.record({ item, label: null, source: 'removed' });
  }

  async undo(): Promise<LabelEvent | undefined> {
    await this.store.refresh();
    return this.store.undo();
  }

  labelOf(item: string): CurrentLabel | undefined {
    return this.store.get(item);
  }

  // ───────────────────────────── external items (held-out test sets) ─────────────────────────────

  /** Predicts the items of another folder (e.g. a held-out test set) with the current encoders and classifier. */
  async predictFolder(dir: string, opts: StageOptions = {}): Promise<PredictedItem[]> {
    const modality = this.requireItems();
    const cf = await readJson<ClassifierFile>(this.paths.classifier);
    if (!cf) throw new ProjectError('no trained model yet: run train first');
    const abs = path.resolve(dir);
    const res = await scanWorkspace(abs, { textField: this.config.textField, signal: opts.signal });
    const items = res.items.filter((it) => it.modality === modality);
    if (!items.length) return [];
    const { data } = await this.loadData(abs, items, modality, { ...opts, cache: false });
    const lexical = data.kind === 'text' && isTextHeadState(cf.state);
    const pred = lexical
      ? await this.job('predictText', { state: cf.state, texts: data.texts }, { signal: opts.signal })
      : cf.finetuned && data.kind === 'image'
        ? { probs: softmaxRows(await this.networkLogits(cf.finetuned.networks, data, opts), items.length, cf.classes.length, cf.finetuned.temperature) }
        : await this.predictEmbedded(cf, modality, data, items.length, opts);
    const C = cf.classes.length;
    return items.map((it, i) => {
      let best = 0;
      for (let c = 1; c < C; c++) if (pred.probs[i * C + c] > pred.probs[i * C + best]) best = c;
      return { id: it.id, label: cf.classes[best], confidence: pred.probs[i * C + best] };
    });
  }

  /** Texts of every pool item (unreadable ones are dropped from the items, as in pretraining). */
  private async poolTexts(): Promise<string[]> {
    const first = await this.loadTextData(this.root, this.items);
    if (!first.failed.length) return first.data.texts;
    await this.dropFailed(first.failed);
    return (await this.loadTextData(this.root, this.items)).data.texts;
  }

  private async predictEmbedded(cf: ClassifierFile, modality: Modality, data: JobData, n: number, opts: StageOptions): Promise<{ probs: Float32Array }> {
    const parts = await Promise.all(
      cf.tasks.map((task, ti) =>
        this.job('embed', { modality, checkpointDir: this.paths.checkpoint(task), data }, { signal: opts.signal, worker: ti % this.config.workers }).then(
          (r) => ({ emb: r.embeddings, dim: r.dim }),
        ),
      ),
    );
    const { X, dim } = concatEmbeddings(parts, n);
    if (dim !== cf.dim) throw new ProjectError(`the encoders changed since the last train (dim ${dim} ≠ ${cf.dim}): run train again`);
    return this.job('predict', { state: cf.state, X, n, dim }, { signal: opts.signal });
  }

  // ───────────────────────────── status, import, export ─────────────────────────────

  async status(): Promise<ProjectStatus> {
    await this.store.refresh();
    const counts = this.store.counts();
    let labelled = 0;
    for (const id of this.store.current().keys()) if (this.index.has(id)) labelled++;
    const cf = await readJson<ClassifierFile>(this.paths.classifier);
    const history = (await readJson<RoundRecord[]>(this.paths.history)) ?? [];
    const pretrained = await this.pretrained();
    const classes = this.store.classes();
    const pending = this.pendingProposals().length;
    let nextAction: string;
    const minPerClass = Math.min(...classes.map((c) => counts[c] ?? 0));
    if (classes.length < 2) nextAction = 'set the classes (at least two)';
    else if (!this.items.length) nextAction = 'scan the workspace';
    else if (!pretrained.length) nextAction = 'pretrain the encoder';
    else if (!Number.isFinite(minPerClass) || minPerClass < 3) nextAction = `label a few seed items of each class (${classes.filter((c) => (counts[c] ?? 0) < 3).join(', ')} need more)`;
    else if (!cf) nextAction = 'train the model';
    else if (pending > 0) nextAction = `review ${pending} proposal(s)`;
    else if (labelled < this.items.length) nextAction = 'train again and propose';
    else nextAction = 'all items are labelled: export';
    return {
      root: this.root,
      classes,
      counts,
      modality: this.modality,
      items: this.items.length,
      labelled,
      unlabelled: this.items.length - labelled,
      skipped: this.skipped.length,
      pretrained,
      model: cf ? { version: cf.version, estimatedAccuracy: cf.estimatedAccuracy, time: cf.time } : undefined,
      proposals: pending,
      backend: this.backendName ?? cf?.backend,
      history,
      nextAction,
      warnings: [...new Set([...this.warnings, ...this.store.warnings])],
    };
  }

  async exportLabels(o: { format: 'csv' | 'jsonl' | 'folders'; out: string; includeProposals?: boolean }): Promise<{ written: number }> {
    await this.store.refresh();
    return exportLabels(this.store, {
      format: o.format,
      out: o.out,
      root: this.root,
      items: this.items.length ? [...this.items] : undefined,
      textField: this.config.textField,
      proposals: o.includeProposals ? this.pendingProposals() : undefined,
    });
  }

  async importLabels(file: string, opts: { addClasses?: boolean } = {}): Promise<{ imported: number; skipped: { row: number; reason: string }[] }> {
    await ensureScanned(this);
    return importCsv(this.store, file, {
      knownItems: new Set(this.index.keys()),
      addClasses: opts.addClasses,
    });
  }
}

/** The classifier head a train uses (see ProjectConfig.classifier); spreading needs more items than neighbours. */
export function chooseHead(setting: ProjectConfig['classifier'], n: number, nClasses: number): ClassifierHead {
  if (n <= GRAPH_K) return 'linear';
  if (setting === 'auto') return n / Math.max(1, nClasses) >= SPREAD_MIN_ITEMS_PER_CLASS ? 'spread' : 'linear';
  return setting;
}

/** Concatenates per-encoder embeddings row by row into one SharedArrayBuffer (each part already L2-normalised). */
export function concatEmbeddings(parts: { emb: Float32Array; dim: number }[], n: number): { X: SharedArrayBuffer; dim: number } {
  const dim = parts.reduce((s, p) => s + p.dim, 0);
  const X = new SharedArrayBuffer(Math.max(4, n * dim * 4));
  const out = new Float32Array(X);
  const scale = 1 / Math.sqrt(parts.length);
  for (let i = 0; i < n; i++) {
    let off = i * dim;
    for (const p of parts) {
      for (let d = 0; d < p.dim; d++) out[off + d] = p.emb[i * p.dim + d] * scale;
      off += p.dim;
    }
  }
  return { X, dim };
}

export { AbortError };
