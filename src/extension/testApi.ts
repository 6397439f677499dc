/**
 * The test-only API: what the integration tests (test/integration) reach inside the running extension, kept out of
 * the product's commands and API. Commands take only what VS Code itself passes them (a CodeLens's item id, a Uri
 * from a menu); the tests' shortcuts past the dialogs — classes without the input box, an export without the save
 * dialog, a label without the quick pick — and the record of the warnings shown live here, and run through the same
 * error policy as the commands. `activate` attaches it only outside production mode (Development / Test), or when
 * SELFLABEL_TEST_API=1 (the `packaged` suite installs the .vsix, which runs in production mode).
 */
import type * as vscode from 'vscode';
import type { ItemUpdate, SideState } from '../protocol/webview';
import { exportLabels, type ExportFormat } from './commands/importExport';
import { changeClasses, setClasses } from './commands/labels';
import type { SchemaChange } from '../core/store/labelStore';
import { guarded } from './commands/registry';
import { correctCurrent } from './commands/review';
import { COMMANDS } from './commands/ids';
import type { Controller } from './controller';
import type { Session } from './session';
import type { Handled } from './webviewHost';

export interface SelfLabelTestApi {
  /** Warnings shown to the user since activation, newest last (the last 50). */
  readonly warnings: readonly string[];
  /** The open session (opens it for the workspace folder if needed; never loads the engine). */
  session(): Session | undefined;
  /** The side panel's state as the host would push it. */
  sideState(): Promise<SideState>;
  /** Feeds a raw message to a webview's channel as if the webview had posted it (validation included). */
  postFromWebview(view: 'side' | 'review', raw: unknown): Promise<Handled>;
  /** Set Classes with the list given instead of the input box (errors become warnings, like the command's). */
  setClasses(classes: readonly string[]): Promise<string[] | undefined>;
  changeClasses(change: SchemaChange): Promise<string[] | undefined>;
  /** Export without the dialogs. */
  exportLabels(format: ExportFormat, out: string): Promise<{ written: number; out: string } | undefined>;
  /** Change… with the class given instead of the quick pick (`item` undefined: the current item). */
  changeLabel(item: string | undefined, label: string): Promise<ItemUpdate[] | undefined>;
}

export function createTestApi(
  c: Controller,
  post: SelfLabelTestApi['postFromWebview'],
): { api: SelfLabelTestApi; disposable: vscode.Disposable } {
  const warnings: string[] = [];
  const disposable = c.onDidWarn((text) => {
    warnings.push(text);
    if (warnings.length > 50) warnings.shift();
  });
  const api: SelfLabelTestApi = {
    warnings,
    session: () => c.getSession(),
    sideState: () => c.sideState(),
    postFromWebview: post,
    setClasses: async (classes) => (await guarded(c, COMMANDS.setClasses, () => setClasses(c, classes))) ?? undefined,
    changeClasses: async (change) => (await guarded(c, COMMANDS.changeClasses, () => changeClasses(c, change))) ?? undefined,
    exportLabels: (format, out) => guarded(c, COMMANDS.export, () => exportLabels(c, { format, out })),
    changeLabel: (item, label) => guarded(c, COMMANDS.correctCurrent, () => correctCurrent(c, item, label)),
  };
  return { api, disposable };
}
