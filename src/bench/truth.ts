/**
 * Truth CSVs for the benchmark: the answers the simulated annotator knows. Format: a header with at least the columns
 * `path` and `label` (any order, case-insensitive; other columns are ignored), then one row per item. `path` is
 * relative to the data folder (POSIX or Windows separators); a row of a JSONL/CSV data file is `file#row` with the
 * 1-based data row (as in Item.id). When the data is a single JSONL/CSV file, `#row` alone or `<file name>#row` both
 * name its rows.
 *
 * Bad rows never crash the bench and never silently change an answer: each is skipped with a reason in `problems`
 * (empty path or label, a path escaping the folder, a bad row number, or two different labels for one item — then
 * the item is dropped because its truth is unknown). A file with no usable row is an error.
 */
import * as fs from 'node:fs/promises';
import { parseCsv } from './csv';

export interface Truth {
  /** Item id (normalised, see `normaliseItemId`) → true label. */
  labels: Map<string, string>;
  /** The distinct labels, sorted (numbers numerically). */
  classes: string[];
  /** Rows that were skipped, with why ("line N: …"). */
  problems: string[];
}

export class TruthError extends Error {
  override name = 'TruthError';
}

/** Sorts class names naturally: "2" before "10", then alphabetically. */
export function sortClasses(classes: Iterable<string>): string[] {
  return [...new Set(classes)].sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
}

/** Splits an item id into its file path and 1-based row (undefined for whole-file items). */
export function splitItemId(id: string): { path: string; row?: number } {
  const m = /^(.*)#(\d+)$/.exec(id);
  if (!m) return { path: id };
  return { path: m[1], row: Number(m[2]) };
}

/**
 * Normalises one `path` cell to an item id: backslashes to slashes, no leading "./", no empty or "." segments.
 * `singleFile` (the data file's name, when the data is one JSONL/CSV file) lets `#row` stand for `<file>#row`.
 * Throws TruthError with a reason for a path that is empty, absolute, escapes the folder or has a bad row.
 */
export function normaliseItemId(cell: string, singleFile?: string): string {
  let s = cell.trim().replace(/\\/g, '/');
  let row: number | undefined;
  const m = /^(.*)#(\d+)$/.exec(s);
  if (m) {
    row = Number(m[2]);
    if (!Number.isSafeInteger(row) || row < 1) throw new TruthError(`row numbers start at 1: "${cell}"`);
    s = m[1];
  } else if (/#$/.test(s) || (singleFile !== undefined && s.startsWith('#'))) {
    throw new TruthError(`bad row number in "${cell}"`);
  }
  if (s === '' && row !== undefined && singleFile !== undefined) s = singleFile;
  if (/^([a-zA-Z]:)?\//.test(s)) throw new TruthError(`path must be relative to the data folder: "${cell}"`);
  const parts = s.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.some((p) => p === '..')) throw new TruthError(`path escapes the data folder: "${cell}"`);
  if (!parts.length) throw new TruthError('empty path');
  const p = parts.join('/');
  return row === undefined ? p : `${p}#${row}`;
}

/** Parses truth CSV text. See the module comment for the format and how bad rows are handled. */
export function parseTruth(text: string, opts: { singleFile?: string; source?: string } = {}): Truth {
  const src = opts.source ?? 'truth CSV';
  const records = parseCsv(text);
  if (!records.length) throw new TruthError(`${src}: empty file (expected a header "path,label")`);
  const header = records[0].fields.map((h) => h.trim().toLowerCase());
  const pi = header.indexOf('path');
  const li = header.indexOf('label');
  if (pi < 0 || li < 0) {
    throw new TruthError(`${src}: the header must name the columns "path" and "label" (found: ${records[0].fields.join(', ')})`);
  }
  const labels = new Map<string, string>();
  const conflicted = new Set<string>();
  const problems: string[] = [];
  for (const rec of records.slice(1)) {
    if (rec.fields.every((f) => f.trim() === '')) continue;
    const where = `line ${rec.line}`;
    const cell = rec.fields[pi];
    const label = (rec.fields[li] ?? '').trim();
    if (cell === undefined || cell.trim() === '') {
      problems.push(`${where}: empty path, skipped`);
      continue;
    }
    if (label === '') {
      problems.push(`${where}: empty label for "${cell}", skipped`);
      continue;
    }
    let id: string;
    try {
      id = normaliseItemId(cell, opts.singleFile);
    } catch (e) {
      problems.push(`${where}: ${(e as Error).message}, skipped`);
      continue;
    }
    if (conflicted.has(id)) continue;
    const prev = labels.get(id);
    if (prev !== undefined && prev !== label) {
      labels.delete(id);
      conflicted.add(id);
      problems.push(`${where}: "${id}" is labelled both "${prev}" and "${label}": item dropped (its truth is unknown)`);
    } else {
      labels.set(id, label);
    }
  }
  if (!labels.size) throw new TruthError(`${src}: no usable rows${problems.length ? ` (${problems.slice(0, 3).join('; ')})` : ''}`);
  return { labels, classes: sortClasses(labels.values()), problems };
}

/** Reads and parses a truth CSV file. */
export async function readTruth(file: string, opts: { singleFile?: string } = {}): Promise<Truth> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (e) {
    throw new TruthError(`cannot read the truth CSV ${file}: ${(e as Error).message}`);
  }
  return parseTruth(text, { ...opts, source: file });
}
