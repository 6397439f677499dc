/**
 * Reviewing and labelling: the review actions (accept, reject, correct, label, undo) shared by the commands, the
 * CodeLens and both webviews; the "current item" commands of the editor (Accept / Reject / Change…), which move on
 * to the next proposal after an accept or reject (setting `selflabel.advanceAfterReview`); opening an item; and
 * opening the review grid.
 */
import * as vscode from 'vscode';
import type { ItemUpdate } from '../../protocol/webview';
import { isItemId } from '../../protocol/webview';
import type { Controller } from '../controller';
import { currentItem } from '../currentItem';
import { resolveInWorkspace, splitItemId } from '../itemPaths';
import { changePicks, nextProposalAfter } from '../reviewLogic';
import { UserError } from '../session';
import { advanceAfterReview } from '../settings';
import { requireTrust } from '../trust';
import { COMMANDS } from './ids';
import type { CommandTable } from './registry';
import { reviewLabelErrors, showSimilar } from './curate';

export function reviewCommands(c: Controller): CommandTable {
  return {
    [COMMANDS.reviewProposals]: () => c.openReview('review'),
    [COMMANDS.labelNext]: async () => {
      requireTrust('label');
      await c.openReview('label');
    },
    [COMMANDS.acceptCurrent]: (arg) => acceptCurrent(c, arg),
    [COMMANDS.rejectCurrent]: (arg) => rejectCurrent(c, arg),
    [COMMANDS.correctCurrent]: (arg) => correctCurrent(c, arg),
    [COMMANDS.undo]: async () => {
      const r = await undo(c);
      void vscode.window.showInformationMessage(`SelfLabel: ${r.message}`);
      return r;
    },
    [COMMANDS.redo]: async () => {
      const r = await redo(c);
      void vscode.window.showInformationMessage(`SelfLabel: ${r.message}`);
      return r;
    },
    [COMMANDS.openItem]: (id) => openItem(c, String(id)),
    [COMMANDS.showSimilar]: (arg) => showSimilar(c, arg),
    [COMMANDS.reviewLabelErrors]: () => reviewLabelErrors(c),
  };
}

// ---- review actions (webviews call these too) -------------------------------------------------------------------------

export async function accept(c: Controller, items: string[]): Promise<ItemUpdate[]> {
  requireTrust('accept');
  return c.requireSession().accept(items);
}

export async function reject(c: Controller, item: string): Promise<ItemUpdate[]> {
  requireTrust('reject');
  return c.requireSession().reject(item);
}

export async function correct(c: Controller, item: string, label: string): Promise<ItemUpdate[]> {
  requireTrust('correct');
  return c.requireSession().correct(item, label);
}

export async function label(c: Controller, item: string, cls: string): Promise<ItemUpdate[]> {
  requireTrust('label');
  return c.requireSession().label(item, cls);
}

export async function undo(c: Controller): Promise<{ updates: ItemUpdate[]; message: string }> {
  requireTrust('undo');
  return c.requireSession().undo();
}

export async function redo(c: Controller): Promise<{ updates: ItemUpdate[]; message: string }> {
  requireTrust('undo'); // the same write as an undo
  return c.requireSession().redo();
}

/**
 * Opens an item in an editor: images in the image preview, rows at their line. Ids outside the workspace are refused.
 * `beside` (the review grid's default) opens it next to the active editor; otherwise in the active editor group.
 */
export async function openItem(c: Controller, id: string, beside = true): Promise<void> {
  if (!isItemId(id)) throw new UserError(`Refused to open "${String(id).slice(0, 80)}": not an item id.`);
  const s = c.requireSession();
  const p = await s.requireProject();
  const item = p.getItem(id);
  const rel = item?.path ?? splitItemId(id).path;
  if (!item && p.getItems().length > 0) throw new UserError(`Unknown item "${id}".`);
  const abs = await resolveInWorkspace(s.root, rel);
  const uri = vscode.Uri.file(abs);
  const viewColumn = beside ? vscode.ViewColumn.Beside : vscode.ViewColumn.Active;
  // Images and audio clips open in VS Code's own preview (audio: its media player), the rest as text.
  if (item?.kind === 'image' || item?.kind === 'audio') {
    await vscode.commands.executeCommand('vscode.open', uri, { preview: true, viewColumn });
    return;
  }
  const doc = await vscode.workspace.openTextDocument(uri);
  const line = Math.max(0, Math.min(doc.lineCount - 1, (item?.line ?? 1) - 1));
  const range = new vscode.Range(line, 0, line, 0);
  await vscode.window.showTextDocument(doc, { preview: true, viewColumn, selection: range });
}

// ---- the current item's commands (editor title, CodeLens, status bar, keybindings) ---------------------------------

function noCurrent(): undefined {
  void vscode.window.showInformationMessage(
    'SelfLabel: no item here. Open an image or text file of the workspace (for JSONL/CSV, put the cursor on a row), or focus an item in the review grid.',
  );
  return undefined;
}

/** After an accept / reject made in the editor (not in the review grid): open the next open proposal there. */
async function advance(c: Controller, done: string): Promise<void> {
  if (c.review?.active || !advanceAfterReview()) return;
  const s = c.openSession;
  const p = s?.current;
  if (!s || !p) return;
  const next = nextProposalAfter(done, s.openProposals.keys(), (id) => p.getItem(id));
  if (next === undefined) {
    void vscode.window.showInformationMessage('SelfLabel: that was the last open proposal.');
    return;
  }
  await openItem(c, next, false);
}

export async function acceptCurrent(c: Controller, arg?: unknown): Promise<ItemUpdate[] | undefined> {
  requireTrust('accept');
  const id = currentItem(c, arg);
  if (!id) return noCurrent();
  const d = c.openSession?.describe(id);
  if (!d?.proposal) {
    void vscode.window.showInformationMessage(
      `SelfLabel: "${id}" has no open proposal to accept${d?.status.label ? ` (it is ${d.status.status}: ${d.status.label})` : ''}.`,
    );
    return undefined;
  }
  const updates = await accept(c, [id]);
  await advance(c, id);
  return updates;
}

export async function rejectCurrent(c: Controller, arg?: unknown): Promise<ItemUpdate[] | undefined> {
  requireTrust('reject');
  const id = currentItem(c, arg);
  if (!id) return noCurrent();
  if (!c.openSession?.describe(id).proposal) {
    void vscode.window.showInformationMessage(`SelfLabel: "${id}" has no open proposal to reject.`);
    return undefined;
  }
  const updates = await reject(c, id);
  await advance(c, id);
  return updates;
}

/** Change…: pick a class for the item (correct a proposal, or label / relabel it); the proposal is highlighted. */
export async function correctCurrent(c: Controller, arg?: unknown, given?: string): Promise<ItemUpdate[] | undefined> {
  requireTrust('correct');
  const id = currentItem(c, arg);
  if (!id) return noCurrent();
  const s = c.requireSession();
  const p = await s.requireProject();
  const classes = p.classes();
  let cls = given !== undefined && classes.includes(given) ? given : undefined;
  if (cls === undefined) {
    cls = await pickClass(id, classes, s.describe(id));
    if (cls === undefined) return undefined;
  }
  const d = s.describe(id);
  if (d.proposal) return d.proposal.label === cls ? accept(c, [id]) : correct(c, id, cls);
  // Keeping the current label (Enter on the highlighted row) changes nothing and writes nothing.
  if (d.status.label === cls && d.status.status !== 'rejected' && d.status.status !== 'unlabelled') return [];
  return d.status.status === 'unlabelled' || d.status.status === 'rejected' ? label(c, id, cls) : correct(c, id, cls);
}

/** The "Change…" quick pick, with the proposal (else the current label) highlighted so Enter keeps it. */
function pickClass(id: string, classes: readonly string[], d: Parameters<typeof changePicks>[1]): Promise<string | undefined> {
  const { picks, active } = changePicks(classes, d);
  const qp = vscode.window.createQuickPick<(typeof picks)[number]>();
  qp.title = `SelfLabel: label for ${id}`;
  qp.placeholder = 'Pick the right class';
  qp.items = picks;
  if (picks[active]) qp.activeItems = [picks[active]];
  return new Promise((resolve) => {
    let chosen: string | undefined;
    qp.onDidAccept(() => {
      chosen = qp.selectedItems[0]?.label ?? qp.activeItems[0]?.label;
      qp.hide();
    });
    qp.onDidHide(() => {
      qp.dispose();
      resolve(chosen);
    });
    qp.show();
  });
}
