/**
 * Host side of a SelfLabel webview: the HTML shell with a strict Content-Security-Policy and a per-load nonce, the
 * resource roots, and `WebviewChannel`, which validates every incoming message against src/protocol/webview.ts
 * (malformed ones are dropped with a logged warning), dispatches requests to typed handlers, answers them with
 * responses, and sends notifications only after the webview's `ready` handshake.
 */
import * as vscode from 'vscode';
import { randomBytes } from 'node:crypto';
import {
  parseFromWebview,
  type HostMethod,
  type HostNotifications,
  type HostNotifyMethod,
  type HostRequests,
  type WebviewNotifications,
  type WebviewNotifyMethod,
} from '../protocol/webview';
import { errorMessage, type Log } from './log';

/** A fresh random nonce for one page load. */
export function makeNonce(): string {
  return randomBytes(18).toString('base64');
}

/** The Content-Security-Policy of every SelfLabel webview. */
export function contentSecurityPolicy(cspSource: string, nonce: string, opts: { media?: boolean } = {}): string {
  return [
    `default-src 'none'`,
    `img-src ${cspSource} data:`,
    // The review grid plays audio clips the host sends by item id as data: URLs; nothing else, no file URLs.
    ...(opts.media ? [`media-src data:`] : []),
    `style-src ${cspSource} 'nonce-${nonce}'`,
    `script-src 'nonce-${nonce}'`,
    `font-src ${cspSource}`,
  ].join('; ');
}

/** Webviews may load files only from the extension's dist/ and media/ and from the workspace folders. */
export function resourceRoots(extensionUri: vscode.Uri): vscode.Uri[] {
  return [
    vscode.Uri.joinPath(extensionUri, 'dist'),
    vscode.Uri.joinPath(extensionUri, 'media'),
    ...(vscode.workspace.workspaceFolders ?? []).map((f) => f.uri),
  ];
}

const escapeAttr = (s: string) => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/**
 * The HTML shell: CSP, codicons, and the view's bundle (dist/webview/<script>.js), all nonce'd. The nonce is also
 * published in `<meta property="csp-nonce">`, where the toolkit (FAST) and our style injection read it to create
 * their <style> elements; it only ever allows styles and scripts of this one page load.
 */
export function webviewHtml(
  webview: vscode.Webview,
  extensionUri: vscode.Uri,
  opts: { script: 'sidePanel' | 'review' | 'map'; title: string; media?: boolean },
): string {
  const nonce = makeNonce();
  const script = webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'dist', 'webview', `${opts.script}.js`));
  const codicons = webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'media', 'codicons', 'codicon.css'));
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${escapeAttr(contentSecurityPolicy(webview.cspSource, nonce, { media: opts.media }))}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<meta property="csp-nonce" content="${escapeAttr(nonce)}">
<link rel="stylesheet" nonce="${escapeAttr(nonce)}" href="${escapeAttr(codicons.toString())}">
<title>${escapeAttr(opts.title)}</title>
</head>
<body data-view="${opts.script}">
<script nonce="${escapeAttr(nonce)}" src="${escapeAttr(script.toString())}"></script>
</body>
</html>`;
}

export type RequestHandlers = { [M in HostMethod]?: (params: HostRequests[M]['params']) => Promise<HostRequests[M]['result']> };
export type NotificationHandlers = { [M in Exclude<HostNotifyMethod, 'ready'>]?: (params: HostNotifications[M]) => void };

/** Outcome of handling one raw message (returned for tests). */
export type Handled = { ok: true; method: string } | { ok: false; reason: string };

export class WebviewChannel implements vscode.Disposable {
  private isReady = false;
  private disposed = false;
  private readonly subscription: vscode.Disposable;
  /** Messages dropped as malformed (for diagnostics and tests). */
  ignored = 0;

  constructor(
    private readonly webview: vscode.Webview,
    private readonly name: string,
    private readonly log: Log,
    private readonly handlers: { requests: RequestHandlers; notifications: NotificationHandlers; onReady: () => void },
  ) {
    this.subscription = webview.onDidReceiveMessage((m: unknown) => void this.handle(m));
  }

  get ready(): boolean {
    return this.isReady;
  }

  /** Validates and dispatches one raw message. Never throws. */
  async handle(raw: unknown): Promise<Handled> {
    const parsed = parseFromWebview(raw);
    if (!parsed.ok) {
      this.ignored++;
      this.log.warn(`ignored a malformed message from the ${this.name} webview: ${parsed.reason}`);
      return { ok: false, reason: parsed.reason };
    }
    const msg = parsed.message;
    if (msg.kind === 'notify') {
      if (msg.method === 'ready') {
        this.isReady = true;
        try {
          this.handlers.onReady();
        } catch (e) {
          this.log.error(`${this.name} webview: ready handler failed`, e);
        }
      } else {
        const h = this.handlers.notifications[msg.method] as ((p: unknown) => void) | undefined;
        try {
          h?.(msg.params);
        } catch (e) {
          this.log.error(`${this.name} webview: "${msg.method}" failed`, e);
        }
      }
      return { ok: true, method: msg.method };
    }
    const h = this.handlers.requests[msg.method] as ((p: unknown) => Promise<unknown>) | undefined;
    if (!h) {
      this.post({ kind: 'response', id: msg.id, ok: false, error: `"${msg.method}" is not available in this view` });
      return { ok: true, method: msg.method };
    }
    try {
      const result = await h(msg.params);
      this.post({ kind: 'response', id: msg.id, ok: true, result: result ?? null });
    } catch (e) {
      const error = errorMessage(e);
      if (!(e instanceof Error && ['UserError', 'BusyError', 'UntrustedError', 'ProjectError'].includes(e.name))) {
        this.log.error(`${this.name} webview: "${msg.method}" failed`, e);
      } else {
        this.log.warn(`${this.name} webview: "${msg.method}": ${error}`);
      }
      this.post({ kind: 'response', id: msg.id, ok: false, error });
    }
    return { ok: true, method: msg.method };
  }

  /** Sends a notification; dropped (returns false) until the webview said `ready`. */
  notify<M extends WebviewNotifyMethod>(method: M, params: WebviewNotifications[M]): boolean {
    if (!this.isReady) return false;
    this.post({ kind: 'notify', method, params });
    return true;
  }

  /** The webview reloaded its page (new HTML): wait for a new `ready`. */
  reset(): void {
    this.isReady = false;
  }

  private post(message: unknown): void {
    if (this.disposed) return;
    let sent: Thenable<boolean>;
    try {
      sent = this.webview.postMessage(message);
    } catch (e) {
      // The view was closed between the request and the answer.
      this.log.warn(`${this.name} webview: message not sent: ${errorMessage(e)}`);
      return;
    }
    sent.then(
      // Not delivered = the view is hidden or gone; it re-sends `ready` and gets fresh state when shown again.
      () => undefined,
      (e) => this.log.error(`${this.name} webview: postMessage failed`, e),
    );
  }

  dispose(): void {
    this.disposed = true;
    this.isReady = false;
    this.subscription.dispose();
  }
}
