/**
 * The review grid's host: a WebviewPanel in the editor area, one at a time, in "review" mode (open proposals) or
 * "label" mode (the items most worth labelling). It pushes the grid's state, label updates and progress, serves
 * thumbnails, tracks the focused cell (the "current item" of the editor commands) and sends every action through
 * the shared handlers, which write it to the label store before answering.
 */
import * as vscode from 'vscode';
import type { GridItem, ReviewMode, ReviewState } from '../../../protocol/webview';
import type { Controller, ReviewSurface } from '../../controller';
import type { Log } from '../../log';
import { errorMessage } from '../../log';
import { autoPlayAudio, confidenceThreshold, labelBatchSize } from '../../settings';
import { readMedia, readThumbnails, workerPreviews } from '../../thumbnails';
import { emptyScanMessage, gridThreshold, reviewEmptyMessage, suggestionCell } from '../../viewState';
import { resourceRoots, webviewHtml, WebviewChannel, type Handled } from '../../webviewHost';
import { sharedNotifications, sharedRequests } from '../shared';

export class ReviewHost implements ReviewSurface, vscode.Disposable {
  static readonly viewType = 'selflabel.review';
  private static instance: ReviewHost | undefined;

  private readonly channel: WebviewChannel;
  private readonly disposables: vscode.Disposable[] = [];
  private disposed = false;
  private mode: ReviewMode;
  /** Items picked on the embedding map ("Open in review grid"), shown in label mode instead of the suggestions. */
  private selection: { ids: string[]; title: string; cells?: GridItem[] } | undefined;
  focusedItem: string | null = null;

  /** Shows the review panel in `mode` (creating it, or switching the open one). */
  static async show(c: Controller, extensionUri: vscode.Uri, log: Log, mode: ReviewMode): Promise<ReviewHost> {
    const existing = ReviewHost.instance;
    if (existing) {
      existing.panel.reveal(undefined, false);
      if (existing.mode !== mode) {
        existing.mode = mode;
        await existing.reload();
      }
      return existing;
    }
    const panel = vscode.window.createWebviewPanel(
      ReviewHost.viewType,
      mode === 'review' ? 'SelfLabel: Review' : 'SelfLabel: Label',
      vscode.ViewColumn.Active,
      { enableScripts: true, retainContextWhenHidden: true, localResourceRoots: resourceRoots(extensionUri) },
    );
    panel.iconPath = vscode.Uri.joinPath(extensionUri, 'media', 'selflabel.svg');
    const rp = new ReviewHost(panel, c, extensionUri, log, mode);
    ReviewHost.instance = rp;
    return rp;
  }

  /**
   * Shows the review panel in label mode on these items: a selection made on the embedding map, or given cells (the
   * likely label errors, each showing the model's class: A changes to it, a number key to another, X keeps).
   */
  static async showSelection(
    c: Controller,
    extensionUri: vscode.Uri,
    log: Log,
    items: string[],
    opts: { title?: string; cells?: GridItem[] } = {},
  ): Promise<ReviewHost> {
    const h = await ReviewHost.show(c, extensionUri, log, 'label');
    const ids = [...new Set(items)];
    h.selection = { ids, title: opts.title ?? `SelfLabel: Label (${ids.length} from the map)`, cells: opts.cells };
    await h.reload();
    return h;
  }

  static get current(): ReviewHost | undefined {
    return ReviewHost.instance;
  }

  private constructor(
    readonly panel: vscode.WebviewPanel,
    private readonly c: Controller,
    extensionUri: vscode.Uri,
    private readonly log: Log,
    mode: ReviewMode,
  ) {
    this.mode = mode;
    this.channel = new WebviewChannel(panel.webview, 'review', log, {
      requests: {
        ...sharedRequests(c),
        setMode: async ({ mode: m }) => {
          this.mode = m;
          this.selection = undefined;
          await this.reload();
          return null;
        },
        thumbnails: async ({ items }) => {
          const s = c.getSession();
          const p = s?.current;
          if (!s || !p) return { thumbnails: [] };
          const base = this.panel.webview.asWebviewUri(vscode.Uri.file(s.root)).toString();
          // The project is open, so the engine bundle is loaded already: this import is the cached module.
          return { thumbnails: await readThumbnails(s.root, items, (id) => p.getItem(id), base, await workerPreviews()) };
        },
        media: async ({ item }) => {
          const s = c.getSession();
          const p = s?.current;
          if (!s || !p) throw new Error('No project is open.');
          return readMedia(s.root, item, (id) => p.getItem(id), await workerPreviews());
        },
      },
      notifications: {
        ...sharedNotifications(c),
        focus: ({ item }) => {
          this.focusedItem = item;
        },
      },
      onReady: () => void this.sendState(true),
    });
    panel.webview.html = webviewHtml(panel.webview, extensionUri, { script: 'review', title: 'SelfLabel review', media: true });
    c.review = this;
    void vscode.commands.executeCommand('setContext', 'selflabel.reviewActive', panel.active);
    this.disposables.push(
      this.channel,
      c.onDidChangeLabels((updates) => this.channel.notify('updates', { updates })),
      c.onDidChangeProposals(() => {
        // Label mode keeps its list (recomputing suggestions costs an embedding pass); review mode reloads.
        if (this.mode === 'review') void this.reload();
      }),
      c.onDidChangeProgress((p) => this.channel.notify('progress', p)),
      vscode.workspace.onDidGrantWorkspaceTrust(() => void this.reload()),
      panel.onDidChangeViewState(() => {
        void vscode.commands.executeCommand('setContext', 'selflabel.reviewActive', panel.active);
      }),
      panel.onDidDispose(() => this.dispose()),
    );
  }

  get active(): boolean {
    return this.panel.active;
  }

  get currentMode(): ReviewMode {
    return this.mode;
  }

  /** Rebuilds the grid (new proposals, new mode). */
  async reload(): Promise<void> {
    this.panel.title = this.selection ? this.selection.title : this.mode === 'review' ? 'SelfLabel: Review' : 'SelfLabel: Label';
    await this.sendState(false);
  }

  private async sendState(init: boolean): Promise<void> {
    let state: ReviewState;
    try {
      state = await this.buildState();
    } catch (e) {
      this.log.error('building the review grid failed', e);
      state = this.emptyState(`Could not load the items: ${errorMessage(e)}`);
    }
    if (init) this.channel.notify('init', { view: 'review', state });
    else this.channel.notify('review', state);
  }

  private emptyState(message: string, classes: string[] = []): ReviewState {
    return {
      mode: this.mode,
      classes,
      items: [],
      imageBase: null,
      threshold: confidenceThreshold(),
      trusted: vscode.workspace.isTrusted,
      empty: message,
    };
  }

  private async buildState(): Promise<ReviewState> {
    const s = this.c.getSession();
    if (!s) return this.emptyState('Open a folder to label its files.');
    if (!this.c.hasStore()) return this.emptyState('Set the classes first (SelfLabel: Set Classes).');
    const p = await s.requireProject();
    const classes = p.classes();
    if (p.getItems().length === 0) {
      return this.emptyState(
        this.c.scanned() ? emptyScanMessage((await s.status())?.skipped ?? 0) : 'No items yet: run SelfLabel: Scan.',
        classes,
      );
    }
    const sel = this.mode === 'label' ? this.selection : undefined;
    const items = sel?.cells
      ? sel.cells
      : sel
        ? sel.ids.map((id) => {
            const q = s.openProposals.get(id);
            const pr = q ?? p.predictionFor(id);
            const cell = suggestionCell(
              { item: id, score: 1, reason: 'uncertain', predicted: pr?.label, confidence: pr?.confidence },
              p.getItem(id),
              p.labelOf(id),
            );
            cell.reason = q ? 'proposed · selected on the map' : 'selected on the map';
            return cell;
          })
        : this.mode === 'review'
          ? s.reviewCells()
          : await s.labelCells(labelBatchSize(vscode.Uri.file(s.root)));
    let empty: string | null = null;
    if (items.length === 0) {
      empty = this.mode === 'review' ? reviewEmptyMessage(p.proposalThreshold() !== undefined) : 'Every item is labelled.';
    }
    return {
      mode: this.mode,
      classes,
      items,
      imageBase: this.panel.webview.asWebviewUri(vscode.Uri.file(s.root)).toString(),
      threshold: gridThreshold(confidenceThreshold(vscode.Uri.file(s.root)), p.proposalThreshold()),
      trusted: vscode.workspace.isTrusted,
      empty,
      autoPlay: autoPlayAudio(vscode.Uri.file(s.root)),
    };
  }

  /** For tests: feed a raw message to the review channel as if the webview had sent it. */
  receive(raw: unknown): Promise<Handled> {
    return this.channel.handle(raw);
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    if (ReviewHost.instance === this) ReviewHost.instance = undefined;
    if (this.c.review === this) this.c.review = undefined;
    void vscode.commands.executeCommand('setContext', 'selflabel.reviewActive', false);
    for (const d of this.disposables) d.dispose();
    this.panel.dispose();
  }
}
