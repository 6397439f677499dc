/**
 * Seeing and fixing the whole dataset from the palette, the explorer and the review grid: Show Similar Items (the
 * nearest neighbours of an item in embedding space, labelled in one action) and Review Likely Label Errors (the
 * human labels confident learning flags: keep, or change to the predicted or another class).
 */
import * as vscode from 'vscode';
import type { Controller } from '../controller';
import { currentItem } from '../currentItem';
import { UserError } from '../session';
import { requireTrust } from '../trust';
import { plural } from '../../shared/format';

/** Shows the items most similar to `arg` (an item id, a file Uri, or the current item); labels the picked ones. */
export async function showSimilar(c: Controller, arg?: unknown, count = 30): Promise<{ labelled: number } | undefined> {
  const s = c.requireSession();
  const item = currentItem(c, arg);
  if (!item)
    throw new UserError('Show Similar Items needs an item: open or select a file of the workspace (or focus one in the review grid).');
  const p = await s.requireProject();
  const near = await p.similar(item, count);
  const picks = await vscode.window.showQuickPick(
    near.map((x) => ({
      label: x.item,
      description: `similarity ${x.similarity.toFixed(3)}`,
      detail: [
        x.label ? `labelled ${x.label}` : 'unlabelled',
        x.predicted ? `model says ${x.predicted} ${(100 * (x.confidence ?? 0)).toFixed(0)}%` : '',
      ]
        .filter(Boolean)
        .join(' · '),
    })),
    { title: `SelfLabel: items similar to ${item} — pick some to label them at once`, canPickMany: true, matchOnDetail: true },
  );
  if (!picks?.length) return undefined;
  const cls = await vscode.window.showQuickPick(p.classes(), { title: `Label ${plural(picks.length, 'item')} as…` });
  if (!cls) return undefined;
  requireTrust('label');
  // One journal batch (one undo), as the map's "Label all as …".
  await s.labelMany(
    picks.map((x) => x.label),
    cls,
  );
  c.proposalsChanged();
  void vscode.window.showInformationMessage(`SelfLabel: labelled ${plural(picks.length, 'item')} ${cls}.`);
  return { labelled: picks.length };
}

/** Lists the likely label errors, most likely first; each: keep it, or change it (to the predicted or another class). */
export async function reviewLabelErrors(c: Controller): Promise<{ changed: number }> {
  const s = c.requireSession();
  const p = await s.requireProject();
  const errors = await p.disagreements();
  let changed = 0;
  const done = new Set<string>();
  for (;;) {
    const left = errors.filter((d) => !done.has(d.item));
    if (!left.length) {
      void vscode.window.showInformationMessage(
        errors.length ? 'SelfLabel: all likely label errors reviewed.' : 'SelfLabel: no likely label errors.',
      );
      return { changed };
    }
    const pick = await vscode.window.showQuickPick(
      left.map((d) => ({
        label: d.item,
        description: `labelled ${d.label} · model says ${d.predicted} ${(100 * d.confidence).toFixed(0)}%`,
        d,
      })),
      { title: `SelfLabel: ${plural(left.length, 'likely label error')} (most likely first)` },
    );
    if (!pick) return { changed };
    const d = pick.d;
    const actions = [
      { label: `Keep ${d.label}`, cls: undefined as string | undefined },
      { label: `Change to ${d.predicted}`, cls: d.predicted },
      ...p
        .classes()
        .filter((k) => k !== d.label && k !== d.predicted)
        .map((k) => ({ label: `Change to ${k}`, cls: k as string | undefined })),
    ];
    const act = await vscode.window.showQuickPick(actions, { title: `${d.item}: labelled ${d.label}` });
    if (!act) continue;
    if (act.cls) {
      requireTrust('label');
      await s.label(d.item, act.cls);
      changed++;
    }
    done.add(d.item);
  }
}
