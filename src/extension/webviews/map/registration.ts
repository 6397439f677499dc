/** Makes "show the embedding map" available to the commands (src/extension/commands/map.ts). */
import type * as vscode from 'vscode';
import type { Controller } from '../../controller';
import type { Log } from '../../log';
import { MapHost } from './host';

let opener: (() => MapHost) | undefined;

export function registerMap(c: Controller, extensionUri: vscode.Uri, log: Log): void {
  opener = () => MapHost.show(c, extensionUri, log);
}

/** Shows the embedding map (creating it, or revealing the open one). */
export function openMap(): MapHost {
  if (!opener) throw new Error('the embedding map is not registered');
  return opener();
}
