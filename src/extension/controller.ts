/**
 * Controller: the VS Code glue around a Session. It picks the workspace folder, enforces workspace trust, runs
 * stages inside cancellable progress notifications (percentage and ETA) mirrored to the webviews, implements every
 * `selflabel.*` command (dialogs, quick picks, messages), resolves "the current item" (explicit argument, focused
 * review-grid cell, active editor line, or active tab such as an image preview) and keeps context keys in sync.
 */
import * as vscode from 'vscode';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { GridItem, ItemUpdate, PanelCommand, RunnableStage, SideState, StageProgress } from '../protocol/webview';
import { isItemId } from '../protocol/webview';
import { errorMessage, type Log } from './log';
import { BusyError, Session, STAGE_TITLES, UserError, type Change, type EngineModule, type StageOutcome } from './session';
import { configOverrides, labelBatchSize } from './settings';
import { buildSideState, countByClass, formatConfidence, nextAction, parseClassList } from './viewState';
import { resolveInWorkspace, splitItemId, toWorkspaceRelative } from './itemPaths';
import { startStageMonitor } from './hostMonitor';

export const COMMANDS = {
  setClasses: 'selflabel.setClasses',
  scan: 'selflabel.scan',
  pretrain: 'selflabel.pretrain',
  train: 'selflabel.train',
  propose: 'selflabel.propose',
  reviewProposals: 'selflabel.reviewProposals',
  labelNext: 'selflabel.labelNext',
  acceptCurrent: 'selflabel.acceptCurrent',
  rejectCurrent: 'selflabel.rejectCurrent',
  correctCurrent: 'selflabel.correctCurrent',
  undo: 'selflabel.undo',
  export: 'selflabel.export',
  import: 'selflabel.import',
  status: 'selflabel.status',
  cancel: 'selflabel.cancel',
  showLog: 'selflabel.showLog',
  openItem: 'selflabel.openItem',
} as const;

const PANEL_TO_COMMAND: Record<PanelCommand, string> = {
  setClasses: COMMANDS.setClasses,
  reviewProposals: COMMANDS.reviewProposals,
  labelNext: COMMANDS.labelNext,
  export: COMMANDS.export,
  import: COMMANDS.import,
  status: COMMANDS.status,
  undo: COMMANDS.undo,
  manageTrust: 'workbench.trust.manage',
};

/**
 * Workspace trust (package.json `capabilities.untrustedWorkspaces`: limited). In an untrusted workspace SelfLabel is
 * read-only: it activates, and shows the classes, labels and proposals already in `.selflabel/` (side panel, review
 * grid, CodeLens, status). Everything that runs the engine over the workspace's files or starts training workers
 * (scan, pretrain, train, propose, label next), writes anything (set classes, label / accept / reject / change /
 * undo, import, export) is refused with {@link untrustedMessage} and a "Manage Workspace Trust" button. VS Code
 * itself ignores the workspace's values of the settings listed in `restrictedConfigurations` (globs, workers,
 * backend, pretraining limits).
 */
export function untrustedMessage(action: string): string {
  return `SelfLabel: ${action} is disabled because this workspace is not trusted. In Restricted Mode SelfLabel only shows the classes, labels and proposals already in .selflabel/ — trust the workspace to scan, train, label, import or export.`;
}

/** An action refused because the workspace is not trusted (shown with a "Manage Workspace Trust" button). */
export class UntrustedError extends UserError {
  override name = 'UntrustedError';
  constructor(readonly action: string) {
    super(untrustedMessage(action).replace(/^SelfLabel: /, ''));
  }
}

/** Something that shows the review grid (implemented by reviewPanel.ts), so the controller can target its focus. */
export interface ReviewSurface {
  readonly active: boolean;
  readonly focusedItem: string | null;
}

export class Controller implements vscode.Disposable {
  private session: Session | undefined;
  private sessionSubscription: { dispose(): void } | undefined;
  private storeWatcher: vscode.Disposable | undefined;
  private readonly disposables: vscode.Disposable[] = [];
  private readonly stateEmitter = new vscode.EventEmitter<void>();
  private readonly progressEmitter = new vscode.EventEmitter<StageProgress | null>();
  private readonly labelsEmitter = new vscode.EventEmitter<ItemUpdate[]>();
  private readonly proposalsEmitter = new vscode.EventEmitter<void>();
  private progressTimer: ReturnType<typeof setTimeout> | undefined;
  private stateTimer: ReturnType<typeof setTimeout> | undefined;
  /** Set by the review panel while it exists. */
  review: ReviewSurface | undefined;
  /** Warnings shown to the user, newest last (the last 50): the integration tests read them. */
  readonly warnings: string[] = [];
  /** Opens the review panel (set by extension.ts to avoid an import cycle). */
  openReview: (mode: 'review' | 'label') => Promise<void> = async () => undefined;

  /** Side panel state may have changed (debounced). */
  readonly onDidChangeState = this.stateEmitter.event;
  /** Progress of the running stage (throttled), null when it ends. */
  readonly onDidChangeProgress = this.progressEmitter.event;
  /** Items whose label or proposal changed. */
  readonly onDidChangeLabels = this.labelsEmitter.event;
  /** A new proposal set, a new scan or a new project: views reload. */
  readonly onDidChangeProposals = this.proposalsEmitter.event;

  constructor(
    readonly context: vscode.ExtensionContext,
    readonly log: Log,
    private readonly engine?: () => Promise<EngineModule>,
  ) {
    this.disposables.push(
      this.stateEmitter,
      this.progressEmitter,
      this.labelsEmitter,
      this.proposalsEmitter,
      vscode.workspace.onDidChangeWorkspaceFolders(() => this.resetSession()),
      vscode.workspace.onDidGrantWorkspaceTrust(() => this.changed()),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration('selflabel')) void this.session?.settingsChanged().catch((err) => this.log.error('applying settings failed', err));
      }),
    );
    void vscode.commands.executeCommand('setContext', 'selflabel.running', false);
  }

  // ---- workspace, trust, session -----------------------------------------------------------------------------------

  /** The workspace folder SelfLabel works on: the first one holding `.selflabel/`, else the first folder. */
  folder(): vscode.WorkspaceFolder | undefined {
    const folders = (vscode.workspace.workspaceFolders ?? []).filter((f) => f.uri.scheme === 'file');
    return folders.find((f) => fs.existsSync(path.join(f.uri.fsPath, '.selflabel', 'classes.json'))) ?? folders[0];
  }

  get trusted(): boolean {
    return vscode.workspace.isTrusted;
  }

  /** The session of the current folder (cheap: does not load the engine). */
  getSession(): Session | undefined {
    const folder = this.folder();
    if (!folder) return undefined;
    if (this.session?.root === folder.uri.fsPath) return this.session;
    this.resetSession();
    const s = new Session({ root: folder.uri.fsPath, overrides: () => configOverrides(folder.uri), log: this.log, engine: this.engine });
    this.session = s;
    this.sessionSubscription = s.onDidChange((c) => this.onSessionChange(c));
    this.watchStore(folder, s);
    return s;
  }

  private resetSession(): void {
    this.sessionSubscription?.dispose();
    this.storeWatcher?.dispose();
    this.storeWatcher = undefined;
    const old = this.session;
    this.session = undefined;
    if (old) void old.dispose().catch((e) => this.log.error('closing the project failed', e));
    this.changed();
    this.proposalsEmitter.fire();
  }

  /** Watches `.selflabel/` of the folder for changes made outside this window (CLI, git, another editor). */
  private watchStore(folder: vscode.WorkspaceFolder, s: Session): void {
    this.storeWatcher?.dispose();
    const w = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(folder, '.selflabel/{labels.jsonl,classes.json}'));
    let timer: ReturnType<typeof setTimeout> | undefined;
    const onChange = () => {
      if (timer) clearTimeout(timer);
      timer = setTimeout(() => {
        timer = undefined;
        if (this.session !== s) return;
        if (s.current) void s.refreshFromDisk().catch((e) => this.log.error('re-reading .selflabel failed', e));
        else this.changed();
      }, 300);
    };
    this.storeWatcher = vscode.Disposable.from(w, w.onDidChange(onChange), w.onDidCreate(onChange), w.onDidDelete(onChange), {
      dispose: () => timer && clearTimeout(timer),
    });
  }

  private requireSession(): Session {
    const s = this.getSession();
    if (!s) throw new UserError('Open a folder first: SelfLabel works on a workspace folder on disk.');
    return s;
  }

  /** Throws an {@link UntrustedError} naming `action` when the workspace is not trusted. */
  requireTrust(action: string): void {
    if (!this.trusted) throw new UntrustedError(action);
  }

  /** Shows a warning (and remembers it in `warnings`). */
  warn(text: string, ...actions: string[]): Thenable<string | undefined> {
    this.warnings.push(text);
    if (this.warnings.length > 50) this.warnings.shift();
    return vscode.window.showWarningMessage(text, ...actions);
  }

  private onSessionChange(c: Change): void {
    switch (c.kind) {
      case 'progress':
        this.scheduleProgress();
        return;
      case 'stage':
        void vscode.commands.executeCommand('setContext', 'selflabel.running', this.session?.runningStage !== undefined);
        this.scheduleProgress();
        break;
      case 'labels':
        if (c.updates) this.labelsEmitter.fire(c.updates);
        else this.proposalsEmitter.fire();
        break;
      case 'items':
      case 'proposals':
      case 'project':
      case 'classes':
        this.proposalsEmitter.fire();
        break;
      default:
        break;
    }
    this.changed();
  }

  /** Side panel state changed: debounced refresh. */
  changed(): void {
    if (this.stateTimer) return;
    this.stateTimer = setTimeout(() => {
      this.stateTimer = undefined;
      this.stateEmitter.fire();
    }, 80);
  }

  private scheduleProgress(): void {
    if (this.progressTimer) return;
    this.progressTimer = setTimeout(() => {
      this.progressTimer = undefined;
      this.progressEmitter.fire(this.session?.runningProgress ?? null);
    }, 200);
  }

  /** The side panel's state (opens the project if `.selflabel` exists; never trains). */
  async sideState(): Promise<SideState> {
    const folder = this.folder();
    const s = this.getSession();
    let status = null;
    let problem: string | null = null;
    if (s && this.hasStore(folder)) {
      try {
        status = await s.status();
      } catch (e) {
        problem = `Could not read the project: ${errorMessage(e)}`;
        this.log.error('reading the project status failed', e);
      }
    }
    const proposed = s ? countByClass(s.openProposals.values()) : new Map<string, number>();
    return buildSideState({
      status,
      folder: folder?.name ?? null,
      trusted: this.trusted,
      running: s?.runningProgress ?? null,
      problem: problem ?? s?.problem ?? null,
      proposedByClass: proposed,
      backend: s?.current?.backend,
    });
  }

  /** True if the folder has a SelfLabel store (so opening the project will not fail). */
  hasStore(folder = this.folder()): boolean {
    return !!folder && fs.existsSync(path.join(folder.uri.fsPath, '.selflabel', 'classes.json'));
  }

  // ---- stages ------------------------------------------------------------------------------------------------------

  /**
   * Starts a stage in a cancellable progress notification. Resolves when the stage ends (the command's result), so
   * tests can await it; webviews call `startStage`, which does not wait.
   */
  async runStage(stage: RunnableStage): Promise<StageOutcome | undefined> {
    const start = this.startStage(stage);
    if (!start.started) return undefined;
    return start.done;
  }

  startStage(stage: RunnableStage): { started: true; done: Promise<StageOutcome | undefined> } | { started: false; message: string } {
    if (!this.trusted) {
      const message = untrustedMessage(STAGE_ACTION[stage]);
      void this.showUntrusted(message);
      return { started: false, message };
    }
    const s = this.getSession();
    if (!s) {
      const message = 'SelfLabel: open a folder first.';
      void vscode.window.showWarningMessage(message);
      return { started: false, message };
    }
    if (s.runningStage) {
      const message = `SelfLabel: ${STAGE_TITLES[s.runningStage].toLowerCase()} is still running. Wait for it to finish or cancel it first.`;
      void vscode.window.showInformationMessage(message, 'Cancel It').then((a) => {
        if (a) s.cancel();
      });
      return { started: false, message };
    }
    if (!this.hasStore()) {
      const message = 'SelfLabel: set the classes first (SelfLabel: Set Classes).';
      void vscode.window.showWarningMessage(message, 'Set Classes').then((a) => {
        if (a) void vscode.commands.executeCommand(COMMANDS.setClasses);
      });
      return { started: false, message };
    }
    const done = this.withStageProgress(s, stage);
    return { started: true, done };
  }

  private async withStageProgress(s: Session, stage: RunnableStage): Promise<StageOutcome | undefined> {
    const title = `SelfLabel: ${STAGE_TITLES[stage]}`;
    let outcome: StageOutcome | undefined;
    const monitor = startStageMonitor(stage);
    try {
      outcome = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title, cancellable: true },
        async (progress, token) => {
          const controller = new AbortController();
          const sub = token.onCancellationRequested(() => controller.abort());
          let reported = 0;
          try {
            progress.report({ message: 'starting…' });
            return await s.runStage(stage, {
              signal: controller.signal,
              onProgress: (p) => {
                const pct = p.fraction !== undefined ? Math.floor(p.fraction * 100) : undefined;
                const parts: string[] = [];
                // Pretraining's first phase (reading every item) is reported as 'embed' too.
                if (p.stage !== stage) parts.push(p.stage === 'embed' ? (stage === 'pretrain' ? 'reading items' : 'embedding') : p.stage);
                if (pct !== undefined) parts.push(`${pct}%`);
                else if (p.done > 0) parts.push(String(p.done));
                if (p.etaSeconds !== undefined) parts.push(`ETA ${formatEta(p.etaSeconds)}`);
                if (p.loss !== undefined) parts.push(`loss ${p.loss.toFixed(3)}`);
                if (p.message) parts.push(p.message);
                const increment = pct !== undefined && pct > reported ? pct - reported : undefined;
                if (increment !== undefined) reported = pct as number;
                progress.report({ message: parts.join(' · '), increment });
              },
            });
          } finally {
            sub.dispose();
          }
        },
      );
    } catch (e) {
      void this.stopMonitor(monitor);
      this.progressEmitter.fire(null);
      const reason = errorMessage(e);
      const action = await vscode.window.showErrorMessage(`SelfLabel: ${STAGE_TITLES[stage].toLowerCase()} failed: ${reason}`, 'Show Log');
      if (action) this.log.show();
      return undefined;
    }
    void this.stopMonitor(monitor);
    this.progressEmitter.fire(null);
    if (outcome.cancelled) {
      void vscode.window.showInformationMessage(`SelfLabel: ${outcome.summary}`);
    } else {
      void this.announce(outcome);
    }
    return outcome;
  }

  private async stopMonitor(m: ReturnType<typeof startStageMonitor>): Promise<void> {
    const st = await m.stop();
    if (st) this.log.info(`event loop during ${st.stage} (${st.seconds.toFixed(0)} s): delay p50 ${st.p50} ms, p95 ${st.p95} ms, max ${st.max} ms`);
  }

  /** "Scan done: found 1,024 items" with a button for the suggested next step. */
  private async announce(outcome: StageOutcome): Promise<void> {
    const s = this.session;
    let next: ReturnType<typeof nextAction> | undefined;
    try {
      const status = s ? await s.status() : null;
      next = nextAction(status, { folder: true, trusted: this.trusted, running: null });
    } catch {
      next = undefined;
    }
    const button = next?.stage ? STAGE_BUTTON[next.stage] : next?.command ? COMMAND_BUTTON[next.command] : undefined;
    const text = `SelfLabel: ${outcome.stage} done — ${outcome.summary}.`;
    const pick = button ? await vscode.window.showInformationMessage(text, button) : await vscode.window.showInformationMessage(text);
    if (pick && next) {
      if (next.stage) void this.runStage(next.stage);
      else if (next.command) void this.runPanelCommand(next.command);
    }
  }

  cancel(): boolean {
    const ok = this.session?.cancel() ?? false;
    if (!ok) void vscode.window.showInformationMessage('SelfLabel: nothing is running.');
    return ok;
  }

  async runPanelCommand(c: PanelCommand): Promise<void> {
    await vscode.commands.executeCommand(PANEL_TO_COMMAND[c]);
  }

  /** Tells the user an action is disabled in this untrusted workspace, with a button to manage trust. */
  async showUntrusted(message: string): Promise<void> {
    const pick = await this.warn(message, 'Manage Workspace Trust');
    if (pick) await vscode.commands.executeCommand('workbench.trust.manage');
  }

  // ---- review actions ------------------------------------------------------------------------------------------------

  async accept(items: string[]): Promise<ItemUpdate[]> {
    this.requireTrust('accepting a proposal');
    return this.requireSession().accept(items);
  }

  async reject(item: string): Promise<ItemUpdate[]> {
    this.requireTrust('rejecting a proposal');
    return this.requireSession().reject(item);
  }

  async correct(item: string, label: string): Promise<ItemUpdate[]> {
    this.requireTrust('changing a label');
    return this.requireSession().correct(item, label);
  }

  async label(item: string, label: string): Promise<ItemUpdate[]> {
    this.requireTrust('labelling');
    return this.requireSession().label(item, label);
  }

  async undo(): Promise<{ updates: ItemUpdate[]; message: string }> {
    this.requireTrust('undoing a label');
    return this.requireSession().undo();
  }

  /** Opens an item in an editor: images in the image preview, rows at their line. Ids outside the workspace are refused. */
  async openItem(id: string): Promise<void> {
    if (!isItemId(id)) throw new UserError(`Refused to open "${String(id).slice(0, 80)}": not an item id.`);
    const s = this.requireSession();
    const p = await s.requireProject();
    const item = p.getItem(id);
    const rel = item?.path ?? splitItemId(id).path;
    if (!item && p.getItems().length > 0) throw new UserError(`Unknown item "${id}".`);
    const abs = await resolveInWorkspace(s.root, rel);
    const uri = vscode.Uri.file(abs);
    if (item?.kind === 'image') {
      await vscode.commands.executeCommand('vscode.open', uri, { preview: true, viewColumn: vscode.ViewColumn.Beside });
      return;
    }
    const doc = await vscode.workspace.openTextDocument(uri);
    const line = Math.max(0, Math.min(doc.lineCount - 1, (item?.line ?? 1) - 1));
    const range = new vscode.Range(line, 0, line, 0);
    await vscode.window.showTextDocument(doc, { preview: true, viewColumn: vscode.ViewColumn.Beside, selection: range });
  }

  // ---- the current item ---------------------------------------------------------------------------------------------

  /**
   * The item a "current" command acts on: an explicit id (CodeLens), a Uri (editor title menu), the focused cell of
   * the review grid when it is the active editor, the row under the cursor, or the file in the active tab.
   */
  currentItem(arg?: unknown): string | undefined {
    const s = this.session;
    if (!s) return undefined;
    if (typeof arg === 'string') return isItemId(arg) ? arg : undefined;
    if (arg instanceof vscode.Uri) return this.itemAt(arg);
    if (this.review?.active && this.review.focusedItem) return this.review.focusedItem;
    const tab = vscode.window.tabGroups.activeTabGroup.activeTab;
    const input = tab?.input;
    const uri = input instanceof vscode.TabInputText || input instanceof vscode.TabInputCustom ? input.uri : undefined;
    return uri ? this.itemAt(uri) : undefined;
  }

  /** The item of a file; for JSONL/CSV the row under the cursor (or the nearest row above it). */
  itemAt(uri: vscode.Uri, line?: number): string | undefined {
    const s = this.session;
    if (!s || uri.scheme !== 'file') return undefined;
    const rel = toWorkspaceRelative(s.root, uri.fsPath);
    if (!rel) return undefined;
    const items = s.itemsOfFile(rel);
    if (items.length === 0) return undefined;
    if (items.length === 1 && items[0].kind !== 'row') return items[0].id;
    let cursor = line;
    if (cursor === undefined) {
      const ed = vscode.window.activeTextEditor;
      if (ed && ed.document.uri.toString() === uri.toString()) cursor = ed.selection.active.line;
    }
    if (cursor === undefined) return undefined;
    let best: (typeof items)[number] | undefined;
    for (const it of items) {
      if (it.line === undefined) continue;
      if (it.line - 1 <= cursor && (!best || (best.line ?? 0) < it.line)) best = it;
    }
    return best?.id;
  }

  private noCurrent(): undefined {
    void vscode.window.showInformationMessage(
      'SelfLabel: no item here. Open an image or text file of the workspace (for JSONL/CSV, put the cursor on a row), or focus an item in the review grid.',
    );
    return undefined;
  }

  async acceptCurrent(arg?: unknown): Promise<ItemUpdate[] | undefined> {
    this.requireTrust('accepting a proposal');
    const id = this.currentItem(arg);
    if (!id) return this.noCurrent();
    const d = this.session?.describe(id);
    if (!d?.proposal) {
      void vscode.window.showInformationMessage(`SelfLabel: "${id}" has no open proposal to accept${d?.status.label ? ` (it is ${d.status.status}: ${d.status.label})` : ''}.`);
      return undefined;
    }
    return this.accept([id]);
  }

  async rejectCurrent(arg?: unknown): Promise<ItemUpdate[] | undefined> {
    this.requireTrust('rejecting a proposal');
    const id = this.currentItem(arg);
    if (!id) return this.noCurrent();
    if (!this.session?.describe(id).proposal) {
      void vscode.window.showInformationMessage(`SelfLabel: "${id}" has no open proposal to reject.`);
      return undefined;
    }
    return this.reject(id);
  }

  /** Change…: pick a class for the item (correct a proposal, or label / relabel it). `label` skips the quick pick. */
  async correctCurrent(arg?: unknown, label?: unknown): Promise<ItemUpdate[] | undefined> {
    this.requireTrust('changing a label');
    const id = this.currentItem(arg);
    if (!id) return this.noCurrent();
    const s = this.requireSession();
    const p = await s.requireProject();
    const classes = p.classes();
    let cls = typeof label === 'string' && classes.includes(label) ? label : undefined;
    if (cls === undefined) {
      const d = s.describe(id);
      const conf = new Map<string, number>();
      if (d.proposal) {
        conf.set(d.proposal.label, d.proposal.confidence);
        for (const a of d.proposal.alternatives ?? []) conf.set(a.label, a.confidence);
      }
      const picks = classes.map((c, i) => ({
        label: c,
        description: [i < 9 ? `${i + 1}` : '', conf.has(c) ? `model: ${formatConfidence(conf.get(c) as number)}` : '', d.status.label === c ? `current (${d.status.status})` : '']
          .filter(Boolean)
          .join(' · '),
      }));
      const pick = await vscode.window.showQuickPick(picks, { title: `SelfLabel: label for ${id}`, placeHolder: 'Pick the right class' });
      if (!pick) return undefined;
      cls = pick.label;
    }
    const d = s.describe(id);
    if (d.proposal) return d.proposal.label === cls ? this.accept([id]) : this.correct(id, cls);
    return d.status.status === 'unlabelled' || d.status.status === 'rejected' ? this.label(id, cls) : this.correct(id, cls);
  }

  // ---- commands with dialogs -----------------------------------------------------------------------------------------

  /** Set classes: an input box, or `classes` given by a caller (tests, walkthrough). */
  async setClasses(given?: unknown): Promise<string[] | undefined> {
    this.requireTrust('setting the classes');
    const s = this.requireSession();
    const current = this.hasStore() ? ((await s.getProject())?.classes() ?? []) : [];
    let classes: string[] | undefined;
    if (Array.isArray(given) && given.every((c) => typeof c === 'string')) {
      const parsed = parseClassList(given.join(','));
      if ('error' in parsed) throw new UserError(parsed.error);
      classes = parsed.classes;
    } else {
      const text = await vscode.window.showInputBox({
        title: 'SelfLabel: classes',
        prompt: 'The classes to label, separated by commas. Their order sets the number keys 1–9 in the review grid.',
        placeHolder: 'cat, dog, bird',
        value: current.join(', '),
        validateInput: (v) => {
          const r = parseClassList(v);
          return 'error' in r ? r.error : undefined;
        },
      });
      if (text === undefined) return undefined;
      const parsed = parseClassList(text);
      if ('error' in parsed) throw new UserError(parsed.error);
      classes = parsed.classes;
    }
    try {
      await s.setClasses(classes);
    } catch (e) {
      const msg = errorMessage(e);
      if (!/force|labell?ed|in use|has labels/i.test(msg)) throw e;
      const go = await vscode.window.showWarningMessage(
        `SelfLabel: some classes you removed still have labels (${msg}). Remove those classes and their labels?`,
        { modal: true },
        'Remove Classes and Labels',
      );
      if (!go) return undefined;
      await s.setClasses(classes, true);
    }
    void vscode.window.showInformationMessage(`SelfLabel: classes set — ${classes.join(', ')}.`);
    this.changed();
    this.proposalsEmitter.fire();
    return classes;
  }

  /** Export: quick pick + save dialog, or `{format, out}` given by a caller (tests). */
  async exportLabels(given?: unknown): Promise<{ written: number; out: string } | undefined> {
    this.requireTrust('exporting labels');
    const s = this.requireSession();
    const p = await s.requireProject();
    if (given && typeof given === 'object') {
      const g = given as { format?: unknown; out?: unknown };
      if ((g.format === 'csv' || g.format === 'jsonl' || g.format === 'folders') && typeof g.out === 'string' && path.isAbsolute(g.out)) {
        const r = await p.exportLabels({ format: g.format, out: g.out });
        this.log.info(`exported ${r.written} labels as ${g.format} to ${g.out}`);
        return { written: r.written, out: g.out };
      }
      throw new UserError('export expects {format: "csv" | "jsonl" | "folders", out: absolute path}');
    }
    const formats = [
      { label: 'CSV', description: 'labels.csv: one row per labelled item', format: 'csv' as const },
      { label: 'JSONL', description: 'labels.jsonl: one JSON object per labelled item', format: 'jsonl' as const },
      { label: 'Folders', description: 'a copy of each labelled file in a folder per class', format: 'folders' as const },
    ];
    const pick = await vscode.window.showQuickPick(formats, { title: 'SelfLabel: export labels', placeHolder: 'Format' });
    if (!pick) return undefined;
    const root = vscode.Uri.file(s.root);
    let target: vscode.Uri | undefined;
    if (pick.format === 'folders') {
      const r = await vscode.window.showOpenDialog({ canSelectFolders: true, canSelectFiles: false, canSelectMany: false, defaultUri: root, openLabel: 'Export Here', title: 'Folder to export into' });
      target = r?.[0];
    } else {
      target = await vscode.window.showSaveDialog({
        defaultUri: vscode.Uri.joinPath(root, `labels.${pick.format}`),
        filters: pick.format === 'csv' ? { CSV: ['csv'] } : { JSONL: ['jsonl'] },
        title: 'Export labels to',
      });
    }
    if (!target) return undefined;
    if (target.scheme !== 'file') throw new UserError('Export needs a folder on disk.');
    const r = await p.exportLabels({ format: pick.format, out: target.fsPath });
    this.log.info(`exported ${r.written} labels as ${pick.format} to ${target.fsPath}`);
    void vscode.window.showInformationMessage(`SelfLabel: exported ${r.written} label${r.written === 1 ? '' : 's'} to ${target.fsPath}.`);
    return { written: r.written, out: target.fsPath };
  }

  async importLabels(given?: unknown): Promise<{ imported: number; skipped: number } | undefined> {
    this.requireTrust('importing labels');
    const s = this.requireSession();
    const p = await s.requireProject();
    let file: string | undefined;
    if (given instanceof vscode.Uri && given.scheme === 'file') file = given.fsPath;
    else {
      const r = await vscode.window.showOpenDialog({
        canSelectFiles: true,
        canSelectMany: false,
        defaultUri: vscode.Uri.file(s.root),
        filters: { 'Labels (CSV: item,label)': ['csv'] },
        openLabel: 'Import',
        title: 'Import labels',
      });
      if (!r?.[0]) return undefined;
      if (r[0].scheme !== 'file') throw new UserError('Import needs a file on disk.');
      file = r[0].fsPath;
    }
    const r = await p.importLabels(file);
    for (const sk of r.skipped.slice(0, 500)) this.log.warn(`import ${path.basename(file)} row ${sk.row}: ${sk.reason}`);
    await s.refreshFromDisk(true);
    const skipped = r.skipped.length ? ` ${r.skipped.length} row${r.skipped.length === 1 ? '' : 's'} skipped (see the SelfLabel log).` : '';
    const pick = await vscode.window.showInformationMessage(`SelfLabel: imported ${r.imported} label${r.imported === 1 ? '' : 's'}.${skipped}`, ...(r.skipped.length ? ['Show Log'] : []));
    if (pick) this.log.show();
    return { imported: r.imported, skipped: r.skipped.length };
  }

  async showStatus(): Promise<SideState> {
    const state = await this.sideState();
    const s = this.session;
    const status = s && this.hasStore() ? await s.status().catch(() => null) : null;
    const lines = [
      `folder: ${state.folder ?? '(none)'}${this.trusted ? '' : ' (untrusted)'}`,
      `classes: ${state.classes.map((c) => `${c.name} ${c.labelled}${c.proposed ? ` (+${c.proposed} proposed)` : ''}`).join(', ') || '(none)'}`,
      `items: ${state.items}, labelled: ${state.labelled}, open proposals: ${state.proposals}, skipped: ${state.skipped}`,
      `pretrained: ${status?.pretrained.map((t) => `${t.task} ${t.epochs} epochs`).join(', ') || 'no'}`,
      `model: ${status?.model ? `${status.model.version}${status.model.estimatedAccuracy !== undefined ? `, estimated accuracy ${(status.model.estimatedAccuracy * 100).toFixed(1)}%` : ''}` : 'none'}`,
      `backend: ${state.backend ?? 'not started'}`,
      `running: ${state.running ? state.running.stage : 'nothing'}`,
      `next: ${state.next.text}`,
    ];
    this.log.info(`status\n  ${lines.join('\n  ')}`);
    const pick = await vscode.window.showInformationMessage(
      `SelfLabel: ${state.items} items, ${state.labelled} labelled, ${state.proposals} proposals${state.accuracy !== null ? `, est. accuracy ${(state.accuracy * 100).toFixed(1)}%` : ''}. Next: ${state.next.text}`,
      'Show Details',
    );
    if (pick) this.log.show();
    return state;
  }

  // ---- review grid contents --------------------------------------------------------------------------------------------

  async reviewCells(): Promise<GridItem[]> {
    const s = this.getSession();
    if (!s || !this.hasStore()) return [];
    await s.getProject();
    return s.reviewCells();
  }

  async labelCells(): Promise<GridItem[]> {
    const s = this.getSession();
    if (!s || !this.hasStore()) return [];
    const folder = this.folder();
    return s.labelCells(labelBatchSize(folder?.uri));
  }

  /** Stops the running stage and the worker threads. */
  async shutdown(): Promise<void> {
    this.sessionSubscription?.dispose();
    const s = this.session;
    this.session = undefined;
    if (s) await s.dispose().catch((e) => this.log.error('stopping the workers failed', e));
  }

  dispose(): void {
    this.storeWatcher?.dispose();
    if (this.progressTimer) clearTimeout(this.progressTimer);
    if (this.stateTimer) clearTimeout(this.stateTimer);
    this.sessionSubscription?.dispose();
    const s = this.session;
    this.session = undefined;
    if (s) void s.dispose().catch(() => undefined);
    for (const d of this.disposables) d.dispose();
  }
}

const STAGE_ACTION: Record<RunnableStage, string> = { scan: 'scanning', pretrain: 'pretraining', train: 'training', propose: 'proposing labels' };
const STAGE_BUTTON: Record<RunnableStage, string> = { scan: 'Scan', pretrain: 'Pretrain', train: 'Train', propose: 'Propose' };
const COMMAND_BUTTON: Partial<Record<PanelCommand, string>> = {
  setClasses: 'Set Classes',
  reviewProposals: 'Review Proposals',
  labelNext: 'Label Items',
  export: 'Export',
};

function formatEta(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`;
  return `${Math.floor(s / 3600)} h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')} min`;
}

export { BusyError, UserError };
