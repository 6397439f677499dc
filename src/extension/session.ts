/**
 * Session: the extension host's handle on one SelfLabel workspace folder. It loads the engine lazily (the first
 * call that needs it does `import('./engine')`, which scripts/build.mjs turns into `require('./engine.js')`, a
 * separate bundle, so activation loads neither the engine nor tfjs), opens the
 * Project, runs one long stage at a time with cancellation and progress, performs review actions and turns their
 * results into grid updates, and keeps small indexes (items by file, open proposals by item) for CodeLens and the
 * status bar. It tells listeners what changed.
 *
 * No `vscode` import: the VS Code glue (progress notifications, dialogs, webviews) lives in controller.ts, and this
 * class is tested under Node against a real Project in a temp folder.
 */
import type { Item, Progress, Proposal } from '../core/types';
import type { Project, ProjectStatus, UndoStep } from '../core/project';
import type { ProjectConfig } from '../core/config';
import { RUNNABLE_STAGES, type GridItem, type ItemUpdate, type LastRun, type RunnableStage, type StageProgress } from '../protocol/webview';
import { capReason, droppedAcceptedNote, formatEnsembleKept, formatPercent, formatPrecision, formatPriors, plural } from '../shared/format';
import { errorMessage, type Log } from './log';
import { itemStatus, pretrainSummary, proposalCell, suggestionCell, toStageProgress, withTaskLines } from './viewState';

export type EngineModule = typeof import('./engine');

let engineImported = false;

/** Loads the engine. Kept as a function so activation never evaluates it. */
export const loadEngine = (): Promise<EngineModule> =>
  import('./engine').then((m) => {
    engineImported = true;
    return m;
  });

/** True once the engine module has been evaluated in this process. */
export function isEngineLoaded(): boolean {
  return engineImported;
}

/** A problem the user caused or can fix (shown as is, without a stack). */
export class UserError extends Error {
  override name = 'UserError';
}

/** Another stage is already running. */
export class BusyError extends UserError {
  override name = 'BusyError';
}

export type ChangeKind = 'labels' | 'classes' | 'items' | 'proposals' | 'model' | 'stage' | 'progress' | 'project';
export interface Change {
  kind: ChangeKind;
  /** Items whose status changed (for 'labels'). */
  updates?: ItemUpdate[];
}

export interface StageOutcome {
  stage: RunnableStage;
  /** One line for the user. */
  summary: string;
  cancelled: boolean;
}

export interface SessionOptions {
  root: string;
  /** Engine settings from VS Code (only the ones the user set). Read each time the project is opened. */
  overrides: () => Partial<ProjectConfig>;
  log: Log;
  engine?: () => Promise<EngineModule>;
}

export const STAGE_TITLES: Record<RunnableStage, string> = {
  scan: 'Scanning the workspace',
  pretrain: 'Pretraining the encoder',
  train: 'Training the classifier',
  propose: 'Proposing labels',
};

export class Session {
  readonly root: string;
  private readonly log: Log;
  private readonly engine: () => Promise<EngineModule>;
  private readonly overrides: () => Partial<ProjectConfig>;
  private project: Project | undefined;
  private opening: Promise<Project | undefined> | undefined;
  private running: { stage: RunnableStage; controller: AbortController; progress: StageProgress | null } | undefined;
  private reopenWhenIdle = false;
  private byPath = new Map<string, Item[]>();
  private pending = new Map<string, Proposal>();
  private readonly listeners = new Set<(c: Change) => void>();
  /** The last stage error, shown in the side panel until the next stage starts. */
  problem: string | null = null;
  private readonly lastRunOf = new Map<RunnableStage, LastRun>();
  private runSeq = 0;

  constructor(opts: SessionOptions) {
    this.root = opts.root;
    this.log = opts.log;
    this.overrides = opts.overrides;
    this.engine = opts.engine ?? loadEngine;
  }

  onDidChange(listener: (c: Change) => void): { dispose(): void } {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  }

  private fire(c: Change): void {
    for (const l of [...this.listeners]) {
      try {
        l(c);
      } catch (e) {
        this.log.error('a change listener failed', e);
      }
    }
  }

  // ---- project lifetime ----------------------------------------------------------------------------------------

  /** The open project, or undefined when the folder has no `.selflabel` yet (classes not set). */
  async getProject(): Promise<Project | undefined> {
    if (this.project) return this.project;
    if (!this.opening) {
      this.opening = this.open().finally(() => (this.opening = undefined));
    }
    return this.opening;
  }

  private async open(): Promise<Project | undefined> {
    const { Project, workerRunner } = await this.engine();
    try {
      const p = await Project.open(this.root, this.overrides(), { runner: workerRunner });
      this.adopt(p);
      return p;
    } catch (e) {
      if ((e as { code?: unknown } | undefined)?.code === 'not-a-workspace') return undefined;
      throw e;
    }
  }

  private adopt(p: Project): void {
    this.project = p;
    for (const w of p.warnings) this.log.warn(w);
    this.rebuildIndexes();
    this.fire({ kind: 'project' });
  }

  /** The project, or a UserError telling the user to set classes first. */
  async requireProject(): Promise<Project> {
    const p = await this.getProject();
    if (!p) throw new UserError('Set the classes first (SelfLabel: Set Classes).');
    return p;
  }

  /** The project if it is already open (never loads the engine). */
  get current(): Project | undefined {
    return this.project;
  }

  /** Settings changed: reopen the project with the new settings (now, or after the running stage). */
  async settingsChanged(): Promise<void> {
    if (!this.project) return;
    if (this.running) {
      this.reopenWhenIdle = true;
      return;
    }
    await this.reopen();
  }

  private async reopen(): Promise<void> {
    this.reopenWhenIdle = false;
    const old = this.project;
    this.project = undefined;
    if (old) await old.dispose().catch((e) => this.log.error('stopping the workers failed', e));
    await this.getProject();
  }

  /** Creates `.selflabel` with these classes, or changes the classes of the existing project. */
  async setClasses(classes: string[], force = false): Promise<void> {
    const p = await this.getProject();
    if (p) {
      await p.setClasses(classes, force);
    } else {
      const { Project, workerRunner } = await this.engine();
      this.adopt(await Project.init(this.root, classes, this.overrides(), { runner: workerRunner }));
    }
    this.fire({ kind: 'classes' });
  }

  async status(): Promise<ProjectStatus | null> {
    const p = await this.getProject();
    return p ? p.status() : null;
  }

  async dispose(): Promise<void> {
    this.running?.controller.abort();
    this.listeners.clear();
    const p = this.project;
    this.project = undefined;
    if (p) await p.dispose();
  }

  // ---- stages ----------------------------------------------------------------------------------------------------

  get runningStage(): RunnableStage | undefined {
    return this.running?.stage;
  }

  /** How the last run of each stage that ran in this session ended, in the order of the stages. */
  get lastRuns(): LastRun[] {
    return RUNNABLE_STAGES.flatMap((st) => this.lastRunOf.get(st) ?? []);
  }

  private finished(stage: RunnableStage, outcome: LastRun['outcome'], summary: string): void {
    this.lastRunOf.set(stage, { stage, outcome, summary, seq: ++this.runSeq, at: Date.now() });
  }

  get runningProgress(): StageProgress | null {
    return this.running ? (this.running.progress ?? { stage: this.running.stage, run: this.running.stage, done: 0 }) : null;
  }

  /** Cancels the running stage; false when nothing runs. */
  cancel(): boolean {
    if (!this.running) return false;
    this.running.controller.abort();
    return true;
  }

  /**
   * Runs one stage. Refuses (BusyError) while another runs. `signal` (e.g. a notification's cancel button) and
   * `cancel()` both stop it; a cancelled stage resolves with `cancelled: true`.
   */
  /** Runs a stage; `fresh` (pretrain only) discards the pretrained encoders first and pretrains from scratch. */
  async runStage(
    stage: RunnableStage,
    opts: { signal?: AbortSignal; onProgress?: (p: StageProgress) => void; fresh?: boolean } = {},
  ): Promise<StageOutcome> {
    if (this.running) {
      throw new BusyError(`${STAGE_TITLES[this.running.stage]} is still running: wait for it or cancel it (SelfLabel: Cancel).`);
    }
    const controller = new AbortController();
    const onAbort = () => controller.abort();
    if (opts.signal?.aborted) controller.abort();
    opts.signal?.addEventListener('abort', onAbort);
    this.running = { stage, controller, progress: null };
    this.problem = null;
    this.fire({ kind: 'stage' });
    const lines = new Map<string, string>();
    const onProgress = (p: Progress) => {
      if (!this.running) return;
      const sp = withTaskLines(lines, toStageProgress(p, stage));
      this.running.progress = sp;
      opts.onProgress?.(sp);
      this.fire({ kind: 'progress' });
    };
    const t0 = Date.now();
    try {
      const p = await this.requireProject();
      const signal = controller.signal;
      const summary = await this.execute(p, stage, { signal, onProgress, fresh: opts.fresh === true });
      this.log.info(`${stage} done in ${((Date.now() - t0) / 1000).toFixed(1)} s: ${summary}`);
      this.finished(stage, 'done', summary);
      return { stage, summary, cancelled: false };
    } catch (e) {
      if (controller.signal.aborted || (e instanceof Error && e.name === 'AbortError')) {
        this.log.info(`${stage} cancelled after ${((Date.now() - t0) / 1000).toFixed(1)} s`);
        const summary = `${STAGE_TITLES[stage]} was cancelled.`;
        this.finished(stage, 'cancelled', summary);
        return { stage, summary, cancelled: true };
      }
      this.problem = `${stage} failed: ${errorMessage(e)}`;
      this.finished(stage, 'failed', this.problem);
      this.log.error(`${stage} failed`, e);
      throw e;
    } finally {
      opts.signal?.removeEventListener('abort', onAbort);
      this.running = undefined;
      this.rebuildIndexes();
      this.fire({ kind: 'stage' });
      if (this.reopenWhenIdle) await this.reopen().catch((e) => this.log.error('reopening the project failed', e));
    }
  }

  private async execute(
    p: Project,
    stage: RunnableStage,
    o: { signal: AbortSignal; onProgress: (p: Progress) => void; fresh: boolean },
  ): Promise<string> {
    switch (stage) {
      case 'scan': {
        const r = await p.scan(o);
        this.fire({ kind: 'items' });
        const skipped = r.skipped.length ? `, ${r.skipped.length} skipped (see the SelfLabel log)` : '';
        for (const s of r.skipped.slice(0, 200)) this.log.info(`skipped ${s.path}${s.row ? `#${s.row}` : ''}: ${s.reason}`);
        return `found ${plural(r.items, `${r.modality ?? ''} item`.trimStart())} in ${plural(r.filesSeen, 'file')}${skipped}`;
      }
      case 'pretrain': {
        const before = o.fresh ? [] : await p.pretrained();
        const r = await p.pretrain({ signal: o.signal, onProgress: o.onProgress, fresh: o.fresh });
        this.fire({ kind: 'model' });
        return pretrainSummary(before, r);
      }
      case 'train': {
        const r = await p.train(o);
        this.fire({ kind: 'model' });
        const acc = r.estimatedAccuracy !== undefined ? `, estimated accuracy ${formatPercent(r.estimatedAccuracy)}` : '';
        const f = r.finetuned;
        const ft = f
          ? `; ${f.initFrom ? 'fine-tuned' : 'trained from scratch'} ${f.networks.length} network(s) in ${f.seconds.toFixed(0)} s`
          : '';
        const kept = r.reused ? '; no human label changed since the last train: the model is kept' : '';
        const cap = r.chosen?.cap ? `; ${capReason(r.chosen.cap)}` : '';
        const dropped = r.chosen ? droppedAcceptedNote(r.chosen) : '';
        const ensemble = r.chosen ? formatEnsembleKept(r.chosen) : undefined;
        // The priors of a weak model's pool change many predictions: said; EM's, from a strong model, move few.
        const pri = r.chosen?.priors?.method === 'bbse' ? formatPriors(r.chosen.priors, 3) : undefined;
        return `trained on ${plural(r.labelled, 'label')}${r.pseudoLabelled ? ` (+${r.pseudoLabelled} pseudo-labels)` : ''}${acc}${ft}${kept}${cap}${dropped ? `; ${dropped}` : ''}${ensemble ? `; ${ensemble}` : ''}${pri ? `; ${pri}` : ''} (${r.backend})`;
      }
      case 'propose': {
        const r = await p.propose({});
        this.fire({ kind: 'proposals' });
        return `${plural(r.proposals.length, 'proposal')} at confidence ≥ ${r.threshold}, expected precision ${formatPrecision(r.expectedPrecision, r.proposals.length)}`;
      }
    }
  }

  // ---- indexes -------------------------------------------------------------------------------------------------

  private rebuildIndexes(): void {
    const p = this.project;
    this.byPath = new Map();
    this.pending = new Map();
    if (!p) return;
    for (const it of p.getItems()) {
      const list = this.byPath.get(it.path);
      if (list) list.push(it);
      else this.byPath.set(it.path, [it]);
    }
    for (const pr of p.pendingProposals()) this.pending.set(pr.item, pr);
  }

  /**
   * Re-reads `.selflabel` after it changed on disk (another process, git, the CLI). Our own writes are already in
   * memory, so they produce no event here; new events from elsewhere become grid updates, anything else (a
   * compacted or replaced journal, new classes) a full reload. `force` always reloads (e.g. after an import).
   */
  async refreshFromDisk(force = false): Promise<void> {
    const p = this.project;
    if (!p) return;
    const before = p.store.events().length;
    const classesBefore = p.classes().join('\n');
    await p.store.refresh();
    const events = p.store.events();
    const classesChanged = p.classes().join('\n') !== classesBefore;
    if (!force && !classesChanged && events.length === before) return;
    if (force || classesChanged || events.length < before) {
      this.rebuildIndexes();
      this.fire({ kind: classesChanged ? 'classes' : 'labels' });
      if (classesChanged) this.fire({ kind: 'project' });
      return;
    }
    this.changed(new Set(events.slice(before).map((e) => e.item)));
  }

  /** Items of one workspace-relative file (several for JSONL/CSV). */
  itemsOfFile(relPath: string): readonly Item[] {
    return this.byPath.get(relPath) ?? [];
  }

  get openProposals(): ReadonlyMap<string, Proposal> {
    return this.pending;
  }

  /** An item's open proposal, current label and status (from the open project; never loads it). */
  describe(id: string): { item?: Item; proposal?: Proposal; status: ReturnType<typeof itemStatus> } {
    const p = this.project;
    if (!p) return { status: { status: 'unlabelled' } };
    const current = p.labelOf(id);
    const proposal = current ? undefined : this.pending.get(id);
    const rejected = !current && !proposal && p.store.rejectedLabels(id).size > 0;
    return { item: p.getItem(id), proposal, status: itemStatus(current, proposal, rejected) };
  }

  // ---- review actions (each durable when it returns) ------------------------------------------------------------

  private async known(id: string): Promise<Project> {
    const p = await this.requireProject();
    if (!p.getItem(id)) throw new UserError(`Unknown item "${id}": it is not in the last scan (run SelfLabel: Scan).`);
    return p;
  }

  private updatesFor(ids: Iterable<string>): ItemUpdate[] {
    this.rebuildIndexes();
    const out: ItemUpdate[] = [];
    for (const id of ids) {
      const s = this.describe(id).status;
      out.push(s.label !== undefined ? { id, status: s.status, label: s.label } : { id, status: s.status });
    }
    return out;
  }

  private changed(ids: Iterable<string>): ItemUpdate[] {
    const updates = this.updatesFor(ids);
    this.fire({ kind: 'labels', updates });
    return updates;
  }

  /**
   * Accepts proposals. A candidate under the threshold (shown in the grid once the user lowers its threshold) is no
   * pending proposal: accepting it records a human label of its class.
   */
  async accept(items: string[]): Promise<ItemUpdate[]> {
    const p = await this.requireProject();
    const unique = [...new Set(items)];
    for (const id of unique) if (!p.getItem(id)) throw new UserError(`Unknown item "${id}".`);
    const below = new Map(p.candidatesBelow().map((c) => [c.item, c]));
    const proposals = unique.filter((id) => this.pending.has(id) || !below.has(id));
    // One journal batch for all of them (one undo), the candidates under the threshold as human labels.
    const labels = unique.filter((id) => !this.pending.has(id) && below.has(id)).map((id) => ({ item: id, label: below.get(id)!.label }));
    if (proposals.length || labels.length) await p.accept(proposals, labels);
    return this.changed(unique);
  }

  async reject(item: string): Promise<ItemUpdate[]> {
    const p = await this.known(item);
    if (!this.pending.has(item) && p.candidatesBelow().some((c) => c.item === item)) {
      throw new UserError(`"${item}" is a candidate under the confidence threshold, not a proposal: pick its class instead (or leave it).`);
    }
    await p.reject(item);
    return this.changed([item]);
  }

  async correct(item: string, label: string): Promise<ItemUpdate[]> {
    const p = await this.known(item);
    await p.correct(item, label);
    return this.changed([item]);
  }

  async label(item: string, label: string): Promise<ItemUpdate[]> {
    const p = await this.known(item);
    await p.label(item, label);
    return this.changed([item]);
  }

  /** Labels many items as one class in one journal batch (the embedding map's "Label all as …"). */
  async labelMany(items: string[], label: string): Promise<ItemUpdate[]> {
    const p = await this.requireProject();
    await p.labelMany(items, label);
    return this.changed(new Set(items));
  }

  /** Undoes the last step (one label, or a whole batch: label all, accept many, a class change); says what was undone. */
  async undo(): Promise<{ updates: ItemUpdate[]; message: string }> {
    const p = await this.requireProject();
    return this.stepResult(await p.undo(), 'Undone', 'Nothing to undo.');
  }

  /** Re-applies the last undone step, when nothing was labelled since; says what was redone. */
  async redo(): Promise<{ updates: ItemUpdate[]; message: string }> {
    const p = await this.requireProject();
    return this.stepResult(await p.redo(), 'Redone', 'Nothing to redo.');
  }

  private stepResult(e: UndoStep | undefined, verb: string, nothing: string): { updates: ItemUpdate[]; message: string } {
    if (!e) return { updates: [], message: nothing };
    const items = [...new Set(e.events.map((x) => x.item).filter(Boolean))];
    const updates = this.changed(items.length ? items : [e.item].filter(Boolean));
    if (e.schema) return { updates, message: `${verb}: the class change (${e.schema}).` };
    if (items.length > 1) return { updates, message: `${verb}: a batch of ${plural(items.length, 'item')}.` };
    const now = updates[0];
    const what =
      now?.label !== undefined ? `${e.item} is now ${now.status} (${now.label})` : `${e.item} is now ${now?.status ?? 'unlabelled'}`;
    return { updates, message: `${verb}: ${what}.` };
  }

  // ---- grid contents -------------------------------------------------------------------------------------------

  /** Open proposals as grid cells, then the best candidates under the threshold (marked `below`). */
  reviewCells(): GridItem[] {
    const p = this.project;
    if (!p) return [];
    this.rebuildIndexes();
    const cells = [...this.pending.values()].map((pr) => proposalCell(pr, p.getItem(pr.item)));
    for (const pr of p.candidatesBelow())
      if (!this.pending.has(pr.item)) cells.push({ ...proposalCell(pr, p.getItem(pr.item)), below: true });
    return cells;
  }

  /** The `n` items most worth labelling as grid cells (seeds before a model exists). */
  async labelCells(n: number): Promise<GridItem[]> {
    const p = await this.requireProject();
    if (p.getItems().length === 0) return [];
    const suggestions = await p.suggest(n);
    return suggestions.map((s) => suggestionCell(s, p.getItem(s.item), p.labelOf(s.item)));
  }
}
