/**
 * Webview side of the host ↔ webview protocol (src/protocol/webview.ts): typed requests with promise replies,
 * typed notifications, the `ready` handshake, and runtime validation of everything the host sends.
 */
import {
  parseFromHost,
  type HostMethod,
  type HostNotifications,
  type HostNotifyMethod,
  type HostRequests,
  type WebviewNotifications,
  type WebviewNotifyMethod,
} from '../../src/protocol/webview';

interface VsCodeApi {
  postMessage(message: unknown): void;
  getState(): unknown;
  setState(state: unknown): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

type Handler<M extends WebviewNotifyMethod> = (params: WebviewNotifications[M]) => void;

/** A request the host answered with an error. */
export class HostError extends Error {}

export class HostClient {
  private readonly api: VsCodeApi;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private readonly handlers = new Map<WebviewNotifyMethod, Handler<never>[]>();

  constructor() {
    this.api = acquireVsCodeApi();
    window.addEventListener('message', (e: MessageEvent) => this.receive(e.data));
  }

  /** Sends a request and resolves with the host's result (rejects with HostError on a failure reply). */
  request<M extends HostMethod>(method: M, params: HostRequests[M]['params']): Promise<HostRequests[M]['result']> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.api.postMessage({ kind: 'request', id, method, params });
    });
  }

  notify<M extends HostNotifyMethod>(method: M, params: HostNotifications[M]): void {
    this.api.postMessage({ kind: 'notify', method, params });
  }

  on<M extends WebviewNotifyMethod>(method: M, handler: Handler<M>): void {
    const list = this.handlers.get(method) ?? [];
    list.push(handler as Handler<never>);
    this.handlers.set(method, list);
  }

  /** Completes the handshake: call once every handler is registered. */
  ready(view: HostNotifications['ready']['view']): void {
    this.notify('ready', { view });
  }

  getState<T>(): T | undefined {
    return this.api.getState() as T | undefined;
  }

  setState(state: unknown): void {
    this.api.setState(state);
  }

  private receive(raw: unknown): void {
    const parsed = parseFromHost(raw);
    if (!parsed.ok) {
      console.warn(`[selflabel] ignored a malformed message from the host: ${parsed.reason}`);
      return;
    }
    const msg = parsed.message;
    if (msg.kind === 'response') {
      const p = this.pending.get(msg.id);
      if (!p) return;
      this.pending.delete(msg.id);
      if (msg.ok) p.resolve(msg.result);
      else p.reject(new HostError(msg.error));
      return;
    }
    for (const h of this.handlers.get(msg.method) ?? []) {
      try {
        (h as (p: unknown) => void)(msg.params);
      } catch (e) {
        console.error(`[selflabel] handler for "${msg.method}" failed`, e);
      }
    }
  }
}
