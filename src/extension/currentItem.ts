/**
 * "The current item" a command acts on: an explicit id (CodeLens), a Uri (editor title menu), the focused cell of the
 * review grid when it is the active editor, the row under the cursor, or the file in the active tab.
 */
import * as vscode from 'vscode';
import { isItemId } from '../protocol/webview';
import type { Controller } from './controller';
import { toWorkspaceRelative } from './itemPaths';

export function currentItem(c: Controller, arg?: unknown): string | undefined {
  const s = c.openSession;
  if (!s) return undefined;
  if (typeof arg === 'string') return isItemId(arg) ? arg : undefined;
  if (arg instanceof vscode.Uri) return itemAt(c, arg);
  if (c.review?.active && c.review.focusedItem) return c.review.focusedItem;
  const tab = vscode.window.tabGroups.activeTabGroup.activeTab;
  const input = tab?.input;
  const uri = input instanceof vscode.TabInputText || input instanceof vscode.TabInputCustom ? input.uri : undefined;
  return uri ? itemAt(c, uri) : undefined;
}

/**
 * The item of a file; for JSONL/CSV the row under the cursor (or the nearest row above it); for a long recording the
 * window to review first.
 */
export function itemAt(c: Controller, uri: vscode.Uri, line?: number): string | undefined {
  const s = c.openSession;
  if (!s || uri.scheme !== 'file') return undefined;
  const rel = toWorkspaceRelative(s.root, uri.fsPath);
  if (!rel) return undefined;
  const items = s.itemsOfFile(rel);
  if (items.length === 0) return undefined;
  if (items.length === 1 && items[0].kind !== 'row') return items[0].id;
  // The windows of a long recording (talk.wav#1, #2…) open as one file in the media player: the current item is the
  // first window with an open proposal, else the first window.
  if (items[0].kind === 'audio') return (items.find((it) => s.openProposals.has(it.id)) ?? items[0]).id;
  let cursor = line;
  if (cursor === undefined) {
    const ed = vscode.window.activeTextEditor;
    if (ed && ed.document.uri.toString() === uri.toString()) cursor = ed.selection.active.line;
  }
  if (cursor === undefined) return undefined;
  let best: (typeof items)[number] | undefined;
  for (const it of items) {
    if (it.line === undefined) continue;
    if (it.line - 1 <= cursor && (!best || (best.line ?? 0) < it.line)) best = it;
  }
  return best?.id;
}
