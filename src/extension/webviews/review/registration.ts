/** Makes "open the review grid" available to the commands (Controller.openReview). */
import type * as vscode from 'vscode';
import type { Controller } from '../../controller';
import type { Log } from '../../log';
import { ReviewHost } from './host';

export function registerReview(c: Controller, extensionUri: vscode.Uri, log: Log): void {
  c.openReview = async (mode) => {
    await ReviewHost.show(c, extensionUri, log, mode);
  };
}
