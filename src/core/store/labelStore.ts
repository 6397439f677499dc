/**
 * The label store: the single source of truth for labels, kept in plain, git-friendly files inside the workspace.
 *
 *   .selflabel/classes.json   {"version":1,"classes":[...]}, replaced atomically (temp file, fsync, rename, fsync dir)
 *   .selflabel/labels.jsonl   append-only journal, one LabelEvent JSON per line
 *   .selflabel/.gitignore     written on creation: cache/, models/, *.tmp
 *   .selflabel/.gitattributes written on creation: the journal merges with git's union driver (no conflicts)
 *
 * Durability: `record` resolves only after one write() of the whole line(s) on a file opened with O_APPEND and an
 * fdatasync, and a check that the file written to is still the journal (if a compaction replaced it meanwhile, the
 * same line, same id, is appended to the new journal; replay de-duplicates by id). Every write starts with a
 * newline, whatever the file ends with, so a record survives any torn neighbour (another process's write cut short
 * by a crash); blank lines are ignored. Several events written together (`recordMany`: an import, an accept batch)
 * are one batch line `{"batch":id,"time":…,"events":[…]}`: a crash in the middle of the write leaves all or none.
 * Several LabelStore instances, in one or several processes, can append to the same journal at once.
 *
 * The in-memory state always follows the file: after each write the store reads the journal from where it last
 * stopped (which also picks up other writers' events), so the state equals a fresh replay of the file. `refresh`
 * does the same on demand; a compacted (replaced or shrunk) journal is replayed from the start.
 *
 * Compaction (`compact`, and automatically in the background once at least half of ≥ autoCompactMinEvents events
 * are superseded) rewrites the journal as the minimal event list (current labels and rejections, original ids)
 * under a lock folder `.selflabel/labels.lock` that only compactions and undo take: writers never wait for it, so a
 * stalled compaction does not hold labelling up. The new journal starts with a header `{"journal":token,"lines":K}`;
 * before renaming it into place the compaction gives the old file a second name, `labels.jsonl.prev-<offset>-<token>`,
 * so lines appended to the old file after the compaction read it stay reachable: the compaction carries them over
 * and then removes the prev file, and if it died before, replay applies the prev file's tail right after the K
 * compacted events. Unreadable lines are not dropped silently: compaction saves them to
 * `.selflabel/labels-unreadable-<time>.txt`. Compaction forgets history, so `undo` cannot go back past it.
 *
 * All public methods of one instance run one at a time (an internal queue).
 */
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import type { CurrentLabel, LabelEvent, LabelSource } from '../types';
import { LabelState, LABEL_SOURCES, SETTING_SOURCES, isBatchLine, setOwn, validateEvent } from './state';
import { acquireLock, atomicWriteFile, fsyncDir, renameRetry, tmpName, writeError } from './fsutil';
import { itemIdProblem, shortId } from './itemId';
import { recoverPendingExports } from './exportRecovery';

export const STORE_DIR = '.selflabel';
export const GITIGNORE = 'cache/\nmodels/\n*.tmp\nlabels.jsonl.prev-*\n';
export const GITATTRIBUTES = 'labels.jsonl merge=union\n';
/** Longest class name accepted. */
export const MAX_CLASS_NAME = 100;
/** At most this many journal warnings are kept (a summary line counts the rest). */
const MAX_WARNINGS = 100;
const NL = Buffer.from('\n');
/** How many bytes before the read offset `refresh` compares to detect a replaced journal. */
const TAIL_CHECK_BYTES = 64;
/** `labels.jsonl.prev-<offset>-<token>`: the journal a compaction replaced, kept until its tail is carried over. */
const PREV_RE = /^labels\.jsonl\.prev-(\d+)-([0-9a-f]+)$/;

/** A count of one kind of journal oddity and its first example (for "warn once with counts"). */
interface Oddity {
  n: number;
  example: string;
}

/** A change of the class schema (LabelStore.changeClasses). */
export type SchemaChange =
  | { op: 'rename'; from: string; to: string }
  | { op: 'merge'; from: string[]; into: string }
  | { op: 'split'; from: string; into: string; items: string[] }
  | { op: 'delete'; cls: string }
  | { op: 'reorder'; classes: string[] };

/**
 * What `undo` and `redo` did: one step, i.e. every event of one journal line (a single event, or a batch: a bulk
 * label, an accept of many, an import, a class change). The LabelEvent fields are those of the step's latest event
 * (for a class change: a placeholder with `schema`, its description); `events` are all the events undone or redone.
 */
export type UndoStep = LabelEvent & { events: LabelEvent[]; schema?: string };

/** What a schema batch line records besides its events. */
export interface SchemaRecord {
  op: SchemaChange['op'] | 'undo' | 'redo';
  /** For an undo or a redo: the batch id of the change it reverts or re-applies. */
  of?: string;
  before: string[];
  after: string[];
  detail: string;
}
interface SchemaBatch extends SchemaRecord {
  batch: string;
  events: string[];
  /** Events in the journal when the change was read (its own included). */
  position: number;
  undone: boolean;
}

function schemaRecordOf(v: unknown): SchemaRecord | undefined {
  if (v === null || typeof v !== 'object') return undefined;
  const r = v as Record<string, unknown>;
  const list = (x: unknown) => Array.isArray(x) && x.every((c) => typeof c === 'string');
  if (typeof r.op !== 'string' || !list(r.before) || !list(r.after)) return undefined;
  return {
    op: r.op as SchemaRecord['op'],
    of: typeof r.of === 'string' ? r.of : undefined,
    before: r.before as string[],
    after: r.after as string[],
    detail: String(r.detail ?? r.op),
  };
}

function describeChange(c: SchemaChange): string {
  switch (c.op) {
    case 'rename':
      return `rename ${c.from} → ${c.to}`;
    case 'merge':
      return `merge ${c.from.join(', ')} into ${c.into}`;
    case 'split':
      return `split ${c.items.length} item(s) of ${c.from} into ${c.into}`;
    case 'delete':
      return `delete ${c.cls}`;
    case 'reorder':
      return `reorder ${c.classes.join(', ')}`;
  }
}

/** The new class list and the events of a schema change; throws a readable error on a change that does not apply. */
export function planSchemaChange(
  classes: readonly string[],
  c: SchemaChange,
  state: Pick<LabelState, 'current' | 'rejectedLabels' | 'hasItem' | 'events'>,
): { after: string[]; inputs: RecordInput[] } {
  const need = (x: string) => {
    if (!classes.includes(x)) throw new Error(`unknown class ${JSON.stringify(x)} (classes: ${classes.join(', ')})`);
  };
  const fresh = (x: string) => {
    const problem = classNameProblem(x);
    if (problem) throw new Error(`class name ${JSON.stringify(x)} ${problem}`);
    const clash = classes.find((k) => k.toLowerCase() === x.toLowerCase());
    if (clash) throw new Error(`class ${JSON.stringify(x)} exists already${clash !== x ? ` (as ${JSON.stringify(clash)})` : ''}`);
  };
  const inputs: RecordInput[] = [];
  /** Moves the labels (keeping their source) and the rejections of the classes in `map` to their new class. */
  const move = (map: Map<string, string>, only?: Set<string>) => {
    for (const cur of state.current().values()) {
      const to = map.get(cur.label);
      if (to === undefined || (only && !only.has(cur.item))) continue;
      inputs.push({ item: cur.item, label: to, source: cur.source });
    }
  };
  const moveRejections = (map: Map<string, string>, items: Iterable<string>) => {
    for (const item of items) {
      for (const r of state.rejectedLabels(item)) {
        const to = map.get(r);
        if (to !== undefined && !state.rejectedLabels(item).has(to)) inputs.push({ item, label: to, source: 'rejected' });
      }
    }
  };
  switch (c.op) {
    case 'rename': {
      need(c.from);
      if (c.to !== c.from) fresh(c.to);
      const map = new Map([[c.from, c.to]]);
      move(map);
      const after = classes.map((x) => (x === c.from ? c.to : x));
      return { after, inputs: withRejections(inputs, map, state, moveRejections) };
    }
    case 'merge': {
      if (!c.from.length) throw new Error('merge needs at least one class to merge');
      c.from.forEach(need);
      const into = c.into;
      if (!classes.includes(into)) fresh(into);
      const map = new Map(c.from.filter((x) => x !== into).map((x) => [x, into]));
      move(map);
      const gone = new Set(map.keys());
      const after: string[] = [];
      for (const x of classes) {
        const y = gone.has(x) ? into : x;
        if (!after.includes(y)) after.push(y);
      }
      return { after, inputs: withRejections(inputs, map, state, moveRejections) };
    }
    case 'split': {
      need(c.from);
      fresh(c.into);
      if (!c.items.length) throw new Error('split needs the items that go to the new class');
      for (const item of c.items) {
        const cur = state.current().get(item);
        if (!cur || cur.label !== c.from)
          throw new Error(`${item} is not labelled ${JSON.stringify(c.from)}${cur ? ` (it is ${JSON.stringify(cur.label)})` : ''}`);
      }
      move(new Map([[c.from, c.into]]), new Set(c.items));
      const i = classes.indexOf(c.from);
      return { after: [...classes.slice(0, i + 1), c.into, ...classes.slice(i + 1)], inputs };
    }
    case 'delete': {
      need(c.cls);
      for (const cur of state.current().values()) if (cur.label === c.cls) inputs.push({ item: cur.item, label: null, source: 'removed' });
      return { after: classes.filter((x) => x !== c.cls), inputs };
    }
    case 'reorder': {
      const same =
        c.classes.length === classes.length && new Set(c.classes).size === classes.length && c.classes.every((x) => classes.includes(x));
      if (!same) throw new Error(`reorder needs every class exactly once (classes: ${classes.join(', ')})`);
      return { after: [...c.classes], inputs };
    }
  }
}

function withRejections(
  inputs: RecordInput[],
  map: Map<string, string>,
  state: Pick<LabelState, 'current' | 'rejectedLabels' | 'hasItem' | 'events'>,
  moveRejections: (map: Map<string, string>, items: Iterable<string>) => void,
): RecordInput[] {
  // Items with rejections are among those the journal names; the state keeps rejections per item.
  const items = new Set<string>();
  for (const cur of state.current().values()) items.add(cur.item);
  for (const e of state.events()) if (e.source === 'rejected') items.add(e.item);
  moveRejections(map, items);
  return inputs;
}

/** What `record` needs; the store fills `id` and `time`. */
export interface RecordInput {
  item: string;
  label: string | null;
  source: LabelSource;
  model?: string;
  confidence?: number;
  hash?: string;
  undoes?: string;
}

/** Why a class name is not acceptable, or undefined if it is fine. */
export function classNameProblem(name: unknown): string | undefined {
  if (typeof name !== 'string') return 'is not a string';
  if (name.length === 0 || name.trim() === '') return 'is empty';
  if (name !== name.trim()) return 'has spaces at the start or end';
  if (/[\r\n]/.test(name)) return 'contains a line break';
  if (name.includes(',')) return 'contains a comma';
  if (/[\u0000-\u001f\u007f]/.test(name)) return 'contains a control character';
  if (/[/\\]/.test(name)) return 'contains a slash (class names become folder names when exporting)';
  if (name === '.' || name === '..') return 'is not a usable folder name';
  if (name.length > MAX_CLASS_NAME) return `is longer than ${MAX_CLASS_NAME} characters`;
  return undefined;
}

/** Throws a clear Error if `classes` is not a non-empty list of unique, valid class names. */
export function validateClasses(classes: unknown): asserts classes is string[] {
  if (!Array.isArray(classes) || classes.length === 0) throw new StoreError('invalid-classes', 'invalid classes: give at least one class');
  const seen = new Map<string, string>();
  for (const c of classes) {
    const problem = classNameProblem(c);
    if (problem) throw new StoreError('invalid-classes', `invalid class name ${JSON.stringify(c)}: it ${problem}`);
    const key = (c as string).toLowerCase();
    const prev = seen.get(key);
    if (prev === c) throw new StoreError('invalid-classes', `invalid classes: "${c}" is listed twice`);
    if (prev !== undefined) throw new StoreError('invalid-classes', `invalid classes: "${prev}" and "${c}" differ only in case`);
    seen.set(key, c as string);
  }
}

function fileId(st: { dev: bigint; ino: bigint }): string {
  return `${st.dev}:${st.ino}`;
}

let idCounter = 0;
/** Unique, roughly time-ordered event id: base-36 milliseconds, a per-process counter and 48 random bits. */
function newEventId(): string {
  idCounter = (idCounter + 1) % 1679616;
  return `${Date.now().toString(36)}-${idCounter.toString(36).padStart(4, '0')}${randomBytes(6).toString('hex')}`;
}

/** The store's errors a door acts on, each with a code (never classified by their message). */
export class StoreError extends Error {
  override name = 'StoreError';
  constructor(
    readonly code: 'not-a-workspace' | 'invalid-classes',
    message: string,
  ) {
    super(message);
  }
}

/** setClasses refused to remove classes that still have labels (without `force`). */
export class ClassesInUseError extends Error {
  override name = 'ClassesInUseError';
  readonly code = 'classes-in-use';
}

export class LabelStore {
  readonly root: string;
  readonly dir: string;
  readonly journalPath: string;
  readonly classesPath: string;
  readonly lockPath: string;

  private state = new LabelState();
  private classList: string[] = [];
  /** Class schema changes in journal order (so undo reverts a whole change, even one that moved no label). */
  private readonly schemaBatches: SchemaBatch[] = [];
  /** Each journal line is one step (undo and redo act on whole steps): event id → its step's event ids. */
  private stepOf = new Map<string, readonly string[]>();
  /** Step ids (batch id, or the id of a single event) already noted, so a line read twice counts once. */
  private stepsSeen = new Set<string>();
  /**
   * Undo steps that redo can re-apply, latest last: the ids of their undo events, and for a class change the batch it
   * reverted. Any new action (a step that is neither an undo nor a redo) empties it, as in any editor.
   */
  private redoable: { undoEvents: string[]; schemaOf?: string }[] = [];
  private classesStamp = '';
  private classWarnings: string[] = [];
  private journalWarnings: string[] = [];
  private droppedWarnings = 0;
  /** Bytes of the journal consumed (up to the end of the last complete line), its line count, and its identity. */
  private offset = 0;
  private lineNo = 0;
  private journalId: string | undefined;
  private tornWarnedAt = -1;
  /** The last bytes before `offset`, to recognise a replaced journal that got the old one's inode number. */
  private tail = Buffer.alloc(0);
  /** Complete lines that could not be used (kept for compaction to save aside). */
  private badLines: string[] = [];
  /** Lines of prev files to apply after line `afterLine` of a compacted journal (see preparePrevTails). */
  private prevTail: { afterLine: number; lines: { file: string; line: string }[] } | undefined;
  /** Why classes.json could not be read (the store still opens: labels stay reachable, `init --force` repairs). */
  private classesError: string | undefined;
  private odd: Record<'badItem' | 'badLabel' | 'conflict', Oddity> = {
    badItem: { n: 0, example: '' },
    badLabel: { n: 0, example: '' },
    conflict: { n: 0, example: '' },
  };
  private queue: Promise<unknown> = Promise.resolve();
  private background: Promise<void> | undefined;
  /** Automatic compaction: at least this many events, of which at least half superseded (0 turns it off). */
  static autoCompactMinEvents = 5000;

  private constructor(root: string) {
    this.root = root;
    this.dir = path.join(root, STORE_DIR);
    this.journalPath = path.join(this.dir, 'labels.jsonl');
    this.classesPath = path.join(this.dir, 'classes.json');
    this.lockPath = path.join(this.dir, 'labels.lock');
  }

  /**
   * Opens the store of the workspace `root` and replays its journal. With create, makes `.selflabel` if missing.
   * Unusable journal lines never make it throw: they are skipped and listed in `warnings`.
   */
  static async open(root: string, opts: { create?: boolean } = {}): Promise<LabelStore> {
    const store = new LabelStore(path.resolve(root));
    let st;
    try {
      st = await fs.stat(store.dir);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw new Error(`cannot open ${store.dir}: ${(e as Error).message}`);
    }
    if (!st) {
      if (!opts.create)
        throw new StoreError('not-a-workspace', `not a SelfLabel workspace: run init (no ${STORE_DIR} folder in ${store.root})`);
      await store.create();
    } else if (!st.isDirectory()) {
      throw new Error(`${store.dir} is not a folder`);
    }
    await store.loadClasses();
    await store.readNew();
    await recoverPendingExports(store.dir);
    return store;
  }

  private async create(): Promise<void> {
    try {
      await fs.mkdir(this.dir);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EEXIST') return; // created by someone else meanwhile
      if (code === 'ENOENT') throw new Error(`cannot create ${this.dir}: the folder ${this.root} does not exist`);
      throw writeError('create the label store', this.dir, e);
    }
    try {
      await fs.writeFile(path.join(this.dir, '.gitignore'), GITIGNORE, { flag: 'wx' }).catch(ignoreExists);
      await fs.writeFile(path.join(this.dir, '.gitattributes'), GITATTRIBUTES, { flag: 'wx' }).catch(ignoreExists);
      await fs.writeFile(this.journalPath, '', { flag: 'a' });
      await fsyncDir(this.dir);
    } catch (e) {
      throw writeError('create the label store', this.dir, e);
    }
  }

  /** Problems found while reading classes.json and the journal (skipped lines, ignored undos …). */
  get warnings(): string[] {
    const w = [...this.classWarnings, ...this.journalWarnings];
    if (this.droppedWarnings) w.push(`… and ${this.droppedWarnings} more journal problems`);
    const { badItem, badLabel, conflict } = this.odd;
    if (badItem.n) w.push(`labels.jsonl: ${badItem.n} event(s) name an invalid item id (first: ${badItem.example}): ignored`);
    if (badLabel.n)
      w.push(
        `labels.jsonl: ${badLabel.n} label(s) are not usable class names (first: ${badLabel.example}): kept, but skipped by a folders export`,
      );
    if (conflict.n)
      w.push(
        `labels.jsonl: ${conflict.n} event id(s) are used again for a different event (first: ${conflict.example}): the first one counts`,
      );
    if (!this.classesError) {
      const known = new Set(this.classList);
      const unknown = new Map<string, number>();
      for (const c of this.state.current().values()) {
        if (!known.has(c.label) && !classNameProblem(c.label)) unknown.set(c.label, (unknown.get(c.label) ?? 0) + 1);
      }
      if (unknown.size) {
        const total = [...unknown.values()].reduce((a, b) => a + b, 0);
        const list = [...unknown]
          .slice(0, 5)
          .map(([c, n]) => `"${c}" (${n})`)
          .join(', ');
        w.push(
          `labels.jsonl: ${total} label(s) of class(es) not in classes.json: ${list}${unknown.size > 5 ? ', …' : ''} — add them with init --classes, or remove them`,
        );
      }
    }
    return w;
  }

  private labelProblems = new Map<string, boolean>();
  private labelProblem(label: string): boolean {
    let p = this.labelProblems.get(label);
    if (p === undefined) this.labelProblems.set(label, (p = classNameProblem(label) !== undefined));
    return p;
  }

  private oddity(kind: keyof LabelStore['odd'], example: string): void {
    const o = this.odd[kind];
    if (o.n++ === 0) o.example = example;
  }

  // ───────────────────────────── queue ─────────────────────────────

  private run<T>(fn: () => Promise<T>): Promise<T> {
    const p = this.queue.then(fn, fn);
    this.queue = p.catch(() => undefined);
    return p;
  }

  // ───────────────────────────── reading ─────────────────────────────

  /** (Re)reads classes.json if it changed. `strict`: throw on a broken file (open); else keep the old list. */
  private async loadClasses(strict = false): Promise<void> {
    let st;
    try {
      st = await fs.stat(this.classesPath, { bigint: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') {
        // strict (open): fail; otherwise keep the classes we have (a write that follows reports the real problem)
        if (strict) throw new Error(`cannot read ${this.classesPath}: ${(e as Error).message}`);
        return;
      }
      this.classList = [];
      this.classesStamp = '';
      this.classWarnings = [];
      this.classesError = undefined;
      return;
    }
    const stamp = `${st.ino}:${st.size}:${st.mtimeNs}`;
    if (stamp === this.classesStamp) return;
    let classes: string[];
    const warnings: string[] = [];
    try {
      const raw = JSON.parse(await fs.readFile(this.classesPath, 'utf8')) as unknown;
      const obj = raw as { version?: unknown; classes?: unknown };
      if (raw === null || typeof raw !== 'object' || !Array.isArray(obj.classes)) throw new Error('expected {"version":1,"classes":[...]}');
      if (typeof obj.version === 'number' && obj.version > 1) throw new Error(`version ${obj.version} was written by a newer SelfLabel`);
      classes = [];
      for (const c of obj.classes) {
        const problem = classNameProblem(c);
        if (typeof c !== 'string') {
          warnings.push(`classes.json: ${JSON.stringify(c)} is not a class name, ignored`);
          continue;
        }
        if (problem) warnings.push(`classes.json: class ${JSON.stringify(c)} ${problem}`);
        if (classes.includes(c)) warnings.push(`classes.json: "${c}" is listed twice`);
        else classes.push(c);
      }
    } catch (e) {
      const msg = `cannot read ${this.classesPath}: ${(e as Error).message}`;
      if (strict) throw new Error(msg);
      this.classesError = msg;
      this.classWarnings = [`${msg} — the labels are kept; repair it with: selflabel init --force --classes a,b,c`];
      return;
    }
    this.classesError = undefined;
    this.classList = classes;
    this.classWarnings = warnings;
    this.classesStamp = stamp;
  }

  private warn(msg: string): void {
    if (this.journalWarnings.length < MAX_WARNINGS) this.journalWarnings.push(msg);
    else this.droppedWarnings++;
  }

  private resetJournalState(): void {
    this.state = new LabelState();
    this.stepOf = new Map();
    this.stepsSeen = new Set();
    this.redoable = [];
    this.offset = 0;
    this.tail = Buffer.alloc(0);
    this.lineNo = 0;
    this.tornWarnedAt = -1;
    this.badLines = [];
    this.journalWarnings = [];
    this.droppedWarnings = 0;
    this.prevTail = undefined;
    this.odd = { badItem: { n: 0, example: '' }, badLabel: { n: 0, example: '' }, conflict: { n: 0, example: '' } };
  }

  /** Reads the journal from where we stopped; replays from the start if the file was replaced or shrunk. */
  private async readNew(): Promise<void> {
    let fh: fs.FileHandle;
    try {
      fh = await fs.open(this.journalPath, 'r');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
        if (this.journalId !== undefined || this.state.size) this.resetJournalState();
        this.journalId = undefined;
        return;
      }
      throw new Error(`cannot read ${this.journalPath}: ${(e as Error).message}`);
    }
    try {
      const st = await fh.stat({ bigint: true });
      if (!st.isFile()) throw new Error(`cannot read ${this.journalPath}: not a regular file`);
      const id = fileId(st);
      const size = Number(st.size);
      let replaced = (this.journalId !== undefined && id !== this.journalId) || size < this.offset;
      if (!replaced && this.tail.length) {
        // Same inode number and not shorter: compare the bytes just before where we stopped, because inode
        // numbers are reused (a compaction frees the old journal; a later one may get its number).
        const check = Buffer.alloc(this.tail.length);
        const { bytesRead } = await fh.read(check, 0, check.length, this.offset - check.length);
        replaced = bytesRead !== check.length || !check.equals(this.tail);
      }
      if (replaced) this.resetJournalState();
      this.journalId = id;
      if (size <= this.offset) return;
      const len = size - this.offset;
      const buf = Buffer.allocUnsafe(len);
      let got = 0;
      while (got < len) {
        const { bytesRead } = await fh.read(buf, got, len - got, this.offset + got);
        if (bytesRead === 0) break;
        got += bytesRead;
      }
      const before = this.offset;
      if (before === 0) await this.preparePrevTails(buf.subarray(0, got));
      this.consume(buf.subarray(0, got));
      const advanced = this.offset - before;
      if (advanced > 0) {
        const recent = buf.subarray(Math.max(0, advanced - TAIL_CHECK_BYTES), advanced);
        this.tail = Buffer.from(
          recent.length >= TAIL_CHECK_BYTES ? recent : Buffer.concat([this.tail, recent]).subarray(-TAIL_CHECK_BYTES),
        );
      }
    } finally {
      await fh.close();
    }
  }

  /** The prev files (journals replaced by a compaction) that belong to the current journal. */
  private async prevFiles(): Promise<{ name: string; from: number; token: string }[]> {
    const out: { name: string; from: number; token: string }[] = [];
    for (const name of await fs.readdir(this.dir).catch(() => [] as string[])) {
      const m = PREV_RE.exec(name);
      if (m) out.push({ name, from: Number(m[1]), token: m[2] });
    }
    return out;
  }

  /**
   * Before a replay from the start: if the journal is a compacted one (header `{"journal":token,"lines":K}`), loads
   * what was appended to the journal it replaced after the compaction had read it (the prev files of that token,
   * from the offset in their name). Normally the compaction carried those lines over (then they are duplicates);
   * if it died before, this is where they live until the next compaction. consume() applies them right after the
   * K compacted events — where they were in time: before anything appended to the new journal.
   */
  private async preparePrevTails(buf: Buffer): Promise<void> {
    this.prevTail = undefined;
    const nl = buf.indexOf(10);
    if (buf[0] !== 123 /* { */ || nl < 0) return;
    let header: { journal?: unknown; lines?: unknown };
    try {
      header = JSON.parse(buf.toString('utf8', 0, nl)) as { journal?: unknown; lines?: unknown };
    } catch {
      return;
    }
    if (typeof header?.journal !== 'string' || typeof header.lines !== 'number') return;
    const lines: { file: string; line: string }[] = [];
    for (const p of await this.prevFiles()) {
      if (p.token !== header.journal) continue;
      const prev = await fs.readFile(path.join(this.dir, p.name)).catch(() => undefined);
      if (!prev || prev.length <= p.from) continue;
      for (const line of prev.toString('utf8', p.from).split('\n')) lines.push({ file: p.name, line });
    }
    if (lines.length) this.prevTail = { afterLine: 1 + header.lines, lines };
  }

  private applyPrevTail(): void {
    const tail = this.prevTail;
    this.prevTail = undefined;
    if (!tail) return;
    let n = 0;
    for (const { file, line } of tail.lines) this.applyLine(line, ++n, false, file);
  }

  /** Applies the complete lines of `buf` (bytes from `offset`); an incomplete last line is left for later. */
  private consume(buf: Buffer): void {
    const lastNl = buf.lastIndexOf(10);
    if (lastNl >= 0) {
      // Decode once and split: much faster than decoding line by line (UTF-8 never has 0x0A inside a character).
      for (const line of buf.toString('utf8', 0, lastNl).split('\n')) {
        this.lineNo++;
        this.applyLine(line, this.lineNo, true);
        if (this.prevTail && this.lineNo === this.prevTail.afterLine) this.applyPrevTail();
      }
      this.offset += lastNl + 1;
    }
    if (lastNl + 1 < buf.length) {
      // No newline at the end: a write cut short by a crash, a write still in progress, or a hand edit that
      // dropped the final newline. Use it if it is a whole event (replay de-duplicates it later), else warn once.
      const ok = this.applyLine(buf.toString('utf8', lastNl + 1), this.lineNo + 1, false);
      if (!ok && this.tornWarnedAt !== this.offset) {
        this.tornWarnedAt = this.offset;
        this.warn(`labels.jsonl line ${this.lineNo + 1} is incomplete (interrupted write?): skipped`);
      }
    }
  }

  /**
   * Parses and applies one line; returns false if it is unusable. Complete bad lines are warned about and kept.
   * A line is one event, a batch (`{"batch":id,"time":…,"events":[…]}`: all its events, or none if the line is
   * torn), or the header of a compacted journal (`{"journal":token}`, line 1).
   */
  private applyLine(line: string, lineNo: number, complete: boolean, file = 'labels.jsonl'): boolean {
    const text = line.endsWith('\r') ? line.slice(0, -1) : line;
    if (text.charCodeAt(0) !== 123 /* { */ && text.trim() === '') return true;
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (e) {
      if (complete) {
        this.warn(`${file} line ${lineNo} is not valid JSON (${(e as Error).message.slice(0, 60)}): skipped`);
        this.badLines.push(text);
      }
      return false;
    }
    if (isBatchLine(parsed)) {
      const schema = schemaRecordOf((parsed as { schema?: unknown }).schema);
      const bad: string[] = [];
      const good: LabelEvent[] = [];
      for (const sub of parsed.events) {
        const ev = validateEvent(sub);
        if (typeof ev === 'string') bad.push(ev);
        else {
          this.applyEvent(ev, lineNo, file);
          good.push(ev);
        }
      }
      if (bad.length) {
        this.warn(
          `${file} line ${lineNo}: ${bad.length} of the ${parsed.events.length} events of batch ${parsed.batch} are unusable (${bad[0]}): skipped`,
        );
        this.badLines.push(text);
      }
      if (schema) this.noteSchema(parsed.batch, schema, parsed.events);
      this.noteStep(parsed.batch, good, schema);
      return true;
    }
    if (lineNo === 1 && parsed !== null && typeof parsed === 'object' && typeof (parsed as { journal?: unknown }).journal === 'string') {
      return true; // the header of a compacted journal (see preparePrevTails)
    }
    const ev = validateEvent(parsed);
    if (typeof ev === 'string') {
      if (complete) {
        this.warn(`${file} line ${lineNo}: ${ev}: skipped`);
        this.badLines.push(text);
      }
      return false;
    }
    this.applyEvent(ev, lineNo, file, text);
    this.noteStep(ev.id, [ev]);
    return true;
  }

  /**
   * Notes one journal line as a step (see UndoStep) and keeps the redo list: a line of undo events is an undo step
   * (redoable), unless the events it undoes are themselves undos — a redo, which takes its step off the list; any
   * other line is a new action, which empties the list.
   */
  private noteStep(id: string, events: readonly LabelEvent[], schema?: SchemaRecord): void {
    if (this.stepsSeen.has(id)) return;
    this.stepsSeen.add(id);
    const known = events.filter((e) => this.state.event(e.id) === e);
    if (!known.length && !schema) return;
    const ids = known.map((e) => e.id);
    for (const e of ids) this.stepOf.set(e, ids);
    const undos = known.every((e) => e.source === 'undo');
    const isRedo = schema ? schema.op === 'redo' : undos && known.every((e) => this.state.event(e.undoes!)?.source === 'undo');
    const isUndo = schema ? schema.op === 'undo' : undos && !isRedo;
    if (isRedo) {
      const first = schema?.of ?? known[0]?.undoes;
      const at = this.redoable.findIndex((r) => (schema ? r.schemaOf === first : r.undoEvents.includes(first!)));
      if (at >= 0) this.redoable.splice(at, 1);
    } else if (isUndo) {
      this.redoable.push({ undoEvents: ids, ...(schema?.of ? { schemaOf: schema.of } : {}) });
    } else {
      this.redoable = [];
    }
  }

  private applyEvent(ev: LabelEvent, lineNo: number, file: string, text?: string): void {
    // Items and labels repeat: check each distinct one once (replay speed at a million events).
    if (!this.state.hasItem(ev.item) && itemIdProblem(ev.item)) {
      // Only a hand edit (or an old version) writes such an id: never let it reach a status, an export or a path.
      this.oddity('badItem', `${shortId(ev.item)} at ${file} line ${lineNo}`);
      if (text !== undefined && !this.state.has(ev.id)) this.badLines.push(text);
      return;
    }
    const w = this.state.apply(ev);
    if (w === 'conflict') this.oddity('conflict', `${JSON.stringify(ev.id)} at ${file} line ${lineNo}`);
    else if (w) this.warn(`${file} line ${lineNo}: ${w}`);
    else if (SETTING_SOURCES.has(ev.source) && ev.label && this.labelProblem(ev.label) && this.state.event(ev.id) === ev) {
      this.oddity('badLabel', `${shortId(ev.label)} at ${file} line ${lineNo}`);
    }
  }

  // ───────────────────────────── writing ─────────────────────────────

  /**
   * Appends whole lines to the journal durably (one write on an O_APPEND file, then fdatasync), then checks that the
   * file written to is still the journal; if it was replaced meanwhile (a compaction), appends the same bytes to the
   * new journal (replay de-duplicates by id). It never waits for a compaction: one that read the journal before our
   * write keeps the old file as `labels.jsonl.prev-<offset>-<token>` until it has carried our line over, and replay
   * reads that file's tail. Every write starts with a newline, whatever the file ends with: checking the last byte
   * first would race with another process's write that is torn by a crash in between (the line would be glued to
   * the fragment). Throws writeError(what, …).
   */
  private async appendRaw(data: Buffer, what: string): Promise<void> {
    const buf = Buffer.concat([NL, data]);
    for (let attempt = 0; attempt < 8; attempt++) {
      let fh: fs.FileHandle | undefined;
      try {
        let wroteTo: string;
        try {
          fh = await fs.open(this.journalPath, 'a', 0o644);
          const st = await fh.stat({ bigint: true });
          const { bytesWritten } = await fh.write(buf, 0, buf.length);
          if (bytesWritten !== buf.length) {
            await fh.write(NL).catch(() => undefined); // end the torn line so the next writer starts clean
            throw Object.assign(new Error(`only ${bytesWritten} of ${buf.length} bytes written`), { code: 'ENOSPC' });
          }
          await fh.datasync();
          wroteTo = fileId(st);
        } catch (e) {
          throw writeError(what, this.journalPath, e);
        }
        // Keep the file open during the check: a closed, replaced file could be freed and its inode number reused
        // by the next journal, which would then look like the file we wrote to.
        let now: string | undefined;
        try {
          now = fileId(await fs.stat(this.journalPath, { bigint: true }));
        } catch {
          now = undefined;
        }
        if (now === wroteTo) return;
        // The journal was replaced (compaction) or removed since we opened it: write the same lines again.
      } finally {
        await fh?.close().catch(() => undefined);
      }
    }
    throw new Error(`cannot ${what}: the journal keeps being replaced (${this.journalPath})`);
  }

  /** Builds and validates an event; `batch` holds events of the same batch (an undo may name one of them). */
  private makeEvent(input: RecordInput, batch: LabelEvent[] = []): LabelEvent {
    if (!input || typeof input !== 'object') throw new Error('invalid label event');
    const { source } = input;
    if (!LABEL_SOURCES.includes(source)) throw new Error(`invalid label source ${JSON.stringify(source)}`);
    let item = input.item;
    let label: string | null = input.label ?? null;
    if (source === 'undo') {
      const target = input.undoes ? (this.state.event(input.undoes) ?? batch.find((e) => e.id === input.undoes)) : undefined;
      if (!target) throw new Error(`cannot undo: no event ${JSON.stringify(input.undoes)}`);
      item = target.item;
      label = null;
    }
    const idProblem = itemIdProblem(item);
    if (idProblem) throw new Error(`invalid item id ${shortId(item)}: it ${idProblem}`);
    if (SETTING_SOURCES.has(source)) {
      if (typeof label !== 'string' || !this.classList.includes(label)) {
        if (this.classesError) throw new Error(`${this.classesError}: repair it with selflabel init --force --classes a,b,c`);
        throw new Error(
          this.classList.length
            ? `unknown class ${JSON.stringify(label)} (classes: ${this.classList.join(', ')})`
            : `unknown class ${JSON.stringify(label)}: no classes defined yet (run init)`,
        );
      }
    } else if (source === 'rejected') {
      if (typeof label !== 'string' || label === '') throw new Error('a rejection needs the rejected label');
    } else {
      label = null;
    }
    if (input.confidence !== undefined && (typeof input.confidence !== 'number' || !(input.confidence >= 0 && input.confidence <= 1))) {
      throw new Error(`invalid confidence ${input.confidence} (expected 0..1)`);
    }
    const e: LabelEvent = { id: newEventId(), time: new Date().toISOString(), item, label, source };
    if (input.model !== undefined) e.model = String(input.model);
    if (input.confidence !== undefined) e.confidence = input.confidence;
    if (input.hash !== undefined) e.hash = String(input.hash);
    if (source === 'undo') e.undoes = input.undoes;
    return e;
  }

  /**
   * Appends events and brings the in-memory state up to date with the file (which now holds them). Several events
   * go on one batch line, so a crash in the middle of the write leaves all of them or none.
   */
  private async write(events: LabelEvent[], what: string, schema?: SchemaRecord): Promise<void> {
    const batch = newEventId();
    const line =
      events.length === 1 && !schema
        ? JSON.stringify(events[0])
        : JSON.stringify({ batch, time: new Date().toISOString(), events, ...(schema ? { schema } : {}) });
    await this.appendRaw(Buffer.from(line + '\n'), what);
    try {
      await this.readNew();
    } catch {
      // the events are durable; if re-reading failed, apply them directly (the next refresh re-syncs)
    }
    for (const e of events) if (!this.state.has(e.id)) this.state.apply(e);
    if (schema && !this.schemaBatches.some((b) => b.batch === batch)) this.noteSchema(batch, schema, events);
    this.noteStep(events.length === 1 && !schema ? events[0].id : batch, events, schema);
    this.maybeAutoCompact();
  }

  /** Whether the journal has enough superseded events to be worth compacting. */
  needsCompaction(): boolean {
    const min = LabelStore.autoCompactMinEvents;
    if (!(min > 0) || this.state.size < min) return false;
    const live = this.state.current().size;
    if (this.state.size < 2 * live) return false;
    return this.state.size >= 2 * (live + this.state.rejectedCount());
  }

  /**
   * Starts a compaction in the background when the journal needs one. It runs on its own store instance (its own
   * queue), so labelling here goes on meanwhile; if another process is compacting, it is skipped.
   */
  private maybeAutoCompact(): void {
    if (this.background || !this.needsCompaction()) return;
    this.background = (async () => {
      try {
        const other = await LabelStore.open(this.root);
        await other.compact({ lockTimeoutMs: 0 });
      } catch {
        // best effort: the journal stays as it is; `selflabel compact` reports errors
      } finally {
        this.background = undefined;
      }
    })();
  }

  /** Resolves when a background compaction started by this store (if any) has finished. */
  async idle(): Promise<void> {
    await this.background;
  }

  /**
   * Records one event; durable when it resolves. Validates the label against the classes (except for rejections,
   * removals and undos). On a write error nothing changes in memory and the error says why ("disk full" …).
   */
  record(input: RecordInput): Promise<LabelEvent> {
    return this.run(async () => {
      await this.loadClasses();
      const e = this.makeEvent(input);
      await this.write([e], 'write label');
      return e;
    });
  }

  /** Records several events with one write and one fsync (all validated first: all or nothing). */
  recordMany(inputs: RecordInput[]): Promise<LabelEvent[]> {
    return this.run(async () => {
      await this.loadClasses();
      const events: LabelEvent[] = [];
      for (const input of inputs) events.push(this.makeEvent(input, events));
      if (events.length) await this.write(events, 'write labels');
      return events;
    });
  }

  /**
   * Undoes the latest step (see UndoStep) still in effect, across all writers of the journal: the journal line of the
   * latest event that is not an undo and is still in effect — all of that line's events still in effect, in one
   * batch (so a bulk label, an accept of many or a class change is undone whole), and repeated undos walk back.
   * Returns what was undone, or undefined if there is nothing to undo.
   */
  undo(): Promise<UndoStep | undefined> {
    return this.run(async () => {
      const release = await acquireLock(this.lockPath, 'undo');
      try {
        await this.readNew();
        const target = this.state.latestUndoable();
        const change = this.latestSchemaChange();
        // The class change is undone when it is newer than the latest label event still in effect (or holds it).
        if (change && (!target || change.events.includes(target.id) || change.position > this.state.position(target.id))) {
          const events = await this.undoSchemaChange(change);
          return { ...this.schemaPlaceholder(change.batch, change.detail), events };
        }
        if (!target) return undefined;
        const ids = this.stepOf.get(target.id) ?? [target.id];
        const step = ids
          .map((id) => this.state.event(id))
          .filter((e): e is LabelEvent => !!e && e.source !== 'undo' && this.state.isActive(e.id));
        const undos: LabelEvent[] = [];
        for (const e of step) undos.push(this.makeEvent({ item: e.item, label: null, source: 'undo', undoes: e.id }, undos));
        await this.write(undos, 'write undo');
        return { ...target, events: step };
      } finally {
        await release();
      }
    });
  }

  /**
   * Re-applies the latest undone step, if nothing else was done since (any new label or class change empties the
   * redo list): one batch of undos of its undo events, so the events they cancelled are in effect again. Returns
   * what was redone, or undefined if there is nothing to redo.
   */
  redo(): Promise<UndoStep | undefined> {
    return this.run(async () => {
      const release = await acquireLock(this.lockPath, 'redo');
      try {
        await this.readNew();
        const top = this.redoable[this.redoable.length - 1];
        if (!top) return undefined;
        const undos = top.undoEvents.filter((id) => this.state.has(id) && this.state.isActive(id));
        const originals = undos.map((id) => this.state.event(this.state.event(id)!.undoes!)!).filter(Boolean);
        const change = top.schemaOf ? this.schemaBatches.find((b) => b.batch === top.schemaOf) : undefined;
        if (change) {
          await this.redoSchemaChange(change, undos);
          return { ...this.schemaPlaceholder(change.batch, change.detail), events: originals };
        }
        const events: LabelEvent[] = [];
        for (const id of undos) events.push(this.makeEvent({ item: '', label: null, source: 'undo', undoes: id }, events));
        if (events.length) await this.write(events, 'write redo');
        else this.redoable.pop();
        const latest = originals[originals.length - 1];
        return latest ? { ...latest, events: originals } : undefined;
      } finally {
        await release();
      }
    });
  }

  /** Whether `redo` has something to re-apply (after a refresh: other writers' steps count). */
  canRedo(): boolean {
    return this.redoable.length > 0;
  }

  private schemaPlaceholder(batch: string, detail: string): LabelEvent & { schema: string } {
    return { id: batch, time: new Date().toISOString(), item: '', label: null, source: 'undo', undoes: batch, schema: detail };
  }

  /** Reads what other writers (windows, processes) appended, and classes.json if it changed. */
  refresh(): Promise<void> {
    return this.run(async () => {
      await this.loadClasses();
      await this.readNew();
    });
  }

  // ───────────────────────────── classes ─────────────────────────────

  classes(): string[] {
    return [...this.classList];
  }

  /**
   * Replaces the class list (atomically). Removing a class that has labels needs `force`; the labels of removed
   * classes are then removed too (as 'removed' events, after classes.json is written).
   */
  setClasses(classes: string[], opts: { force?: boolean } = {}): Promise<void> {
    return this.run(async () => {
      validateClasses(classes);
      await this.loadClasses();
      await this.readNew();
      const keep = new Set(classes);
      const orphans = [...this.state.current().values()].filter((c) => !keep.has(c.label));
      if (orphans.length && !opts.force) {
        const byClass = new Map<string, number>();
        for (const o of orphans) byClass.set(o.label, (byClass.get(o.label) ?? 0) + 1);
        const list = [...byClass].map(([c, n]) => `"${c}" (${n} label${n === 1 ? '' : 's'})`).join(', ');
        throw new ClassesInUseError(
          `cannot remove ${list}: use force to remove the class${byClass.size === 1 ? '' : 'es'} and those labels`,
        );
      }
      await atomicWriteFile(this.classesPath, JSON.stringify({ version: 1, classes }, null, 2) + '\n', 'write classes');
      this.classesStamp = '';
      await this.loadClasses(true);
      if (orphans.length) {
        const events = orphans.map((o) => this.makeEvent({ item: o.item, label: null, source: 'removed' }));
        await this.write(events, 'remove labels');
      }
    });
  }

  /**
   * A change of the class schema (rename, merge, split, delete, reorder) as one journal batch: every label it moves
   * (and every rejection of a renamed or merged class) is an event of the batch, which also records the class list
   * before and after, so one undo reverts the whole change. Crash-safe order: classes.json first gets the union of
   * the old and new lists (so every label stays valid), then the batch is appended (durable: the change is done),
   * then classes.json gets the new list. A kill before the batch leaves the labels as they were (and perhaps a new,
   * empty class); a kill after it leaves an old class listed, never a label lost. Deleted labels become 'removed'
   * events: the journal keeps them (history, undo). Returns the events written.
   */
  changeClasses(change: SchemaChange): Promise<{ events: LabelEvent[]; classes: string[] }> {
    return this.run(async () => {
      const release = await acquireLock(this.lockPath, 'change classes');
      try {
        await this.loadClasses(true);
        await this.readNew();
        const before = [...this.classList];
        const plan = planSchemaChange(before, change, this.state);
        validateClasses(plan.after);
        const union = [...plan.after, ...before.filter((c) => !plan.after.includes(c))];
        await this.writeClasses(union);
        const events: LabelEvent[] = [];
        for (const input of plan.inputs) events.push(this.makeEvent(input, events));
        const record: SchemaRecord = { op: change.op, before, after: plan.after, detail: describeChange(change) };
        // Even with no label to move (a reorder, an empty class), the batch line records the change.
        await this.write(events, 'change classes', record);
        await this.writeClasses(plan.after);
        return { events, classes: plan.after };
      } finally {
        await release();
      }
    });
  }

  /** Undoes every still-active event of a schema change in one batch and restores the class list it replaced. */
  private async undoSchemaChange(change: SchemaBatch): Promise<LabelEvent[]> {
    await this.loadClasses(true);
    const now = [...this.classList];
    const targets = change.events.filter((id) => this.state.has(id) && this.state.isActive(id));
    // Classes still in use after the undo (labels given since the change) stay listed.
    const restored = [...change.before];
    for (const c of now) if (!restored.includes(c)) restored.push(c);
    await this.writeClasses([...restored, ...now.filter((c) => !restored.includes(c))]);
    const events: LabelEvent[] = [];
    for (const id of targets) events.push(this.makeEvent({ item: this.state.event(id)!.item, label: null, source: 'undo', undoes: id }));
    const record: SchemaRecord = { op: 'undo', of: change.batch, before: now, after: restored, detail: `undo ${change.detail}` };
    await this.write(events, 'undo class change', record);
    const inUse = new Set([...this.state.current().values()].map((c) => c.label));
    await this.writeClasses(restored.filter((c) => change.before.includes(c) || inUse.has(c)));
    return targets.map((id) => this.state.event(id)!);
  }

  /**
   * Re-applies an undone schema change: classes.json first gets the union of the lists (every label stays valid), then
   * one batch undoes the undo's events (the change's events are in effect again) and records the redo, then
   * classes.json gets the change's list again (plus classes still in use).
   */
  private async redoSchemaChange(change: SchemaBatch, undos: string[]): Promise<void> {
    await this.loadClasses(true);
    const now = [...this.classList];
    await this.writeClasses([...change.after, ...now.filter((c) => !change.after.includes(c))]);
    const events: LabelEvent[] = [];
    for (const id of undos) events.push(this.makeEvent({ item: '', label: null, source: 'undo', undoes: id }, events));
    const record: SchemaRecord = { op: 'redo', of: change.batch, before: now, after: change.after, detail: `redo ${change.detail}` };
    await this.write(events, 'redo class change', record);
    const inUse = new Set([...this.state.current().values()].map((c) => c.label));
    await this.writeClasses([...change.after, ...now.filter((c) => !change.after.includes(c) && inUse.has(c))]);
  }

  private noteSchema(batch: string, r: SchemaRecord, events: readonly unknown[]): void {
    if (r.op === 'undo' || r.op === 'redo') {
      const target = this.schemaBatches.find((b) => b.batch === r.of);
      if (target) target.undone = r.op === 'undo';
      return;
    }
    const ids = events.map((e) => (e as { id?: unknown } | null)?.id).filter((id): id is string => typeof id === 'string');
    this.schemaBatches.push({ ...r, batch, events: ids, position: this.state.size, undone: false });
  }

  /** The latest class change not undone yet, if any. */
  private latestSchemaChange(): SchemaBatch | undefined {
    for (let i = this.schemaBatches.length - 1; i >= 0; i--) if (!this.schemaBatches[i].undone) return this.schemaBatches[i];
    return undefined;
  }

  /** Class changes in journal order (what was changed, before and after, whether undone). */
  schemaChanges(): readonly { detail: string; before: string[]; after: string[]; undone: boolean }[] {
    return this.schemaBatches;
  }

  private async writeClasses(classes: string[]): Promise<void> {
    await atomicWriteFile(this.classesPath, JSON.stringify({ version: 1, classes }, null, 2) + '\n', 'write classes');
    this.classesStamp = '';
    await this.loadClasses(true);
  }

  // ───────────────────────────── queries ─────────────────────────────

  current(): ReadonlyMap<string, CurrentLabel> {
    return this.state.current();
  }

  get(item: string): CurrentLabel | undefined {
    return this.state.get(item);
  }

  rejectedLabels(item: string): ReadonlySet<string> {
    return this.state.rejectedLabels(item);
  }

  events(): readonly LabelEvent[] {
    return this.state.events();
  }

  /** Current labels per class (every class listed, 0 included; labels of unknown classes too). */
  counts(): Record<string, number> {
    const out: Record<string, number> = {}; // own keys: `__proto__`, `toString` … are class names like any other
    for (const c of this.classList) setOwn(out, c, 0);
    for (const [label, n] of Object.entries(this.state.counts())) setOwn(out, label, n);
    return out;
  }

  // ───────────────────────────── compaction ─────────────────────────────

  /**
   * Rewrites the journal as the minimal event list for the current state. Safe against concurrent writers, who
   * never wait for it: the new journal starts with a header naming it (`{"journal":token}`); the old file gets a
   * second name `labels.jsonl.prev-<bytes read>-<token>` before the new one is renamed into place, so a line appended
   * to the old file after we read it is never lost — replay reads that tail, and we carry it over into the new
   * journal and then remove the prev file. `lockTimeoutMs`: how long to wait for another compaction (0: skip if one
   * is running). Returns false if it was skipped.
   */
  compact(opts: { lockTimeoutMs?: number } = {}): Promise<boolean> {
    return this.run(async () => {
      let release: () => Promise<void>;
      try {
        release = await acquireLock(this.lockPath, 'compact labels', opts.lockTimeoutMs ?? 60_000);
      } catch (e) {
        if (opts.lockTimeoutMs === 0 && /held by another/.test((e as Error).message)) return false;
        throw e;
      }
      const tmp = tmpName(this.journalPath);
      let old: fs.FileHandle | undefined;
      try {
        await this.readNew();
        if (this.journalId === undefined) return false;
        // Temp files of compactions that died (only the lock holder makes them, and we hold the lock).
        for (const f of await fs.readdir(this.dir).catch(() => [] as string[])) {
          if (f.startsWith('labels.jsonl.') && f.endsWith('.tmp'))
            await fs.rm(path.join(this.dir, f), { force: true }).catch(() => undefined);
        }
        // Prev files (of the current journal: their tails are in our state since the replay; others are stale).
        const prevs = await this.prevFiles();
        if (this.badLines.length) {
          const aside = path.join(this.dir, `labels-unreadable-${new Date().toISOString().replace(/[:.]/g, '-')}.txt`);
          await atomicWriteFile(aside, this.badLines.join('\n') + '\n', 'save unreadable journal lines');
        }
        const token = randomBytes(8).toString('hex');
        const minimal = this.state.minimalEvents();
        const data =
          JSON.stringify({ journal: token, compacted: new Date().toISOString(), lines: minimal.length }) +
          '\n' +
          minimal.map((e) => JSON.stringify(e) + '\n').join('');
        try {
          const fh = await fs.open(tmp, 'w', 0o644);
          try {
            await fh.writeFile(data);
            await fh.sync();
          } finally {
            await fh.close();
          }
          old = await fs.open(this.journalPath, 'r');
          if (fileId(await old.stat({ bigint: true })) !== this.journalId) {
            // replaced by something that does not take the lock (a user, git): leave it alone
            await fs.rm(tmp, { force: true });
            return false;
          }
          const readUpTo = this.offset;
          const prevPath = path.join(this.dir, `labels.jsonl.prev-${readUpTo}-${token}`);
          await fs.link(this.journalPath, prevPath);
          await fsyncDir(this.dir);
          await renameRetry(tmp, this.journalPath);
          await fsyncDir(this.dir);
          // Lines other writers appended to the old file after we read it: carry them over (their writers may
          // also re-append them; replay de-duplicates by id).
          const size = Number((await old.stat({ bigint: true })).size);
          if (size > readUpTo) {
            const buf = Buffer.allocUnsafe(size - readUpTo);
            const { bytesRead } = await old.read(buf, 0, buf.length, readUpTo);
            const lines = buf
              .subarray(0, bytesRead)
              .toString('utf8')
              .split('\n')
              .filter((l) => {
                try {
                  const v = JSON.parse(l) as unknown;
                  return isBatchLine(v) || typeof validateEvent(v) !== 'string';
                } catch {
                  return false;
                }
              });
            if (lines.length) await this.appendRaw(Buffer.from(lines.map((l) => l.replace(/\r$/, '') + '\n').join('')), 'compact labels');
          }
          // Everything of the old file and of earlier prev files is now in the new journal.
          for (const name of [path.basename(prevPath), ...prevs.map((p) => p.name)])
            await fs.rm(path.join(this.dir, name), { force: true });
          for (const p of await this.prevFiles()) {
            if (p.token !== token) await fs.rm(path.join(this.dir, p.name), { force: true }); // of compactions that died
          }
        } catch (e) {
          await fs.rm(tmp, { force: true }).catch(() => undefined);
          throw e instanceof Error && e.message.startsWith('cannot ') ? e : writeError('compact labels', this.journalPath, e);
        }
      } finally {
        await old?.close().catch(() => undefined);
        await release();
      }
      await this.readNew();
      return true;
    });
  }
}

function ignoreExists(e: unknown): void {
  if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
}
