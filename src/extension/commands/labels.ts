/**
 * The class list: Set Classes (an input box). A list the engine still refuses after Enter reopens the box with the
 * text and the reason, so nothing typed is lost; removing classes that still have labels asks first.
 */
import * as vscode from 'vscode';
import type { Controller } from '../controller';
import { errorMessage } from '../log';
import { UserError } from '../session';
import { requireTrust } from '../trust';
import { parseClassList } from '../viewState';
import { COMMANDS } from './ids';
import type { CommandTable } from './registry';

export function labelCommands(c: Controller): CommandTable {
  return { [COMMANDS.setClasses]: () => setClasses(c) };
}

/** Set classes: the input box when `given` is undefined, else that list (the test API and the walkthrough). */
export async function setClasses(c: Controller, given?: readonly string[]): Promise<string[] | undefined> {
  requireTrust('setClasses');
  const s = c.requireSession();
  const current = c.hasStore() ? ((await s.getProject())?.classes() ?? []) : [];
  if (given !== undefined) {
    const parsed = parseClassList(given.join(','));
    if ('error' in parsed) throw new UserError(parsed.error);
    return apply(c, parsed.classes);
  }
  let text = current.join(', ');
  let refused: string | undefined;
  for (;;) {
    const typed = await vscode.window.showInputBox({
      title: 'SelfLabel: classes',
      prompt: refused ?? 'The classes to label, separated by commas. Their order sets the number keys 1–9 in the review grid.',
      placeHolder: 'cat, dog, bird',
      value: text,
      validateInput: (v) => {
        const r = parseClassList(v);
        return 'error' in r ? r.error : undefined;
      },
    });
    if (typed === undefined) return undefined;
    text = typed;
    const parsed = parseClassList(typed);
    if ('error' in parsed) {
      refused = parsed.error;
      continue;
    }
    try {
      return await apply(c, parsed.classes);
    } catch (e) {
      if ((e as { code?: unknown } | undefined)?.code !== 'invalid-classes') throw e;
      // Refused by the engine after Enter: ask again with the text kept and the reason shown.
      refused = `Not set: ${errorMessage(e)}`;
      c.log.warn(`set classes: ${errorMessage(e)}`);
    }
  }
}

async function apply(c: Controller, classes: string[]): Promise<string[] | undefined> {
  const s = c.requireSession();
  try {
    await s.setClasses(classes);
  } catch (e) {
    // The store's code for "those classes still have labels" (never a regex on the message).
    if ((e as { code?: unknown } | undefined)?.code !== 'classes-in-use') throw e;
    const msg = errorMessage(e);
    const go = await vscode.window.showWarningMessage(
      `SelfLabel: some classes you removed still have labels (${msg}). Remove those classes and their labels?`,
      { modal: true },
      'Remove Classes and Labels',
    );
    if (!go) return undefined;
    await s.setClasses(classes, true);
  }
  void vscode.window.showInformationMessage(`SelfLabel: classes set — ${classes.join(', ')}.`);
  c.proposalsChanged();
  return classes;
}
