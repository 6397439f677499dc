/**
 * Importing labels from a CSV file and exporting the labelled dataset.
 *
 * - importCsv: a CSV with a header holding `path` and `label` columns (`item`/`id`/`file` and `class` are accepted
 *   too); `path` is the item id as exported (workspace-relative POSIX path, `#N` for rows). Rows that cannot be used
 *   are skipped with their data-row number (1-based, header and blank lines not counted) and a reason; the rest is
 *   recorded with one write (source 'imported').
 * - exportLabels: csv (exactly `path,label`, RFC-4180), jsonl (`{"path","label","source","time"}`) or folders
 *   (`out/<class>/<file>` hard links or copies of whole-file items, `out/<class>.jsonl` for rows). Labelled items
 *   come first in priority; optional proposals fill in unlabelled items (never a label the user rejected). Every
 *   output appears atomically: files are written to a temp name and renamed, folders are built beside `out` and
 *   swapped in — an export killed midway leaves no half file.
 */
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { isUtf8 } from 'node:buffer';
import type { Item } from '../types';
import { csvLine, parseCsv, rowFormatOf } from '../dataset/rows';
import { loadTexts } from '../dataset/load';
import { ItemError } from '../dataset/errors';

import { randomBytes } from 'node:crypto';
import { atomicWriteFile, fsyncDir, renameRetry, tmpName, writeError } from './fsutil';
import { classNameProblem, STORE_DIR, type LabelStore, type RecordInput } from './labelStore';
import { itemIdProblem } from './itemId';
import { EXPORT_MARKER, recoverInterruptedExport } from './exportRecovery';
export { recoverInterruptedExport, recoverPendingExports } from './exportRecovery';

/**
 * CSV cells that a spreadsheet would run as a formula start with = + - @ (or a tab / carriage return). Export puts
 * a `'` in front of such a cell — and of one that already starts with `'`s followed by such a character — and
 * import takes exactly one `'` off those, so every value round-trips and nothing is run when the file is opened.
 */
const FORMULA_RE = /^'*[=+\-@\t\r]/;
export function csvSafe(v: string): string {
  return FORMULA_RE.test(v) ? `'${v}` : v;
}
export function csvUnsafe(v: string): string {
  return v.startsWith("'") && FORMULA_RE.test(v) ? v.slice(1) : v;
}

export interface ImportResult {
  imported: number;
  skipped: { row: number; reason: string }[];
}

const PATH_COLUMNS = ['path', 'item', 'id', 'file'];
const LABEL_COLUMNS = ['label', 'class'];

/** Imports `path,label` rows from a CSV file as 'imported' labels (one batch). */
export async function importCsv(
  store: LabelStore,
  file: string,
  opts: { knownItems?: Set<string>; addClasses?: boolean } = {},
): Promise<ImportResult> {
  let buf: Buffer;
  try {
    buf = await fs.readFile(file);
  } catch (e) {
    throw new Error(`cannot read ${file}: ${(e as Error).message}`);
  }
  if (!isUtf8(buf)) throw new Error(`cannot import ${file}: not valid UTF-8 text`);
  const records = parseCsv(buf.toString('utf8').replace(/^\ufeff/, '')).filter((r) => !r.blank);
  if (!records.length) throw new Error(`cannot import ${file}: the file is empty`);
  const header = records[0].fields.map((h) => h.trim().toLowerCase());
  const pc = header.findIndex((h) => PATH_COLUMNS.includes(h));
  const lc = header.findIndex((h) => LABEL_COLUMNS.includes(h));
  if (records[0].error || pc < 0 || lc < 0)
    throw new Error(`cannot import ${file}: the first line must be a header with "path" and "label" columns`);

  await store.refresh();
  const classes = new Set(store.classes());
  const newClasses: string[] = [];
  const skipped: ImportResult['skipped'] = [];
  const firstRow = new Map<string, { row: number; label: string }>();
  const inputs: RecordInput[] = [];
  for (let i = 1; i < records.length; i++) {
    const row = i;
    const r = records[i];
    if (r.error) {
      skipped.push({ row, reason: r.error });
      continue;
    }
    if (r.fields.length !== header.length) {
      skipped.push({ row, reason: `expected ${header.length} fields, found ${r.fields.length}` });
      continue;
    }
    const item = csvUnsafe(r.fields[pc].trim()).replace(/\\/g, '/').replace(/^\.\//, '');
    const label = csvUnsafe(r.fields[lc].trim());
    if (!item) {
      skipped.push({ row, reason: 'empty path' });
      continue;
    }
    const idProblem = itemIdProblem(item);
    if (idProblem) {
      skipped.push({ row, reason: `invalid path: it ${idProblem}` });
      continue;
    }
    if (!label) {
      skipped.push({ row, reason: 'empty label' });
      continue;
    }
    if (opts.knownItems && !opts.knownItems.has(item)) {
      skipped.push({ row, reason: `unknown item "${item}" (not in the last scan)` });
      continue;
    }
    const prev = firstRow.get(item);
    if (prev) {
      skipped.push({
        row,
        reason: prev.label === label ? `duplicate of row ${prev.row}` : `conflicts with row ${prev.row} (label "${prev.label}")`,
      });
      continue;
    }
    if (!classes.has(label)) {
      if (!opts.addClasses) {
        skipped.push({ row, reason: `unknown class "${label}"` });
        continue;
      }
      const problem = classNameProblem(label);
      if (problem) {
        skipped.push({ row, reason: `class name "${label}" ${problem}` });
        continue;
      }
      const clash = [...classes].find((c) => c.toLowerCase() === label.toLowerCase());
      if (clash) {
        skipped.push({ row, reason: `class "${label}" differs from "${clash}" only in case` });
        continue;
      }
      classes.add(label);
      newClasses.push(label);
    }
    firstRow.set(item, { row, label });
    if (store.get(item)?.label === label) {
      skipped.push({ row, reason: `already labelled "${label}"` });
      continue;
    }
    inputs.push({ item, label, source: 'imported' });
  }
  if (newClasses.length) await store.setClasses([...store.classes(), ...newClasses]);
  const events = await store.recordMany(inputs);
  return { imported: events.length, skipped };
}

// ───────────────────────────── export ─────────────────────────────

export interface ExportOptions {
  format: 'csv' | 'jsonl' | 'folders';
  /** Output file (csv, jsonl) or folder (folders). */
  out: string;
  /** The workspace (to find the labelled files and rows). */
  root: string;
  /** Proposals to include for items that have no label (skipped if the user rejected that label). */
  proposals?: { item: string; label: string; confidence: number }[];
  /** The scanned items, if known: rows are then read with hash checks and whatever their text field is. */
  items?: Item[];
  /** The field holding the text of rows (default "text"); not needed when `items` is given. */
  textField?: string;
}

export interface ExportResult {
  written: number;
  /** Items that could not be exported (folders format: file missing, row unreadable …). */
  skipped?: { item: string; reason: string }[];
}

/** Name of the marker file a folders export leaves, so a later export may replace it and scans skip it. */
export { EXPORT_MARKER } from './exportRecovery';

interface Entry {
  item: string;
  label: string;
  source: string;
  time: string;
  confidence?: number;
  hash?: string;
}

function entriesOf(store: LabelStore, proposals: ExportOptions['proposals']): Entry[] {
  const out: Entry[] = [];
  const byId = new Map(store.events().map((e) => [e.id, e]));
  for (const c of store.current().values()) {
    out.push({ item: c.item, label: c.label, source: c.source, time: c.time, hash: byId.get(c.eventId)?.hash });
  }
  const now = new Date().toISOString();
  const seen = new Set(out.map((e) => e.item));
  for (const p of proposals ?? []) {
    if (seen.has(p.item) || store.rejectedLabels(p.item).has(p.label)) continue;
    seen.add(p.item);
    out.push({ item: p.item, label: p.label, source: 'proposed', time: now, confidence: p.confidence });
  }
  out.sort((a, b) => (a.item < b.item ? -1 : a.item > b.item ? 1 : 0));
  return out;
}

/** Whether an item id names a row of a JSONL/CSV file: `<path>#<n>` with a row-file extension. */
function rowOf(id: string): { path: string; row: number } | undefined {
  const m = /^(.*)#(\d+)$/.exec(id);
  if (!m || !rowFormatOf(m[1])) return undefined;
  return { path: m[1], row: Number(m[2]) };
}

/** Writes the labels (and optional proposals) in the chosen format. */
export async function exportLabels(store: LabelStore, opts: ExportOptions): Promise<ExportResult> {
  const entries = entriesOf(store, opts.proposals);
  const out = path.resolve(opts.out);
  await refuseDangerousOutput(store, opts, out);
  if (opts.format === 'csv' || opts.format === 'jsonl') {
    const text =
      opts.format === 'csv'
        ? 'path,label\r\n' + entries.map((e) => csvLine([csvSafe(e.item), csvSafe(e.label)])).join('')
        : entries
            .map(
              (e) =>
                JSON.stringify(
                  e.confidence === undefined
                    ? { path: e.item, label: e.label, source: e.source, time: e.time }
                    : { path: e.item, label: e.label, source: e.source, time: e.time, confidence: e.confidence },
                ) + '\n',
            )
            .join('');
    try {
      await fs.mkdir(path.dirname(out), { recursive: true });
    } catch (e) {
      throw writeError('export labels', out, e);
    }
    await recoverInterruptedExport(out);
    await atomicWriteFile(out, text, 'export labels');
    return { written: entries.length };
  }
  if (opts.format !== 'folders') throw new Error(`unknown export format ${JSON.stringify(opts.format)} (csv, jsonl or folders)`);
  return exportFolders(entries, out, opts, store.dir);
}

/** The real path of `p`, or of its nearest existing ancestor joined with the rest (for outputs not made yet). */
async function realish(p: string): Promise<string> {
  const rest: string[] = [];
  let cur = p;
  for (;;) {
    try {
      return path.join(await fs.realpath(cur), ...rest);
    } catch {
      const up = path.dirname(cur);
      if (up === cur) return p;
      rest.unshift(path.basename(cur));
      cur = up;
    }
  }
}

/**
 * Refuses an export that would destroy data: an output inside `.selflabel/` (the journal, classes.json …), or an
 * output file that is an item of the workspace (scanned or labelled). Symlinks are resolved on both sides.
 */
async function refuseDangerousOutput(store: LabelStore, opts: ExportOptions, out: string): Promise<void> {
  const realOut = await realish(out);
  const realRoot = await realish(path.resolve(opts.root));
  const realStore = await realish(store.dir);
  for (const [o, d] of [
    [out, store.dir],
    [realOut, realStore],
  ]) {
    if (o === d || o.startsWith(d + path.sep))
      throw new Error(`cannot export to ${out}: it is inside ${STORE_DIR}/, where SelfLabel keeps the labels (choose another place)`);
  }
  if (opts.format === 'folders') return;
  for (const [o, r] of [
    [out, path.resolve(opts.root)],
    [realOut, realRoot],
  ]) {
    if (!o.startsWith(r + path.sep)) continue;
    const rel = path.relative(r, o).split(path.sep).join('/');
    if (store.get(rel) || (opts.items ?? []).some((it) => it.path === rel)) {
      throw new Error(`cannot export to ${out}: it is an item of the workspace (choose another file name)`);
    }
  }
}

async function exportFolders(entries: Entry[], out: string, opts: ExportOptions, storeDir: string): Promise<ExportResult> {
  await recoverInterruptedExport(out);
  const root = path.resolve(opts.root);
  const skipped: { item: string; reason: string }[] = [];
  // Refuse to replace a folder that holds anything but an earlier export.
  const existing = await fs.stat(out).catch(() => undefined);
  if (existing) {
    if (!existing.isDirectory()) throw new Error(`cannot export to ${out}: it exists and is not a folder`);
    const names = await fs.readdir(out);
    if (names.length && !names.includes(EXPORT_MARKER))
      throw new Error(`cannot export to ${out}: the folder is not empty (choose an empty or new folder)`);
  }
  const outAbs = out + path.sep;
  if (root === out || root.startsWith(outAbs)) throw new Error(`cannot export to ${out}: it contains the workspace`);
  const staging = tmpName(out);
  try {
    // Two steps: a recursive mkdir reports a read-only file system as "no such folder".
    await fs.mkdir(path.dirname(out), { recursive: true });
    await fs.mkdir(staging);
  } catch (e) {
    throw writeError('export labels', out, e);
  }
  let written = 0;
  try {
    const used = new Map<string, Set<string>>(); // class → lower-case names used in its folder
    const rows: Entry[] = [];
    for (const e of entries) {
      const problem = classNameProblem(e.label);
      if (problem) {
        // only possible with a hand-edited journal: never let a label name a path outside the export
        skipped.push({ item: e.item, reason: `label ${JSON.stringify(e.label)} ${problem}` });
        continue;
      }
      if (rowOf(e.item)) {
        rows.push(e);
        continue;
      }
      const src = path.resolve(root, e.item);
      if (!src.startsWith(root + path.sep)) {
        skipped.push({ item: e.item, reason: 'path is outside the workspace' });
        continue;
      }
      const lst = await fs.lstat(src).catch(() => undefined);
      // A symlinked item: export its target's content (hard-linking the link itself would leave a link that
      // dangles or points outside the export).
      const real = lst?.isSymbolicLink() ? await fs.realpath(src).catch(() => undefined) : src;
      const srcStat = real ? await fs.stat(real).catch(() => undefined) : undefined;
      if (!srcStat?.isFile()) {
        skipped.push({
          item: e.item,
          reason: lst?.isSymbolicLink() && !real ? 'symlink target not found' : srcStat ? 'not a file' : 'file not found',
        });
        continue;
      }
      const dir = path.join(staging, e.label);
      let names = used.get(e.label);
      if (!names) {
        used.set(e.label, (names = new Set()));
        await fs.mkdir(dir, { recursive: true });
      }
      const ext = path.extname(e.item);
      const base = path.basename(e.item, ext);
      let name = base + ext;
      for (let k = 2; names.has(name.toLowerCase()); k++) name = `${base}-${k}${ext}`;
      const dest = path.join(dir, name);
      try {
        await fs.link(real!, dest);
      } catch (le) {
        const code = (le as NodeJS.ErrnoException).code;
        if (code === 'ENOENT') {
          skipped.push({ item: e.item, reason: 'file not found' });
          continue;
        }
        try {
          await fs.copyFile(real!, dest);
        } catch (ce) {
          if ((ce as NodeJS.ErrnoException).code === 'ENOENT') {
            skipped.push({ item: e.item, reason: 'file not found' });
            continue;
          }
          throw ce;
        }
      }
      names.add(name.toLowerCase());
      written++;
    }
    if (rows.length) {
      const known = new Map((opts.items ?? []).map((it) => [it.id, it]));
      const items: Item[] = rows.map((e) => {
        const k = known.get(e.item);
        if (k) return k;
        const r = rowOf(e.item)!;
        return { id: e.item, path: r.path, row: r.row, kind: 'row', modality: 'text', hash: e.hash ?? '', size: 0, mtimeMs: 0 };
      });
      const texts = await loadTexts(root, items, { textField: opts.textField });
      const perClass = new Map<string, string[]>();
      rows.forEach((e, i) => {
        const t = texts[i];
        if (t instanceof ItemError || typeof t !== 'string') {
          skipped.push({ item: e.item, reason: t instanceof ItemError ? t.reason : 'unreadable' });
          return;
        }
        let list = perClass.get(e.label);
        if (!list) perClass.set(e.label, (list = []));
        list.push(JSON.stringify({ path: e.item, text: t, label: e.label, source: e.source }) + '\n');
        written++;
      });
      for (const [label, lines] of perClass) await fs.writeFile(path.join(staging, `${label}.jsonl`), lines.join(''));
    }
    await fs.writeFile(
      path.join(staging, EXPORT_MARKER),
      JSON.stringify({ time: new Date().toISOString(), written, skipped: skipped.length }, null, 2) + '\n',
    );
    await fsyncDir(staging);
    // Swap the finished folder in.
    if (existing) {
      const old = tmpName(out);
      const marker = path.join(storeDir, `export-swap-${process.pid}-${randomBytes(4).toString('hex')}.json`);
      const marked = await atomicWriteFile(marker, JSON.stringify({ out }) + '\n', 'export labels').then(
        () => true,
        () => false,
      );
      await renameRetry(out, old);
      await renameRetry(staging, out);
      if (marked) await fs.rm(marker, { force: true });
      await fs.rm(old, { recursive: true, force: true });
    } else {
      await renameRetry(staging, out);
    }
    await fsyncDir(path.dirname(out));
  } catch (e) {
    await fs.rm(staging, { recursive: true, force: true }).catch(() => undefined);
    throw e instanceof Error && e.message.startsWith('cannot ') ? e : writeError('export labels', out, e);
  }
  return { written, skipped };
}
