/**
 * Workspace trust, in one place (package.json `capabilities.untrustedWorkspaces`: limited). In an untrusted workspace
 * SelfLabel is read-only: it activates, and shows the classes, labels and proposals already in `.selflabel/` (side
 * panel, review grid, CodeLens, status). Everything that runs the engine over the workspace's files or starts
 * training workers (scan, pretrain, train, propose, label next), or writes anything (set classes, label / accept /
 * reject / change / undo, import, export), is refused with {@link untrustedMessage} and a "Manage Workspace Trust"
 * button. VS Code itself ignores the workspace's values of the settings listed in `restrictedConfigurations` (globs,
 * workers, backend, pretraining limits).
 *
 * Every guarded action is named in {@link TRUSTED_ACTIONS}; commands and webview requests call {@link requireTrust}
 * with one of those keys, so the message a user sees for an action is the same wherever it was started.
 */
import * as vscode from 'vscode';
import type { RunnableStage } from '../protocol/webview';
import { UserError } from './session';

/** What each guarded action is called in the refusal ("scanning is disabled because …"). */
export const TRUSTED_ACTIONS = {
  scan: 'scanning',
  pretrain: 'pretraining',
  train: 'training',
  propose: 'proposing labels',
  setClasses: 'setting the classes',
  label: 'labelling',
  accept: 'accepting a proposal',
  reject: 'rejecting a proposal',
  correct: 'changing a label',
  undo: 'undoing a label',
  import: 'importing labels',
  export: 'exporting labels',
} as const satisfies Record<RunnableStage, string> & Record<string, string>;

export type TrustedAction = keyof typeof TRUSTED_ACTIONS;

export function untrustedMessage(action: TrustedAction): string {
  return `SelfLabel: ${TRUSTED_ACTIONS[action]} is disabled because this workspace is not trusted. In Restricted Mode SelfLabel only shows the classes, labels and proposals already in .selflabel/ — trust the workspace to scan, train, label, import or export.`;
}

/** An action refused because the workspace is not trusted (shown with a "Manage Workspace Trust" button). */
export class UntrustedError extends UserError {
  override name = 'UntrustedError';
  constructor(readonly action: TrustedAction) {
    super(untrustedMessage(action).replace(/^SelfLabel: /, ''));
  }
}

export function isTrusted(): boolean {
  return vscode.workspace.isTrusted;
}

/** Throws an {@link UntrustedError} naming `action` when the workspace is not trusted. */
export function requireTrust(action: TrustedAction): void {
  if (!isTrusted()) throw new UntrustedError(action);
}

/** Tells the user an action is disabled here, with a button that opens VS Code's Workspace Trust editor. */
export async function showUntrusted(
  message: string,
  warn: (text: string, ...actions: string[]) => Thenable<string | undefined>,
): Promise<void> {
  const pick = await warn(message, 'Manage Workspace Trust');
  if (pick) await vscode.commands.executeCommand('workbench.trust.manage');
}
