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
import type { SchemaChange } from '../../core/store/labelStore';

export function labelCommands(c: Controller): CommandTable {
  return { [COMMANDS.setClasses]: () => setClasses(c), [COMMANDS.changeClasses]: () => changeClasses(c) };
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

/**
 * Change Classes: rename, merge, split (a new class and some of a class's items), delete (its labels return to
 * unlabelled; the journal keeps them) or reorder (the number keys follow) — one undoable journal batch. `given`: the
 * change itself (the test API).
 */
export async function changeClasses(c: Controller, given?: SchemaChange): Promise<string[] | undefined> {
  requireTrust('setClasses');
  const s = c.requireSession();
  const p = await s.requireProject();
  const classes = p.classes();
  let change: SchemaChange | undefined = given;
  if (!change) {
    const pickClass = (title: string) =>
      vscode.window.showQuickPick(
        classes.map((k) => ({ label: k })),
        { title },
      );
    const ask = (title: string, value = '') =>
      vscode.window.showInputBox({
        title,
        value,
        validateInput: (v) => (v.trim() ? undefined : 'a class name'),
      });
    const action = await vscode.window.showQuickPick(
      [
        { label: 'Rename', op: 'rename' as const, detail: 'a class gets a new name; its labels follow' },
        { label: 'Merge', op: 'merge' as const, detail: 'several classes become one' },
        { label: 'Split', op: 'split' as const, detail: 'some items of a class go to a new class' },
        { label: 'Delete', op: 'delete' as const, detail: 'its labels return to unlabelled (the history keeps them)' },
        { label: 'Reorder', op: 'reorder' as const, detail: 'the order sets the number keys 1–9' },
      ],
      { title: 'SelfLabel: change classes (one undoable change)' },
    );
    if (!action) return undefined;
    if (action.op === 'rename') {
      const from = await pickClass('Rename which class?');
      const to = from && (await ask(`New name for ${from.label}`, from.label));
      if (!from || !to) return undefined;
      change = { op: 'rename', from: from.label, to: to.trim() };
    } else if (action.op === 'merge') {
      const from = await vscode.window.showQuickPick(
        classes.map((k) => ({ label: k })),
        { title: 'Merge which classes?', canPickMany: true },
      );
      const into = from?.length && (await ask('Into which class (an existing or a new name)?', from[0].label));
      if (!from?.length || !into) return undefined;
      change = { op: 'merge', from: from.map((x) => x.label), into: into.trim() };
    } else if (action.op === 'split') {
      const from = await pickClass('Split which class?');
      if (!from) return undefined;
      const items = [...(await s.requireProject()).getItems()].filter((it) => p.labelOf(it.id)?.label === from.label);
      const picked = await vscode.window.showQuickPick(
        items.map((it) => ({ label: it.id })),
        { title: `Which items of ${from.label} go to the new class?`, canPickMany: true },
      );
      const into = picked?.length && (await ask('Name of the new class'));
      if (!picked?.length || !into) return undefined;
      change = { op: 'split', from: from.label, into: into.trim(), items: picked.map((x) => x.label) };
    } else if (action.op === 'delete') {
      const cls = await pickClass('Delete which class?');
      if (!cls) return undefined;
      const go = await vscode.window.showWarningMessage(
        `SelfLabel: delete the class ${cls.label}? Its labels return to unlabelled (Undo brings them back).`,
        { modal: true },
        'Delete Class',
      );
      if (!go) return undefined;
      change = { op: 'delete', cls: cls.label };
    } else {
      const order = await vscode.window.showInputBox({
        title: 'SelfLabel: class order (the number keys follow)',
        value: classes.join(', '),
      });
      if (!order) return undefined;
      change = {
        op: 'reorder',
        classes: order
          .split(',')
          .map((x) => x.trim())
          .filter(Boolean),
      };
    }
  }
  let r: Awaited<ReturnType<typeof p.changeClasses>>;
  try {
    r = await p.changeClasses(change);
  } catch (e) {
    throw new UserError(errorMessage(e));
  }
  await s.refreshFromDisk(true);
  c.proposalsChanged();
  void vscode.window.showInformationMessage(
    `SelfLabel: classes — ${r.classes.join(', ')}.${r.retrainNeeded ? ' Train again before reviewing proposals.' : ''} (Undo reverts the change.)`,
  );
  return r.classes;
}
