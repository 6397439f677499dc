/**
 * Reading scanned items back: `loadTexts` (text files and JSONL/CSV rows; each file is read once, rows are grouped by
 * file) and `loadImage` (decode + resize to the model's input as bytes).
 *
 * Every item is checked against the content hash the scan recorded: an item whose file changed since the scan comes
 * back as an ItemError ("changed since the last scan: rescan") instead of silently feeding other data to a label.
 * For rows, the text field need not be passed: when the default field's text does not match the recorded hash, the
 * field whose text does match is used (so a scan made with textField "body" loads without knowing it).
 */
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import type { Item } from '../types';
import { describeFsError, ItemError } from './errors';
import { decodeImage, toUint8 } from '../modalities/image/decode';
import { contentHash, decodeTextFile } from './text';
import { csvTextColumn, readRawRows, rowFormatOf, type RawRow } from './rows';

export interface LoadTextsOptions {
  /** The field/column holding the text of rows (as given to the scan). Default "text", see the module comment. */
  textField?: string;
  signal?: AbortSignal;
}

const CONCURRENCY = 8;

/** Absolute path of an item's file; refuses paths that leave the workspace. */
function itemFile(root: string, item: Item): string {
  const absRoot = path.resolve(root);
  const abs = path.resolve(absRoot, item.path);
  if (abs !== absRoot && !abs.startsWith(absRoot + path.sep)) throw new ItemError('path is outside the workspace', item.id);
  return abs;
}

function changed(item: Item): ItemError {
  return new ItemError('changed since the last scan: rescan the workspace', item.id);
}

/** Stops reading a row file early once every wanted row was seen. */
class AllRowsFound extends Error {}

/** Picks the row's text: the text field's, else (when the hash is known) the field whose text has the item's hash. */
function rowText(r: RawRow, header: string[] | undefined, field: string, item: Item): string | ItemError {
  if (r.kind === 'bad') return new ItemError(r.reason, item.id);
  const candidates: unknown[] = [];
  if (r.kind === 'json') {
    candidates.push(r.value[field]);
    for (const [k, v] of Object.entries(r.value)) if (k !== field) candidates.push(v);
  } else {
    const col = header ? csvTextColumn(header, field) : -1;
    if (typeof col === 'number' && col >= 0) candidates.push(r.fields[col]);
    r.fields.forEach((v, i) => {
      if (i !== col) candidates.push(v);
    });
  }
  const first = candidates[0];
  if (!item.hash) {
    if (typeof first === 'string' && first.trim() !== '') return first;
    return new ItemError(`no text in "${field}"`, item.id);
  }
  for (const c of candidates) if (typeof c === 'string' && contentHash(c) === item.hash) return c;
  return changed(item);
}

async function loadRowFile(
  root: string,
  file: string,
  entries: { item: Item; index: number }[],
  out: (string | ItemError)[],
  opts: LoadTextsOptions,
): Promise<void> {
  const first = entries[0].item;
  let abs: string;
  try {
    abs = itemFile(root, first);
  } catch (e) {
    for (const { index, item } of entries) out[index] = new ItemError((e as ItemError).reason, item.id);
    return;
  }
  const format = rowFormatOf(file)!;
  const wanted = new Map<number, { item: Item; index: number }[]>();
  for (const en of entries) {
    const row = en.item.row;
    if (row === undefined) {
      out[en.index] = new ItemError('row item without a row number', en.item.id);
      continue;
    }
    const list = wanted.get(row);
    if (list) list.push(en);
    else wanted.set(row, [en]);
  }
  let header: string[] | undefined;
  let remaining = wanted.size;
  const field = opts.textField || 'text';
  try {
    await readRawRows(
      abs,
      format,
      (r) => {
        const list = wanted.get(r.row);
        if (!list) return;
        for (const { item, index } of list) out[index] = rowText(r, header, field, item);
        wanted.delete(r.row);
        if (--remaining === 0) throw new AllRowsFound();
      },
      { signal: opts.signal, onHeader: (h) => (header = h) },
    );
  } catch (e) {
    if (e instanceof AllRowsFound) return;
    if ((e as Error).name === 'AbortError') throw e;
    const reason = e instanceof ItemError ? e.reason : `cannot read: ${describeFsError(e)}`;
    for (const list of wanted.values()) for (const { item, index } of list) out[index] = new ItemError(reason, item.id);
    return;
  }
  for (const list of wanted.values()) {
    for (const { item, index } of list) out[index] = new ItemError(`row ${item.row} no longer exists: rescan the workspace`, item.id);
  }
}

async function loadTextFile(root: string, item: Item): Promise<string | ItemError> {
  try {
    const buf = await fs.readFile(itemFile(root, item));
    if (item.hash && contentHash(buf) !== item.hash) return changed(item);
    return decodeTextFile(buf);
  } catch (e) {
    if (e instanceof ItemError) return e.item ? e : new ItemError(e.reason, item.id);
    return new ItemError(`cannot read: ${describeFsError(e)}`, item.id);
  }
}

/**
 * The texts of `items` (text files and rows), in the same order; an item that cannot be read gives an ItemError in
 * its place. Each file is read once. Throws only when `signal` fires (AbortError).
 */
export async function loadTexts(root: string, items: Item[], opts: LoadTextsOptions = {}): Promise<(string | ItemError)[]> {
  const out: (string | ItemError)[] = new Array(items.length);
  const rowFiles = new Map<string, { item: Item; index: number }[]>();
  const jobs: (() => Promise<void>)[] = [];
  items.forEach((item, index) => {
    if (item.kind === 'row') {
      const list = rowFiles.get(item.path);
      if (list) list.push({ item, index });
      else rowFiles.set(item.path, [{ item, index }]);
    } else if (item.kind === 'text') {
      jobs.push(async () => {
        out[index] = await loadTextFile(root, item);
      });
    } else {
      out[index] = new ItemError(`not a text item (kind ${item.kind})`, item.id);
    }
  });
  for (const [file, entries] of rowFiles) {
    if (!rowFormatOf(file)) {
      for (const { item, index } of entries) out[index] = new ItemError('rows can only come from .jsonl, .ndjson or .csv files', item.id);
      continue;
    }
    jobs.push(() => loadRowFile(root, file, entries, out, opts));
  }
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) {
      if (opts.signal?.aborted) return;
      await jobs[next++]();
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, jobs.length) }, worker));
  if (opts.signal?.aborted) {
    const e = new Error('loading cancelled');
    e.name = 'AbortError';
    throw e;
  }
  return out;
}

/**
 * One image item as model input: size×size×channels bytes (0..255, HWC). Throws ItemError when the file is missing,
 * changed since the scan, corrupt or not an image.
 */
export async function loadImage(root: string, item: Item, size: number, channels: 1 | 3): Promise<Uint8Array> {
  const abs = itemFile(root, item);
  let buf: Buffer;
  try {
    buf = await fs.readFile(abs);
  } catch (e) {
    throw new ItemError(`cannot read: ${describeFsError(e)}`, item.id);
  }
  if (item.hash && contentHash(buf) !== item.hash) throw changed(item);
  return toUint8(decodeImage(buf, item.id, { minSize: size }), size, channels);
}
