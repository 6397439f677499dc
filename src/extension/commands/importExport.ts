/** Import (CSV) and export (CSV, JSONL, a folder per class) of the labels, with their dialogs. */
import * as vscode from 'vscode';
import * as path from 'node:path';
import { plural } from '../../shared/format';
import type { Controller } from '../controller';
import { UserError } from '../session';
import { requireTrust } from '../trust';
import { COMMANDS } from './ids';
import type { CommandTable } from './registry';

export type ExportFormat = 'csv' | 'jsonl' | 'folders' | 'parquet';

export function importExportCommands(c: Controller): CommandTable {
  return {
    [COMMANDS.export]: () => exportLabels(c),
    // From the explorer's context menu the file comes as a Uri.
    [COMMANDS.import]: (uri) => importLabels(c, uri instanceof vscode.Uri ? uri : undefined),
  };
}

/** Export: a quick pick and a save dialog, or `to` (the test API). */
export async function exportLabels(
  c: Controller,
  to?: { format: ExportFormat; out: string },
): Promise<{ written: number; out: string } | undefined> {
  requireTrust('export');
  const s = c.requireSession();
  const p = await s.requireProject();
  if (to) {
    if (!['csv', 'jsonl', 'folders', 'parquet'].includes(to.format) || !path.isAbsolute(to.out)) {
      throw new UserError('export expects {format: "csv" | "jsonl" | "parquet" | "folders", out: absolute path}');
    }
    const r = await p.exportLabels({ format: to.format, out: to.out });
    c.log.info(`exported ${r.written} labels as ${to.format} to ${to.out}`);
    return { written: r.written, out: to.out };
  }
  const formats = [
    { label: 'CSV', description: 'labels.csv: one row per labelled item', format: 'csv' as const },
    { label: 'JSONL', description: 'labels.jsonl: one JSON object per labelled item', format: 'jsonl' as const },
    {
      label: 'Parquet',
      description: 'labels.parquet: path, label, source, confidence (and image bytes), for pandas and Hugging Face datasets',
      format: 'parquet' as const,
    },
    { label: 'Folders', description: 'a copy of each labelled file in a folder per class', format: 'folders' as const },
  ];
  const pick = await vscode.window.showQuickPick(formats, { title: 'SelfLabel: export labels', placeHolder: 'Format' });
  if (!pick) return undefined;
  const root = vscode.Uri.file(s.root);
  let target: vscode.Uri | undefined;
  if (pick.format === 'folders') {
    const r = await vscode.window.showOpenDialog({
      canSelectFolders: true,
      canSelectFiles: false,
      canSelectMany: false,
      defaultUri: root,
      openLabel: 'Export Here',
      title: 'Folder to export into',
    });
    target = r?.[0];
  } else {
    target = await vscode.window.showSaveDialog({
      defaultUri: vscode.Uri.joinPath(root, `labels.${pick.format}`),
      filters: pick.format === 'csv' ? { CSV: ['csv'] } : pick.format === 'parquet' ? { Parquet: ['parquet'] } : { JSONL: ['jsonl'] },
      title: 'Export labels to',
    });
  }
  if (!target) return undefined;
  if (target.scheme !== 'file') throw new UserError('Export needs a folder on disk.');
  const r = await p.exportLabels({ format: pick.format, out: target.fsPath });
  c.log.info(`exported ${r.written} labels as ${pick.format} to ${target.fsPath}`);
  void vscode.window.showInformationMessage(`SelfLabel: exported ${plural(r.written, 'label')} to ${target.fsPath}.`);
  return { written: r.written, out: target.fsPath };
}

/** Import labels — a CSV of `item,label` rows, a Parquet file, or a folder of class folders: `given` (a Uri from the explorer) or an open dialog. */
export async function importLabels(c: Controller, given?: vscode.Uri): Promise<{ imported: number; skipped: number } | undefined> {
  requireTrust('import');
  const s = c.requireSession();
  const p = await s.requireProject();
  let file: string | undefined;
  if (given?.scheme === 'file') file = given.fsPath;
  else {
    const r = await vscode.window.showOpenDialog({
      canSelectFiles: true,
      canSelectFolders: true,
      canSelectMany: false,
      defaultUri: vscode.Uri.file(s.root),
      filters: { 'Labels (CSV path,label; Parquet)': ['csv', 'parquet'] },
      openLabel: 'Import',
      title: 'Import labels',
    });
    if (!r?.[0]) return undefined;
    if (r[0].scheme !== 'file') throw new UserError('Import needs a file on disk.');
    file = r[0].fsPath;
  }
  const r = await p.importLabels(file);
  for (const sk of r.skipped.slice(0, 500)) c.log.warn(`import ${path.basename(file)} row ${sk.row}: ${sk.reason}`);
  await s.refreshFromDisk(true);
  const skipped = r.skipped.length ? ` ${plural(r.skipped.length, 'row')} skipped (see the SelfLabel log).` : '';
  const pick = await vscode.window.showInformationMessage(
    `SelfLabel: imported ${plural(r.imported, 'label')}.${skipped}`,
    ...(r.skipped.length ? ['Show Log'] : []),
  );
  if (pick) c.log.show();
  return { imported: r.imported, skipped: r.skipped.length };
}
