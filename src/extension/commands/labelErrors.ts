/**
 * Review Likely Label Errors in the Grid: the human labels confident learning flags (Project.disagreements), most
 * likely wrong first, as review grid cells in label mode — each shows the model's class and why: A changes the label
 * to it, a number key to another class, X keeps the label (moves on, writes nothing). Every change is a label
 * written through the same handler as any other (undoable).
 */
import type * as vscode from 'vscode';
import type { Controller } from '../controller';
import { ReviewHost } from '../webviews/review/host';
import { COMMANDS } from './ids';
import { labelErrorCell } from './labelErrorCells';
import type { CommandTable } from './registry';

export function labelErrorCommands(c: Controller, extensionUri: vscode.Uri): CommandTable {
  return {
    [COMMANDS.reviewLabelErrorsInGrid]: async () => {
      const s = c.requireSession();
      const p = await s.requireProject();
      const errors = await p.disagreements();
      const cells = errors.map((d) => labelErrorCell(d, p.getItem(d.item)));
      await ReviewHost.showSelection(
        c,
        extensionUri,
        c.log,
        cells.map((x) => x.id),
        { title: `SelfLabel: ${errors.length} likely label errors`, cells },
      );
      return { errors: errors.length };
    },
  };
}
