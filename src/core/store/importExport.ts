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
import { contentHash } from '../dataset/text';

import { randomBytes } from 'node:crypto';
// Named static imports, so that the bundle keeps only the parts used (hyparquet's URL reader, built on fetch, goes).
import { parquetMetadata, parquetReadObjects } from 'hyparquet';
import { parquetWriteBuffer } from 'hyparquet-writer';
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

/** The bytes of a file to import, or an Error that names it. */
async function readImportFile(file: string): Promise<Buffer> {
  try {
    return await fs.readFile(file);
  } catch (e) {
    throw new Error(`cannot read ${file}: ${(e as Error).message}`);
  }
}

/** Imports `path,label` rows from a CSV file as 'imported' labels (one batch). */
export async function importCsv(
  store: LabelStore,
  file: string,
  opts: { knownItems?: Set<string>; addClasses?: boolean } = {},
): Promise<ImportResult> {
  const buf = await readImportFile(file);
  if (!isUtf8(buf)) throw new Error(`cannot import ${file}: not valid UTF-8 text`);
  const records = parseCsv(buf.toString('utf8').replace(/^\ufeff/, '')).filter((r) => !r.blank);
  if (!records.length) throw new Error(`cannot import ${file}: the file is empty`);
  const header = records[0].fields.map((h) => h.trim().toLowerCase());
  const pc = header.findIndex((h) => PATH_COLUMNS.includes(h));
  const lc = header.findIndex((h) => LABEL_COLUMNS.includes(h));
  if (records[0].error || pc < 0 || lc < 0)
    throw new Error(`cannot import ${file}: the first line must be a header with "path" and "label" columns`);

  const pairs: ImportPair[] = [];
  const skipped: ImportResult['skipped'] = [];
  for (let i = 1; i < records.length; i++) {
    const r = records[i];
    if (r.error) skipped.push({ row: i, reason: r.error });
    else if (r.fields.length !== header.length)
      skipped.push({ row: i, reason: `expected ${header.length} fields, found ${r.fields.length}` });
    else pairs.push({ row: i, item: csvUnsafe(r.fields[pc].trim()), label: csvUnsafe(r.fields[lc].trim()) });
  }
  return importPairs(store, pairs, skipped, opts);
}

/** One row of an import: its 1-based data-row number, the item id as exported and the label. */
export interface ImportPair {
  row: number;
  item: string;
  label: string;
}

/**
 * Records the usable pairs as 'imported' labels in one batch (one write), skipping the others with a reason:
 * empty or invalid path, empty label, an item not in the last scan, a duplicate or conflicting row, an unknown class
 * (unless addClasses), or a label the item already has.
 */
export async function importPairs(
  store: LabelStore,
  pairs: readonly ImportPair[],
  skipped: ImportResult['skipped'],
  opts: { knownItems?: Set<string>; addClasses?: boolean },
): Promise<ImportResult> {
  await store.refresh();
  const classes = new Set(store.classes());
  const newClasses: string[] = [];
  const firstRow = new Map<string, { row: number; label: string }>();
  const inputs: RecordInput[] = [];
  for (const pr of pairs) {
    const row = pr.row;
    const item = pr.item.replace(/\\/g, '/').replace(/^\.\//, '');
    const label = pr.label;
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
  skipped.sort((a, b) => a.row - b.row);
  return { imported: events.length, skipped };
}

/** Imports `path`/`label` columns of a Parquet file (as `export --format parquet` writes it) as 'imported' labels. */
export async function importParquet(
  store: LabelStore,
  file: string,
  opts: { knownItems?: Set<string>; addClasses?: boolean } = {},
): Promise<ImportResult> {
  const buf = await readImportFile(file);
  const ab = buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) as ArrayBuffer;
  let names: string[];
  try {
    names = parquetMetadata(ab)
      .schema.slice(1)
      .map((el) => el.name);
  } catch (e) {
    throw new Error(`cannot import ${file}: not a Parquet file (${(e as Error).message})`);
  }
  const pc = names.find((h) => PATH_COLUMNS.includes(h.toLowerCase()));
  const lc = names.find((h) => LABEL_COLUMNS.includes(h.toLowerCase()));
  if (!pc || !lc) throw new Error(`cannot import ${file}: it needs a "path" and a "label" column (it has ${names.join(', ') || 'none'})`);
  const rows = await parquetReadObjects({ file: ab, columns: [pc, lc] });
  const pairs: ImportPair[] = [];
  const skipped: ImportResult['skipped'] = [];
  rows.forEach((r, i) => {
    const item = r[pc];
    const label = r[lc];
    if (typeof item !== 'string' || typeof label !== 'string') skipped.push({ row: i + 1, reason: 'path or label is not text' });
    else pairs.push({ row: i + 1, item: item.trim(), label: label.trim() });
  });
  return importPairs(store, pairs, skipped, opts);
}

/**
 * Imports class folders, `dir/<class>/<file>` (as `export --format folders` writes them): each file is matched to a
 * workspace item by its path when `dir` is inside the workspace, else by its content hash. Row files
 * (`<class>.jsonl`) are matched by their `path` field. Numbered in the order read (class folders sorted by name).
 */
export async function importFolders(
  store: LabelStore,
  dir: string,
  opts: { root: string; items: Item[]; addClasses?: boolean },
): Promise<ImportResult> {
  const root = path.resolve(opts.root);
  const abs = path.resolve(dir);
  const st = await fs.stat(abs).catch(() => undefined);
  if (!st?.isDirectory()) throw new Error(`cannot import ${dir}: not a folder`);
  const byHash = new Map<string, string>();
  for (const it of opts.items) if (it.kind !== 'row' && it.hash && !byHash.has(it.hash)) byHash.set(it.hash, it.id);
  const inside = abs.startsWith(root + path.sep);
  const pairs: ImportPair[] = [];
  const skipped: ImportResult['skipped'] = [];
  let row = 0;
  const entries = (await fs.readdir(abs, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : 1));
  for (const cls of entries) {
    if (cls.name.startsWith('.') || cls.name === EXPORT_MARKER) continue;
    if (cls.isFile() && cls.name.endsWith('.jsonl')) {
      const label = cls.name.slice(0, -'.jsonl'.length);
      const text = await fs.readFile(path.join(abs, cls.name), 'utf8');
      for (const line of text.split('\n')) {
        if (!line.trim()) continue;
        row++;
        let o: unknown;
        try {
          o = JSON.parse(line);
        } catch {
          skipped.push({ row, reason: `${cls.name}: not a JSON line` });
          continue;
        }
        const p = (o as { path?: unknown }).path;
        if (typeof p === 'string') pairs.push({ row, item: p, label });
        else skipped.push({ row, reason: `${cls.name}: a line without "path"` });
      }
      continue;
    }
    if (!cls.isDirectory()) continue;
    const files = (await fs.readdir(path.join(abs, cls.name), { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : 1));
    for (const f of files) {
      if (!f.isFile() || f.name.startsWith('.')) continue;
      row++;
      const file = path.join(abs, cls.name, f.name);
      let item: string | undefined;
      if (inside) item = path.relative(root, file).split(path.sep).join('/');
      else item = byHash.get(contentHash(await fs.readFile(file)));
      if (item === undefined) skipped.push({ row, reason: `${cls.name}/${f.name}: no workspace item has this content` });
      else pairs.push({ row, item, label: cls.name });
    }
  }
  return importPairs(store, pairs, skipped, { knownItems: new Set(opts.items.map((it) => it.id)), addClasses: opts.addClasses });
}

// ───────────────────────────── export ─────────────────────────────

export interface ExportOptions {
  format: 'csv' | 'jsonl' | 'folders' | 'parquet';
  /** Output file (csv, jsonl, parquet) or folder (folders). */
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
  if (opts.format === 'parquet') {
    try {
      await fs.mkdir(path.dirname(out), { recursive: true });
    } catch (e) {
      throw writeError('export labels', out, e);
    }
    await recoverInterruptedExport(out);
    await atomicWriteFile(out, await parquetOf(entries, opts), 'export labels');
    return { written: entries.length };
  }
  if (opts.format !== 'folders') throw new Error(`unknown export format ${JSON.stringify(opts.format)} (csv, jsonl, parquet or folders)`);
  return exportFolders(entries, out, opts, store.dir);
}

const IMAGE_EXT = /\.(png|jpe?g|gif|bmp|webp)$/i;

/**
 * The Parquet table: path, label, source, time, confidence (null for labels), and — when any item is an image file —
 * `image`, the file's bytes (null for other items or a file that cannot be read), as Hugging Face `datasets` and
 * pandas load them.
 */
async function parquetOf(entries: Entry[], opts: ExportOptions): Promise<Uint8Array> {
  const known = new Map((opts.items ?? []).map((it) => [it.id, it]));
  const isImage = (id: string) => {
    const it = known.get(id);
    return it ? it.modality === 'image' && it.kind !== 'row' : !rowOf(id) && IMAGE_EXT.test(id);
  };
  const columns: { name: string; data: unknown[]; type: 'STRING' | 'DOUBLE' | 'BYTE_ARRAY' }[] = [
    { name: 'path', data: entries.map((e) => e.item), type: 'STRING' },
    { name: 'label', data: entries.map((e) => e.label), type: 'STRING' },
    { name: 'source', data: entries.map((e) => e.source), type: 'STRING' },
    { name: 'time', data: entries.map((e) => e.time), type: 'STRING' },
    { name: 'confidence', data: entries.map((e) => e.confidence ?? null), type: 'DOUBLE' },
  ];
  if (entries.some((e) => isImage(e.item))) {
    const root = path.resolve(opts.root);
    const bytes: (Uint8Array | null)[] = [];
    for (const e of entries) {
      const src = path.resolve(root, e.item);
      bytes.push(isImage(e.item) && src.startsWith(root + path.sep) ? await fs.readFile(src).catch(() => null) : null);
    }
    columns.push({ name: 'image', data: bytes, type: 'BYTE_ARRAY' });
  }
  return new Uint8Array(parquetWriteBuffer({ columnData: columns as Parameters<typeof parquetWriteBuffer>[0]['columnData'] }));
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
