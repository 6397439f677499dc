/**
 * Registers command tables (one per feature file in this folder). Every handler runs inside one error policy: user
 * errors become warnings, an untrusted workspace gets the refusal with a "Manage Workspace Trust" button, anything
 * else an error message with "Show Log".
 */
import * as vscode from 'vscode';
import type { Controller } from '../controller';
import { errorMessage } from '../log';
import { UntrustedError, showUntrusted } from '../trust';

/** Command id → handler (arguments as VS Code passes them: CodeLens arguments, a Uri from a menu, or none). */
export type CommandTable = Record<string, (...args: unknown[]) => unknown>;

const USER_ERRORS = ['UserError', 'BusyError', 'UntrustedError', 'ProjectError', 'OutsideWorkspaceError'];
const isUserError = (e: unknown) => e instanceof Error && USER_ERRORS.includes(e.name);

/** Runs `fn`; its errors become messages (user errors as warnings, others as errors with the log) and `undefined`. */
export async function guarded<T>(c: Controller, id: string, fn: () => T | Promise<T>): Promise<T | undefined> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof UntrustedError) {
      c.log.warn(`${id}: ${errorMessage(e)}`);
      void showUntrusted(`SelfLabel: ${errorMessage(e)}`, (t, ...a) => c.warn(t, ...a));
    } else if (isUserError(e)) {
      c.log.warn(`${id}: ${errorMessage(e)}`);
      void c.warn(`SelfLabel: ${errorMessage(e)}`);
    } else {
      c.log.error(`${id} failed`, e);
      void vscode.window.showErrorMessage(`SelfLabel: ${errorMessage(e)}`, 'Show Log').then((a) => a && c.log.show());
    }
    return undefined;
  }
}

export function registerCommands(c: Controller, ...tables: CommandTable[]): vscode.Disposable[] {
  const out: vscode.Disposable[] = [];
  for (const table of tables) {
    for (const [id, fn] of Object.entries(table))
      out.push(vscode.commands.registerCommand(id, (...args: unknown[]) => guarded(c, id, () => fn(...args))));
  }
  return out;
}
