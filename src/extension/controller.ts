/**
 * Controller: the state the extension's features share — the workspace folder SelfLabel works on, its Session (the
 * engine, opened lazily), the store watcher, and the events the views listen to (side panel state, progress, label
 * updates, new proposals). It implements no command: those live in ./commands/<feature>.ts, the webview hosts in
 * ./webviews/<view>/, the trust policy in ./trust.ts, and what tests may reach in ./testApi.ts.
 */
import * as vscode from 'vscode';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ItemUpdate, SideState, StageProgress } from '../protocol/webview';
import { errorMessage, type Log } from './log';
import { BusyError, Session, UserError, type Change, type EngineModule } from './session';
import { affectsEngine, configOverrides } from './settings';
import { buildSideState, countByClass } from './viewState';
import { isTrusted } from './trust';

/** Something that shows the review grid (implemented by webviews/review/host.ts), so commands can target its focus. */
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
  private readonly warnEmitter = new vscode.EventEmitter<string>();
  private progressTimer: ReturnType<typeof setTimeout> | undefined;
  private stateTimer: ReturnType<typeof setTimeout> | undefined;
  /** Set by the review panel while it exists. */
  review: ReviewSurface | undefined;
  /** Opens the review panel (set by the review webview's registration). */
  openReview: (mode: 'review' | 'label') => Promise<void> = async () => undefined;

  /** Side panel state may have changed (debounced). */
  readonly onDidChangeState = this.stateEmitter.event;
  /** Progress of the running stage (throttled), null when it ends. */
  readonly onDidChangeProgress = this.progressEmitter.event;
  /** Items whose label or proposal changed. */
  readonly onDidChangeLabels = this.labelsEmitter.event;
  /** A new proposal set, a new scan or a new project: views reload. */
  readonly onDidChangeProposals = this.proposalsEmitter.event;
  /** A warning was shown to the user (the test API records them). */
  readonly onDidWarn = this.warnEmitter.event;

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
      this.warnEmitter,
      vscode.workspace.onDidChangeWorkspaceFolders(() => this.resetSession()),
      vscode.workspace.onDidGrantWorkspaceTrust(() => this.changed()),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (affectsEngine(e)) void this.session?.settingsChanged().catch((err) => this.log.error('applying settings failed', err));
      }),
    );
    void vscode.commands.executeCommand('setContext', 'selflabel.running', false);
  }

  // ---- workspace, session -------------------------------------------------------------------------------------------

  /** The workspace folder SelfLabel works on: the first one holding `.selflabel/`, else the first folder. */
  folder(): vscode.WorkspaceFolder | undefined {
    const folders = (vscode.workspace.workspaceFolders ?? []).filter((f) => f.uri.scheme === 'file');
    return folders.find((f) => fs.existsSync(path.join(f.uri.fsPath, '.selflabel', 'classes.json'))) ?? folders[0];
  }

  get trusted(): boolean {
    return isTrusted();
  }

  /** The session already open, if any (never opens one). */
  get openSession(): Session | undefined {
    return this.session;
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

  requireSession(): Session {
    const s = this.getSession();
    if (!s) throw new UserError('Open a folder first: SelfLabel works on a workspace folder on disk.');
    return s;
  }

  /** Shows a warning (and tells `onDidWarn` listeners). */
  warn(text: string, ...actions: string[]): Thenable<string | undefined> {
    this.warnEmitter.fire(text);
    return vscode.window.showWarningMessage(text, ...actions);
  }

  /** A new proposal set, scan or class list: views reload, and the side panel refreshes. */
  proposalsChanged(): void {
    this.changed();
    this.proposalsEmitter.fire();
  }

  /** Progress of a stage as the views show it (null: the stage ended). */
  reportProgress(p: StageProgress | null): void {
    this.progressEmitter.fire(p);
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
      lastRuns: s?.lastRuns ?? [],
      problem: problem ?? s?.problem ?? null,
      proposedByClass: proposed,
      backend: s?.current?.backend,
      scanned: this.scanned(folder),
    });
  }

  /** True once a scan has written the folder's item list (`.selflabel/cache/items.json`, src/core/paths.ts). */
  scanned(folder = this.folder()): boolean {
    return !!folder && fs.existsSync(path.join(folder.uri.fsPath, '.selflabel', 'cache', 'items.json'));
  }

  /** True if the folder has a SelfLabel store (so opening the project will not fail). */
  hasStore(folder = this.folder()): boolean {
    return !!folder && fs.existsSync(path.join(folder.uri.fsPath, '.selflabel', 'classes.json'));
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

export { BusyError, UserError };
