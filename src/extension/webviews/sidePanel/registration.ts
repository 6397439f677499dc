/** Registers the side panel's webview view provider. */
import * as vscode from 'vscode';
import type { Controller } from '../../controller';
import type { Log } from '../../log';
import { SidePanelHost } from './host';

export function registerSidePanel(
  c: Controller,
  extensionUri: vscode.Uri,
  log: Log,
): { host: SidePanelHost; disposables: vscode.Disposable[] } {
  const host = new SidePanelHost(c, extensionUri, log);
  return { host, disposables: [host, vscode.window.registerWebviewViewProvider(SidePanelHost.viewType, host)] };
}
