/**
 * The embedding map's host: a WebviewPanel in the editor area, one at a time. On `ready` it sends every item's
 * point in the PCA layout at once (computed in a worker, or read from the cache), then computes UMAP in the
 * background and sends that layout when it is done; label changes made anywhere are pushed as updates, and a new
 * model or new proposals (a retrain) rebuild the state (the layouts are cached by the embeddings' hash, so they are
 * recomputed only when the embeddings changed). The selection's actions go through the same handlers as the
 * review grid's (trust, the label store: durable before the answer), "Label all as …" as one journal batch.
 */
import * as vscode from 'vscode';
import type { MapLayoutMethod, MapState } from '../../../protocol/webview';
import type { Controller } from '../../controller';
import type { Log } from '../../log';
import { errorMessage } from '../../log';
import { readThumbnails, workerPreviews } from '../../thumbnails';
import { requireTrust } from '../../trust';
import { resourceRoots, webviewHtml, WebviewChannel, type Handled } from '../../webviewHost';
import { ReviewHost } from '../review/host';
import { sharedNotifications, sharedRequests } from '../shared';
import { buildMapState, emptyMapState, hoverInfo } from './state';

export class MapHost implements vscode.Disposable {
  static readonly viewType = 'selflabel.map';
  private static instance: MapHost | undefined;

  private readonly channel: WebviewChannel;
  private readonly disposables: vscode.Disposable[] = [];
  private disposed = false;
  /** Cancels the background UMAP of an older state. */
  private umap: AbortController | undefined;
  private generation = 0;
  private reloadTimer: ReturnType<typeof setTimeout> | undefined;
  /** The layout shown now and what is computing (for tests and the status line). */
  shown: { method: MapLayoutMethod | null; computing: MapLayoutMethod | null; points: number } = {
    method: null,
    computing: null,
    points: 0,
  };

  static show(c: Controller, extensionUri: vscode.Uri, log: Log): MapHost {
    const existing = MapHost.instance;
    if (existing) {
      existing.panel.reveal(undefined, false);
      return existing;
    }
    const panel = vscode.window.createWebviewPanel(MapHost.viewType, 'SelfLabel: Embedding Map', vscode.ViewColumn.Active, {
      enableScripts: true,
      retainContextWhenHidden: true,
      localResourceRoots: resourceRoots(extensionUri),
    });
    panel.iconPath = vscode.Uri.joinPath(extensionUri, 'media', 'selflabel.svg');
    const h = new MapHost(panel, c, extensionUri, log);
    MapHost.instance = h;
    return h;
  }

  static get current(): MapHost | undefined {
    return MapHost.instance;
  }

  private constructor(
    readonly panel: vscode.WebviewPanel,
    private readonly c: Controller,
    extensionUri: vscode.Uri,
    private readonly log: Log,
  ) {
    this.channel = new WebviewChannel(panel.webview, 'map', log, {
      requests: {
        ...sharedRequests(c),
        labelMany: async ({ items, label }) => {
          requireTrust('label');
          return { updates: await c.requireSession().labelMany(items, label) };
        },
        openInGrid: async ({ items }) => {
          await ReviewHost.showSelection(c, extensionUri, log, items);
          return null;
        },
        itemInfo: async ({ item }) => {
          const s = c.getSession();
          const p = s?.current;
          if (!s || !p) return null;
          const info = hoverInfo(item, p.getItem(item));
          // Images and audio clips have a thumbnail (their plugin's); texts and rows show their text.
          if (info && (info.kind === 'image' || info.kind === 'audio')) {
            const base = this.panel.webview.asWebviewUri(vscode.Uri.file(s.root)).toString();
            const [t] = await readThumbnails(s.root, [item], (id) => p.getItem(id), base, await workerPreviews());
            if (t) info.thumbnail = t.src;
          }
          return info;
        },
      },
      notifications: sharedNotifications(c),
      onReady: () => void this.refresh(true),
    });
    panel.webview.html = webviewHtml(panel.webview, extensionUri, { script: 'map', title: 'SelfLabel embedding map' });
    this.disposables.push(
      this.channel,
      c.onDidChangeLabels((updates) => this.channel.notify('updates', { updates })),
      // A retrain, new proposals, a new scan or new classes: rebuild (debounced; layouts come from the cache).
      c.onDidChangeProposals(() => this.scheduleRefresh()),
      vscode.workspace.onDidGrantWorkspaceTrust(() => this.scheduleRefresh()),
      panel.onDidDispose(() => this.dispose()),
    );
  }

  private scheduleRefresh(): void {
    if (this.reloadTimer) clearTimeout(this.reloadTimer);
    this.reloadTimer = setTimeout(() => {
      this.reloadTimer = undefined;
      void this.refresh(false);
    }, 300);
  }

  /** Sends the whole state in the PCA layout, then computes UMAP and sends it when done. */
  async refresh(init: boolean): Promise<void> {
    const gen = ++this.generation;
    this.umap?.abort();
    this.umap = undefined;
    const trusted = vscode.workspace.isTrusted;
    let state: MapState;
    let umapNext = false;
    try {
      const s = this.c.getSession();
      if (!s) state = emptyMapState('Open a folder to see its items on the map.', [], trusted);
      else if (!this.c.hasStore()) state = emptyMapState('Set the classes first (SelfLabel: Set Classes).', [], trusted);
      else {
        const p = await s.requireProject();
        if (p.getItems().length === 0) state = emptyMapState('No items yet: run SelfLabel: Scan.', p.classes(), trusted);
        else {
          const layout = await p.embeddingMap({ method: 'pca' });
          umapNext = layout.ids.length >= 3;
          state = buildMapState(
            layout,
            {
              classes: p.classes(),
              labelOf: (id) => p.labelOf(id),
              proposal: (id) => s.openProposals.get(id),
              predictionFor: (id) => p.predictionFor(id),
              item: (id) => p.getItem(id),
            },
            { computing: umapNext ? 'umap' : null, trusted },
          );
        }
      }
    } catch (e) {
      const code = (e as { code?: unknown }).code;
      if (code === 'not-pretrained')
        state = emptyMapState('The map shows the encoders’ embeddings: run SelfLabel: Pretrain first.', [], trusted);
      else {
        this.log.error('building the embedding map failed', e);
        state = emptyMapState(`Could not build the map: ${errorMessage(e)}`, [], trusted);
      }
      umapNext = false;
    }
    if (gen !== this.generation || this.disposed) return;
    this.shown = { method: state.method, computing: state.computing, points: state.ids.length };
    if (init) this.channel.notify('init', { view: 'map', state });
    else this.channel.notify('mapState', state);
    if (umapNext) await this.computeUmap(gen, state.ids);
  }

  private async computeUmap(gen: number, ids: readonly string[]): Promise<void> {
    const p = this.c.getSession()?.current;
    if (!p) return;
    const ac = new AbortController();
    this.umap = ac;
    try {
      const u = await p.embeddingMap({ method: 'umap', signal: ac.signal });
      if (gen !== this.generation || this.disposed) return;
      if (u.ids.length !== ids.length || u.ids.some((id, i) => id !== ids[i])) return void this.scheduleRefresh();
      this.shown = { method: 'umap', computing: null, points: ids.length };
      this.channel.notify('mapLayout', { method: 'umap', xy: Array.from(u.xy, (v) => Math.round(v * 1e5) / 1e5), computing: null });
    } catch (e) {
      if (ac.signal.aborted || gen !== this.generation) return;
      this.log.warn(`embedding map: UMAP failed, keeping PCA: ${errorMessage(e)}`);
      this.shown = { ...this.shown, computing: null };
      this.channel.notify('mapLayout', { method: 'pca', xy: [], computing: null });
    } finally {
      if (this.umap === ac) this.umap = undefined;
    }
  }

  /** For tests: feed a raw message to the map channel as if the webview had sent it. */
  receive(raw: unknown): Promise<Handled> {
    return this.channel.handle(raw);
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.umap?.abort();
    if (this.reloadTimer) clearTimeout(this.reloadTimer);
    if (MapHost.instance === this) MapHost.instance = undefined;
    for (const d of this.disposables) d.dispose();
    this.panel.dispose();
  }
}
