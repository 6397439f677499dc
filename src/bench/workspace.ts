/**
 * Builds the bench's scratch workspace: the items of the user's data (a folder of item files, or one JSONL/CSV
 * file) that have a truth label, hard-linked (or copied, when a hard link is impossible, e.g. across file systems)
 * into a fresh folder. The Project then writes its `.selflabel` there, so the user's folder is never written to.
 * Symbolic links are not used: a scanner may rightly refuse to follow them.
 *
 * `limit` keeps a seeded random subset of the truth items (`--pool-limit`, `--test-limit`). Rows of a JSONL/CSV
 * file are items too: when only some rows of a file are kept, a subset file is written (the kept rows' original
 * text, in order; a CSV keeps its header) and the rows are renumbered, so the returned truth is keyed by the ids the
 * Project will see. Truth items whose file or row does not exist are returned in `missing` with a reason.
 */
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { parseCsv } from './csv';
import { sample, mulberry32 } from './rng';
import { splitItemId } from './truth';

export interface WorkspaceSpec {
  /** The user's data: a folder, or one .jsonl/.csv file. */
  data: string;
  /** Truth keyed by item id relative to `data` (for a single file: `<file name>#row`). */
  truth: ReadonlyMap<string, string>;
  /** Fresh folder to create the workspace in (must not exist yet, or be empty). */
  dest: string;
  /** Keep at most this many truth items (seeded random subset). */
  limit?: number;
  seed: number;
}

export interface BuiltWorkspace {
  root: string;
  /** Truth keyed by the ids the Project sees in `root`. */
  truth: Map<string, string>;
  /** Files placed: hard links, copies, and subset files written for partially kept JSONL/CSV files. */
  files: { linked: number; copied: number; subsets: number };
  /** Truth items left out because their file or row does not exist. */
  missing: { id: string; reason: string }[];
  seconds: number;
}

const ROW_EXT = new Set(['.jsonl', '.ndjson', '.csv']);

/** Whether the file holds rows (JSONL/CSV) rather than being one item. */
export function isRowFile(p: string): boolean {
  return ROW_EXT.has(path.extname(p).toLowerCase());
}

/**
 * The data rows of a JSONL or CSV file as raw text, numbered from 1 as Item ids number them (JSONL: lines of only
 * spaces/tabs not counted; CSV: empty lines and the header not counted, the header returned separately) — the
 * same numbering as the engine's row reader (src/core/dataset/rows.ts).
 */
export function splitRows(file: string, text: string): { header?: string; rows: string[] } {
  const ext = path.extname(file).toLowerCase();
  if (ext === '.csv') {
    const recs = parseCsv(text);
    return { header: recs[0]?.raw, rows: recs.slice(1).map((r) => r.raw) };
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  return { rows: text.split(/\r?\n/).filter((l) => !/^[ \t]*$/.test(l)) };
}

async function placeFile(src: string, dst: string, files: BuiltWorkspace['files']): Promise<void> {
  await fs.mkdir(path.dirname(dst), { recursive: true });
  try {
    await fs.link(src, dst);
    files.linked++;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw e;
    await fs.copyFile(src, dst);
    files.copied++;
  }
}

/** Runs `fn` over `xs` with at most `width` calls in flight. */
async function eachLimited<T>(xs: readonly T[], width: number, fn: (x: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: Math.min(width, xs.length) }, async () => {
    while (next < xs.length) await fn(xs[next++]);
  });
  await Promise.all(lanes);
}

export async function buildWorkspace(spec: WorkspaceSpec): Promise<BuiltWorkspace> {
  const t0 = Date.now();
  const dataAbs = path.resolve(spec.data);
  const st = await fs.stat(dataAbs).catch(() => undefined);
  if (!st) throw new Error(`data not found: ${dataAbs}`);
  const single = st.isFile();
  if (single && !isRowFile(dataAbs)) throw new Error(`--data must be a folder or one .jsonl/.csv file: ${dataAbs}`);
  const baseDir = single ? path.dirname(dataAbs) : dataAbs;
  const root = path.resolve(spec.dest);
  await fs.mkdir(root, { recursive: true });
  if ((await fs.readdir(root)).length) throw new Error(`scratch workspace ${root} is not empty`);

  let ids = [...spec.truth.keys()];
  if (single) ids = ids.filter((id) => splitItemId(id).path === path.basename(dataAbs));
  if (spec.limit !== undefined && spec.limit < ids.length) ids = sample(ids, spec.limit, mulberry32(spec.seed));

  const byFile = new Map<string, string[]>();
  for (const id of ids) {
    const p = splitItemId(id).path;
    let list = byFile.get(p);
    if (!list) byFile.set(p, (list = []));
    list.push(id);
  }

  const truth = new Map<string, string>();
  const missing: BuiltWorkspace['missing'] = [];
  const files = { linked: 0, copied: 0, subsets: 0 };
  const wholeFiles: string[] = [];
  for (const [rel, list] of byFile) {
    const rowIds = list.filter((id) => splitItemId(id).row !== undefined);
    const fileIds = list.filter((id) => splitItemId(id).row === undefined);
    if (fileIds.length) wholeFiles.push(rel);
    if (!rowIds.length) continue;
    const src = path.join(baseDir, ...rel.split('/'));
    let text: string;
    try {
      text = await fs.readFile(src, 'utf8');
    } catch (e) {
      for (const id of rowIds)
        missing.push({ id, reason: `cannot read ${rel}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}` });
      continue;
    }
    const { header, rows } = splitRows(rel, text);
    const wanted = new Map<number, string>();
    for (const id of rowIds) {
      const row = splitItemId(id).row as number;
      if (row > rows.length) missing.push({ id, reason: `${rel} has only ${rows.length} data row(s)` });
      else wanted.set(row, id);
    }
    if (!wanted.size) continue;
    const dst = path.join(root, ...rel.split('/'));
    if (wanted.size === rows.length) {
      await placeFile(src, dst, files);
      for (const [row, id] of wanted) truth.set(`${rel}#${row}`, spec.truth.get(id) as string);
    } else {
      const kept = [...wanted.keys()].sort((a, b) => a - b);
      const lines = kept.map((r) => rows[r - 1]);
      await fs.mkdir(path.dirname(dst), { recursive: true });
      await fs.writeFile(dst, (header !== undefined ? [header, ...lines] : lines).join('\n') + '\n');
      files.subsets++;
      kept.forEach((r, k) => truth.set(`${rel}#${k + 1}`, spec.truth.get(wanted.get(r) as string) as string));
    }
  }
  await eachLimited(wholeFiles, 32, async (rel) => {
    const src = path.join(baseDir, ...rel.split('/'));
    try {
      await placeFile(src, path.join(root, ...rel.split('/')), files);
      truth.set(rel, spec.truth.get(rel) as string);
    } catch (e) {
      missing.push({ id: rel, reason: `cannot link or copy: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}` });
    }
  });
  return { root, truth, files, missing, seconds: (Date.now() - t0) / 1000 };
}
