/**
 * The side panel's host: a WebviewView in SelfLabel's activity-bar container. It pushes the side state (counts, the
 * next suggested action, the learning curve) and stage progress, and sends every button back through the shared
 * handlers.
 */
import * as vscode from 'vscode';
import type { Controller } from '../../controller';
import type { Log } from '../../log';
import { resourceRoots, webviewHtml, WebviewChannel, type Handled } from '../../webviewHost';
import { sharedNotifications, sharedRequests } from '../shared';

export class SidePanelHost implements vscode.WebviewViewProvider, vscode.Disposable {
  static readonly viewType = 'selflabel.panel';
  private channel: WebviewChannel | undefined;

  constructor(
    private readonly c: Controller,
    private readonly extensionUri: vscode.Uri,
    private readonly log: Log,
  ) {}

  resolveWebviewView(view: vscode.WebviewView): void {
    view.webview.options = { enableScripts: true, localResourceRoots: resourceRoots(this.extensionUri) };
    this.channel?.dispose();
    const channel = new WebviewChannel(view.webview, 'side panel', this.log, {
      requests: sharedRequests(this.c),
      notifications: sharedNotifications(this.c),
      onReady: () => void this.push('init'),
    });
    this.channel = channel;
    view.webview.html = webviewHtml(view.webview, this.extensionUri, { script: 'sidePanel', title: 'SelfLabel' });
    const subs = [
      this.c.onDidChangeState(() => void this.push('state')),
      this.c.onDidChangeProgress((p) => channel.notify('progress', p)),
      this.c.onDidChangeLabels(() => this.c.changed()),
      view.onDidChangeVisibility(() => {
        if (!view.visible) channel.reset();
      }),
    ];
    view.onDidDispose(() => {
      for (const s of subs) s.dispose();
      channel.dispose();
      if (this.channel === channel) this.channel = undefined;
    });
  }

  private async push(kind: 'init' | 'state'): Promise<void> {
    const channel = this.channel;
    if (!channel) return;
    try {
      const state = await this.c.sideState();
      if (kind === 'init') channel.notify('init', { view: 'side', state });
      else channel.notify('state', state);
    } catch (e) {
      this.log.error('building the side panel state failed', e);
    }
  }

  /** For tests: feed a raw message to the side panel's channel as if the webview had sent it. */
  async receive(raw: unknown): Promise<Handled> {
    if (!this.channel) return { ok: false, reason: 'the side panel is not open' };
    return this.channel.handle(raw);
  }

  dispose(): void {
    this.channel?.dispose();
  }
}
