/**
 * Workspace scan: finds every labellable item under a folder — the files each modality plugin declares (images
 * .png .jpg .jpeg .bmp, with GIF, WebP, TIFF, HEIC and AVIF files listed as skipped with the reason; text files .txt;
 * audio .wav .flac .mp3 .ogg .opus) and rows of .jsonl/.ndjson/.csv files — with content hashes, previews and a
 * reason for everything it cannot use. A plugin with its own reader (`files.read`, e.g. audio: windows of long
 * recordings) makes the items of its files.
 *
 * - Async throughout (fs.promises, chunked reads), so it can run inside the VS Code extension host; cancellable via
 *   `signal` (throws an Error named 'AbortError'); reports progress as {stage:'scan', done, total}.
 * - Never follows symlinked folders (loops cannot hang it; each one is listed as skipped); symlinked files are read.
 *   FIFOs, sockets and devices are ignored.
 * - Always skips `.git`, `node_modules` and `.selflabel` folders, plus `exclude` globs. Globs (picomatch) are matched
 *   against workspace-relative POSIX paths; dotfiles match; a glob without a slash matches the base name anywhere
 *   (as in .gitignore). A folder matching an exclude glob is not entered.
 * - Incremental: with `cacheFile`, files whose size, mtime and ctime did not change are not read again. Entries
 *   recorded less than 2 s after the file's mtime are re-read once (the "racy" case: a file rewritten within the
 *   file system's timestamp granularity would otherwise look unchanged).
 * - Folders holding a SelfLabel export (a `.selflabel-export.json` marker) are not scanned (their files are copies).
 * - Items are sorted by path, then row number (stable order between runs).
 */
import * as fs from 'node:fs/promises';
import type { Dirent, Stats } from 'node:fs';
import * as path from 'node:path';
import picomatch from 'picomatch';
import type { Item, ScanOptions, ScanResult, Skipped } from '../types';
import { abortError, describeFsError, ItemError, throwIfAborted } from './errors';
import { probeImage } from '../modalities/image/decode';
import { modalityPlugins } from '../modalities';
import { MODALITIES, type Modality } from '../../protocol/modalities';
import { contentHash, decodeTextFile, preview } from './text';
import { csvRowText, csvTextColumn, jsonRowText, readRawRows, rowFormatOf, type RowFormat } from './rows';

/** Folders never scanned, at any depth. */
export const ALWAYS_EXCLUDED_DIRS: readonly string[] = ['.git', 'node_modules', '.selflabel'];
export const DEFAULT_MAX_FILE_BYTES = 50 * 1024 * 1024;
export const DEFAULT_MAX_ROW_FILE_BYTES = 200 * 1024 * 1024;
/** At most this many skipped rows are listed per file; the rest are summed up in one entry. */
export const MAX_ROW_SKIPS_PER_FILE = 100;
/** File extensions the scan picks up, as the modality plugins declare them (rows: see rowFormatOf). */
export const IMAGE_EXTENSIONS: readonly string[] = modalityPlugins.image.files.extensions;
/** Image files SelfLabel cannot read yet: scanned so that the report names each with the reason (probeImage). */
export const UNREADABLE_IMAGE_EXTENSIONS: readonly string[] = modalityPlugins.image.files.unreadable ?? [];
export const TEXT_EXTENSIONS: readonly string[] = modalityPlugins.text.files.extensions;
const MODALITY_OF_EXTENSION = new Map<string, Modality>(
  MODALITIES.flatMap((m) =>
    [...modalityPlugins[m].files.extensions, ...(modalityPlugins[m].files.unreadable ?? [])].map((e) => [e, m] as const),
  ),
);

/** Marker file of a SelfLabel folders export (see store/importExport.ts): such folders are not scanned. */
export const EXPORT_MARKER_NAME = '.selflabel-export.json';
/** How scan results depend on the code: bump when the scan's output for the same file changes. */
const SCANNER_VERSION = 1;
/** Files modified less than this before a scan started are re-read by the next scan (timestamp granularity). */
const RACY_MARGIN_MS = 2000;
const CONCURRENCY = 64;
const PROGRESS_INTERVAL_MS = 100;

export type ScanWorkspaceOptions = ScanOptions & {
  /** JSON file remembering per-file results, so unchanged files are only stat'ed on the next scan. */
  cacheFile?: string;
};

type FileKind = Modality | RowFormat;

/** The kind of file the scan reads, from its name (case-insensitive), or undefined for other files. */
export function fileKindOf(name: string): FileKind | undefined {
  return MODALITY_OF_EXTENSION.get(path.extname(name).toLowerCase()) ?? rowFormatOf(name);
}

/** The reader of a plugin that reads its own files (audio), if `kind` is such a modality. */
function pluginReader(kind: FileKind) {
  return (MODALITIES as readonly string[]).includes(kind) ? modalityPlugins[kind as Modality].files : undefined;
}

// ───────────────────────────── cache ─────────────────────────────

/** Per-file cache entry. Item records are compact arrays (see toRecord/fromRecord). */
interface CacheEntry {
  /** size, mtimeMs, ctimeMs of the file when read */
  s: number;
  m: number;
  c: number;
  /** the entry may be stale even if s/m/c match (file changed within the timestamp granularity) */
  r?: 1;
  /** file hash */
  h?: string;
  /** items: image [width,height,channels] | text [preview] | row [row,line,hash,size,preview] | plugin-read [item] */
  i: unknown[][];
  /** skips: [row or 0, reason] */
  x: [number, string][];
}

interface CacheFile {
  version: number;
  key: string;
  scanStartMs: number;
  files: Record<string, CacheEntry>;
}

async function loadCache(file: string | undefined, key: string): Promise<Map<string, CacheEntry>> {
  const map = new Map<string, CacheEntry>();
  if (!file) return map;
  try {
    const parsed = JSON.parse(await fs.readFile(file, 'utf8')) as CacheFile;
    if (parsed?.version !== SCANNER_VERSION || parsed.key !== key || typeof parsed.files !== 'object' || !parsed.files) return map;
    for (const [rel, e] of Object.entries(parsed.files)) {
      if (e && typeof e.s === 'number' && typeof e.m === 'number' && Array.isArray(e.i) && Array.isArray(e.x)) map.set(rel, e);
    }
  } catch {
    // missing or unreadable cache: scan everything
  }
  return map;
}

/**
 * Makes the folder the scan results go to, one level at a time: a recursive mkdir reports a read-only file system
 * as "no such file or directory". A workspace SelfLabel cannot write to is refused up front with the real reason
 * (the scan's results could not be kept anyway).
 */
async function ensureCacheFolder(dir: string): Promise<void> {
  const missing: string[] = [];
  for (let d = dir; ; d = path.dirname(d)) {
    const st = await fs.stat(d).catch(() => undefined);
    if (st) break;
    missing.unshift(d);
    if (path.dirname(d) === d) break;
  }
  for (const d of missing) {
    try {
      await fs.mkdir(d);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST') continue;
      const code = (e as NodeJS.ErrnoException).code;
      const why = code === 'EROFS' ? 'read-only file system' : code === 'ENOSPC' ? 'disk full' : describeFsError(e);
      throw new Error(`cannot scan: ${why} — cannot create ${d}, where SelfLabel keeps the scan results`);
    }
  }
}

async function saveCache(file: string, key: string, scanStartMs: number, entries: Map<string, CacheEntry>): Promise<void> {
  const data: CacheFile = { version: SCANNER_VERSION, key, scanStartMs, files: Object.fromEntries(entries) };
  await fs.mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  try {
    await fs.writeFile(tmp, JSON.stringify(data));
    await fs.rename(tmp, file);
  } catch {
    await fs.rm(tmp, { force: true }).catch(() => undefined);
    // the cache is an optimisation: failing to write it must not fail the scan
  }
}

function itemsFromEntry(rel: string, kind: FileKind, e: CacheEntry): { items: Item[]; skipped: Skipped[] } {
  const items: Item[] = [];
  const base = { path: rel, mtimeMs: e.m };
  for (const r of e.i) {
    if (pluginReader(kind)?.read) {
      items.push({ ...(r[0] as Item), ...base });
    } else if (kind === 'image') {
      items.push({
        id: rel,
        ...base,
        kind: 'image',
        modality: 'image',
        hash: e.h!,
        size: e.s,
        width: r[0] as number,
        height: r[1] as number,
        channels: r[2] as number,
      });
    } else if (kind === 'text') {
      items.push({ id: rel, ...base, kind: 'text', modality: 'text', hash: e.h!, size: e.s, preview: r[0] as string });
    } else {
      const row = r[0] as number;
      items.push({
        id: `${rel}#${row}`,
        ...base,
        row,
        kind: 'row',
        modality: 'text',
        hash: r[2] as string,
        size: r[3] as number,
        preview: r[4] as string,
        line: r[1] as number,
      });
    }
  }
  const skipped: Skipped[] = e.x.map(([row, reason]) => (row ? { path: rel, row, reason } : { path: rel, reason }));
  return { items, skipped };
}

function recordOf(it: Item): unknown[] {
  if (pluginReader(it.modality)?.read && it.kind === it.modality) return [it];
  if (it.kind === 'image') return [it.width, it.height, it.channels];
  if (it.kind === 'text') return [it.preview];
  return [it.row, it.line, it.hash, it.size, it.preview];
}

// ───────────────────────────── reading one file ─────────────────────────────

interface FileResult {
  items: Item[];
  skipped: Skipped[];
  hash?: string;
}

function mb(n: number): string {
  return `${(n / (1024 * 1024)).toFixed(n < 10 * 1024 * 1024 ? 1 : 0)} MB`;
}

async function readWholeFile(rel: string, abs: string, kind: 'image' | 'text', st: Stats): Promise<FileResult> {
  const buf = await fs.readFile(abs);
  if (buf.length === 0) return { items: [], skipped: [{ path: rel, reason: 'empty file' }] };
  const hash = contentHash(buf);
  try {
    if (kind === 'image') {
      const info = probeImage(buf);
      return {
        hash,
        skipped: [],
        items: [
          {
            id: rel,
            path: rel,
            kind: 'image',
            modality: 'image',
            hash,
            size: buf.length,
            mtimeMs: st.mtimeMs,
            width: info.width,
            height: info.height,
            channels: info.channels,
          },
        ],
      };
    }
    const text = decodeTextFile(buf);
    return {
      hash,
      skipped: [],
      items: [{ id: rel, path: rel, kind: 'text', modality: 'text', hash, size: buf.length, mtimeMs: st.mtimeMs, preview: preview(text) }],
    };
  } catch (e) {
    if (e instanceof ItemError) return { hash, items: [], skipped: [{ path: rel, reason: e.reason }] };
    throw e;
  }
}

async function readRowFile(
  rel: string,
  abs: string,
  format: RowFormat,
  st: Stats,
  textField: string,
  signal?: AbortSignal,
): Promise<FileResult> {
  const items: Item[] = [];
  const skipped: Skipped[] = [];
  let extraSkips = 0;
  let col = -1;
  let header: string[] = [];
  const skip = (row: number, line: number, reason: string) => {
    if (skipped.length < MAX_ROW_SKIPS_PER_FILE) skipped.push({ path: rel, row, reason: `${reason} (line ${line})` });
    else extraSkips++;
  };
  try {
    const stats = await readRawRows(
      abs,
      format,
      (r) => {
        if (r.kind === 'bad') return skip(r.row, r.line, r.reason);
        const t = r.kind === 'json' ? jsonRowText(r.value, textField) : csvRowText(r.fields, col, header);
        if ('reason' in t) return skip(r.row, r.line, t.reason);
        items.push({
          id: `${rel}#${r.row}`,
          path: rel,
          row: r.row,
          kind: 'row',
          modality: 'text',
          hash: contentHash(t.text),
          size: Buffer.byteLength(t.text),
          mtimeMs: st.mtimeMs,
          preview: preview(t.text),
          line: r.line,
        });
      },
      {
        signal,
        onHeader: (h) => {
          const c = csvTextColumn(h, textField);
          if (typeof c !== 'number') throw new ItemError(c.reason);
          col = c;
          header = h;
        },
      },
    );
    if (extraSkips) skipped.push({ path: rel, reason: `${extraSkips} more rows skipped (the first ${MAX_ROW_SKIPS_PER_FILE} are listed)` });
    if (stats.bytes === 0) return { items: [], skipped: [{ path: rel, reason: 'empty file' }] };
    if (stats.rows === 0)
      return {
        hash: stats.hash,
        items: [],
        skipped: [{ path: rel, reason: format === 'csv' && stats.header ? 'no data rows (only a header)' : 'no data rows' }],
      };
    return { hash: stats.hash, items, skipped };
  } catch (e) {
    if (e instanceof ItemError) return { items: [], skipped: [{ path: rel, reason: e.reason }] };
    throw e;
  }
}

// ───────────────────────────── the scan ─────────────────────────────

interface Candidate {
  rel: string;
  abs: string;
  kind: FileKind;
  /** stat already taken (symlinks are resolved during the walk) */
  st?: Stats;
}

/** picomatch over workspace-relative POSIX paths; dotfiles match; a glob without a slash matches base names anywhere. */
function globMatcher(globs: string[] | undefined): ((rel: string) => boolean) | undefined {
  const patterns = (globs ?? [])
    .map((g) => g.trim().replace(/\\/g, '/').replace(/^\.\//, ''))
    .filter((g) => g.length > 0)
    .map((g) => (g.includes('/') ? g.replace(/^\//, '') : `**/${g}`));
  return patterns.length ? picomatch(patterns, { dot: true }) : undefined;
}

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Scans `root` for items. See the module comment for the rules. */
export async function scanWorkspace(root: string, opts: ScanWorkspaceOptions = {}): Promise<ScanResult> {
  const t0 = Date.now();
  const scanStartMs = t0;
  const absRoot = path.resolve(root);
  const { signal, onProgress } = opts;
  const textField = opts.textField || 'text';
  throwIfAborted(signal);
  let rootStat: Stats;
  try {
    rootStat = await fs.stat(absRoot);
  } catch (e) {
    throw new Error(`cannot scan ${absRoot}: ${describeFsError(e)}`);
  }
  if (!rootStat.isDirectory()) throw new Error(`cannot scan ${absRoot}: not a folder`);

  const isExcluded = globMatcher(opts.exclude) ?? (() => false);
  const isIncluded = globMatcher(opts.include) ?? (() => true);
  const cacheKey = `${textField}\u0000${opts.maxFileBytes ?? 'default'}\u0000${JSON.stringify(opts.audioWindows ?? {})}`;
  if (opts.cacheFile) await ensureCacheFolder(path.dirname(opts.cacheFile));
  const cache = await loadCache(opts.cacheFile, cacheKey);

  const skipped: Skipped[] = [];
  const candidates: Candidate[] = [];
  let lastReport = 0;
  const report = (done: number, total: number | undefined, message?: string, force = false) => {
    if (!onProgress) return;
    const now = Date.now();
    if (!force && now - lastReport < PROGRESS_INTERVAL_MS) return;
    lastReport = now;
    onProgress({ stage: 'scan', done, total, message });
  };

  // 1. Walk (breadth-first, iterative; symlinked folders are never entered).
  const dirs: string[] = [''];
  for (let d = 0; d < dirs.length; d++) {
    throwIfAborted(signal);
    const dir = dirs[d];
    let entries: Dirent[];
    try {
      entries = await fs.readdir(dir ? path.join(absRoot, dir) : absRoot, { withFileTypes: true });
    } catch (e) {
      skipped.push({ path: dir || '.', reason: `cannot read folder: ${describeFsError(e)}` });
      continue;
    }
    if (dir && entries.some((e) => e.name === EXPORT_MARKER_NAME)) {
      skipped.push({ path: dir, reason: 'folder holds a SelfLabel export: not scanned' });
      continue;
    }
    entries.sort((a, b) => compareStrings(a.name, b.name));
    for (const ent of entries) {
      const rel = dir ? `${dir}/${ent.name}` : ent.name;
      const abs = path.join(absRoot, rel);
      if (ent.isDirectory()) {
        if (ALWAYS_EXCLUDED_DIRS.includes(ent.name) || isExcluded(rel) || isExcluded(`${rel}/`)) continue;
        dirs.push(rel);
        continue;
      }
      let st: Stats | undefined;
      if (ent.isSymbolicLink()) {
        if (isExcluded(rel)) continue;
        try {
          st = await fs.stat(abs);
        } catch (e) {
          if (fileKindOf(ent.name)) skipped.push({ path: rel, reason: `broken symbolic link (${describeFsError(e)})` });
          continue;
        }
        if (st.isDirectory()) {
          skipped.push({ path: rel, reason: 'symbolic link to a folder: not followed' });
          continue;
        }
        if (!st.isFile()) continue;
      } else if (!ent.isFile()) {
        continue; // FIFOs, sockets, devices
      }
      const kind = fileKindOf(ent.name);
      if (!kind || !isIncluded(rel) || isExcluded(rel)) continue;
      candidates.push({ rel, abs, kind, st });
    }
    report(0, undefined, `listing files (${candidates.length} found)`);
  }

  // 2. Read (or reuse from the cache) every candidate, a few at a time.
  const total = candidates.length;
  report(0, total, undefined, true);
  const results: FileResult[] = new Array(total);
  const newCache = new Map<string, CacheEntry>();
  let next = 0;
  let done = 0;
  let aborted = false;
  const worker = async () => {
    while (next < total) {
      if (signal?.aborted) {
        aborted = true;
        return;
      }
      const idx = next++;
      const c = candidates[idx];
      results[idx] = await processFile(c);
      done++;
      report(done, total);
    }
  };
  const processFile = async (c: Candidate): Promise<FileResult> => {
    let st = c.st;
    try {
      st ??= await fs.stat(c.abs);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      return {
        items: [],
        skipped: [{ path: c.rel, reason: code === 'ENOENT' ? 'file disappeared during the scan' : `cannot read: ${describeFsError(e)}` }],
      };
    }
    const cached = cache.get(c.rel);
    if (cached && !cached.r && cached.s === st.size && cached.m === st.mtimeMs && cached.c === st.ctimeMs) {
      newCache.set(c.rel, cached);
      return itemsFromEntry(c.rel, c.kind, cached);
    }
    let res: FileResult;
    const own = pluginReader(c.kind);
    const limit =
      opts.maxFileBytes ??
      own?.maxFileBytes ??
      (c.kind === 'jsonl' || c.kind === 'csv' ? DEFAULT_MAX_ROW_FILE_BYTES : DEFAULT_MAX_FILE_BYTES);
    if (st.size === 0) {
      res = { items: [], skipped: [{ path: c.rel, reason: 'empty file' }] };
    } else if (st.size > limit) {
      res = { items: [], skipped: [{ path: c.rel, reason: `file too large: ${mb(st.size)} (limit ${mb(limit)})` }] };
    } else {
      try {
        res = own?.read
          ? await own.read({ rel: c.rel, abs: c.abs, size: st.size, mtimeMs: st.mtimeMs, audioWindows: opts.audioWindows, signal })
          : c.kind === 'image' || c.kind === 'text'
            ? await readWholeFile(c.rel, c.abs, c.kind, st)
            : c.kind === 'jsonl' || c.kind === 'csv'
              ? await readRowFile(c.rel, c.abs, c.kind, st, textField, signal)
              : { items: [], skipped: [{ path: c.rel, reason: `no reader for ${c.kind} files` }] };
      } catch (e) {
        if ((e as Error).name === 'AbortError') throw e;
        const code = (e as NodeJS.ErrnoException).code;
        // not cached: the next scan tries again
        return {
          items: [],
          skipped: [{ path: c.rel, reason: code === 'ENOENT' ? 'file disappeared during the scan' : `cannot read: ${describeFsError(e)}` }],
        };
      }
    }
    const entry: CacheEntry = {
      s: st.size,
      m: st.mtimeMs,
      c: st.ctimeMs,
      h: res.hash,
      i: res.items.map(recordOf),
      x: res.skipped.map((s) => [s.row ?? 0, s.reason]),
    };
    if (st.mtimeMs >= scanStartMs - RACY_MARGIN_MS) entry.r = 1;
    newCache.set(c.rel, entry);
    return res;
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, Math.max(1, total)) }, worker));
  if (aborted || signal?.aborted) throw abortError('scan cancelled');

  // 3. Collect, sort, remember.
  const items: Item[] = [];
  for (const r of results) {
    for (const it of r.items) items.push(it);
    for (const s of r.skipped) skipped.push(s);
  }
  items.sort((a, b) => compareStrings(a.path, b.path) || (a.row ?? 0) - (b.row ?? 0));
  skipped.sort((a, b) => compareStrings(a.path, b.path) || (a.row ?? 0) - (b.row ?? 0));
  if (opts.cacheFile) {
    await saveCache(opts.cacheFile, cacheKey, scanStartMs, newCache);
  }
  report(total, total, undefined, true);
  return { items, skipped, filesSeen: total, seconds: (Date.now() - t0) / 1000 };
}
