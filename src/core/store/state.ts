/**
 * The label state machine: replays LabelEvents (in journal order) into the current label and the set of rejected
 * labels of every item. Pure, no I/O — the LabelStore feeds it lines from `.selflabel/labels.jsonl`.
 *
 * Semantics:
 * - human / accepted / corrected / imported set the item's label; removed deletes it;
 * - rejected adds the label to the item's rejected set (the current label is unchanged);
 * - undo cancels the event it names: the item's state is the replay of its events that are not cancelled, so
 *   undoing a label restores the previous one, undoing a rejection un-rejects, undoing a removal re-adds.
 *   An undo of an undo re-activates the original event (redo). An undo must come after the event it names.
 * - Events are de-duplicated by id (the first occurrence counts).
 */
import type { CurrentLabel, LabelEvent, LabelSource } from '../types';

export const LABEL_SOURCES: readonly LabelSource[] = ['human', 'accepted', 'corrected', 'rejected', 'imported', 'removed', 'undo'];
/** Sources that set an item's label. */
export const SETTING_SOURCES: ReadonlySet<LabelSource> = new Set<LabelSource>(['human', 'accepted', 'corrected', 'imported']);

const EMPTY: ReadonlySet<string> = new Set();

/** Checks the shape of a parsed journal line; returns the event or the reason it is unusable. */
export function validateEvent(v: unknown): LabelEvent | string {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return 'not a JSON object';
  const e = v as Record<string, unknown>;
  if (typeof e.id !== 'string' || e.id === '') return 'missing "id"';
  if (typeof e.item !== 'string' || e.item === '') return 'missing "item"';
  if (typeof e.source !== 'string' || !LABEL_SOURCES.includes(e.source as LabelSource)) return `unknown source ${JSON.stringify(e.source)}`;
  if (typeof e.time !== 'string') return 'missing "time"';
  const source = e.source as LabelSource;
  if (SETTING_SOURCES.has(source) || source === 'rejected') {
    if (typeof e.label !== 'string' || e.label === '') return `"${source}" event without a label`;
  } else if (e.label !== null && e.label !== undefined && typeof e.label !== 'string') {
    return 'bad "label"';
  }
  if (source === 'undo' && (typeof e.undoes !== 'string' || e.undoes === '')) return 'undo event without "undoes"';
  if (e.confidence !== undefined && (typeof e.confidence !== 'number' || !Number.isFinite(e.confidence))) return 'bad "confidence"';
  if (e.hash !== undefined && typeof e.hash !== 'string') return 'bad "hash"';
  if (e.model !== undefined && typeof e.model !== 'string') return 'bad "model"';
  if (e.label === undefined) e.label = null;
  return e as unknown as LabelEvent;
}

/** A batch line: several events written (and torn, or not) as one journal line, so a batch lands whole or not at all. */
export interface BatchLine {
  batch: string;
  time: string;
  events: unknown[];
}

/** Whether a parsed journal line is a batch line (`{"batch":id,"time":…,"events":[…]}`). */
export function isBatchLine(v: unknown): v is BatchLine {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return false;
  const b = v as Record<string, unknown>;
  return typeof b.batch === 'string' && b.batch !== '' && Array.isArray(b.events);
}

/** obj[key] = value as an own property, even for `__proto__` (a plain assignment would replace the prototype). */
export function setOwn(obj: Record<string, number>, key: string, value: number): void {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}

function sameEvent(a: LabelEvent, b: LabelEvent): boolean {
  return a.item === b.item && a.label === b.label && a.source === b.source && (a.undoes ?? null) === (b.undoes ?? null);
}

export class LabelState {
  /** Position of each event in journal order (`order[seq.get(id)]` is the event). */
  private readonly seq = new Map<string, number>();
  private readonly order: LabelEvent[] = [];
  /** Non-undo events of each item, in journal order. */
  private readonly perItem = new Map<string, LabelEvent[]>();
  /** For each event id: the active undo events cancelling it. */
  private readonly cancelers = new Map<string, Set<string>>();
  private readonly cur = new Map<string, CurrentLabel>();
  private readonly rej = new Map<string, Set<string>>();

  /** Whether any event (other than an undo) names this item. */
  hasItem(item: string): boolean {
    return this.perItem.has(item);
  }

  has(id: string): boolean {
    return this.seq.has(id);
  }

  event(id: string): LabelEvent | undefined {
    const i = this.seq.get(id);
    return i === undefined ? undefined : this.order[i];
  }

  /** Position of the event in journal order (-1: unknown). */
  position(id: string): number {
    return this.seq.get(id) ?? -1;
  }

  /** Whether the event is in effect (not cancelled by an undo). */
  isActive(id: string): boolean {
    return !this.cancelers.get(id)?.size;
  }

  get size(): number {
    return this.order.length;
  }

  /**
   * Applies one event. Returns a warning when the event is ignored (an undo naming an unknown or later event);
   * exact duplicates (a line written twice) are ignored silently, an id reused for a different event is reported
   * as 'conflict' (the first occurrence counts).
   */
  apply(e: LabelEvent): string | undefined {
    const seen = this.event(e.id);
    if (seen) return sameEvent(seen, e) ? undefined : 'conflict';
    if (e.source === 'undo') {
      const target = e.undoes ? this.event(e.undoes) : undefined;
      this.add(e);
      if (!target) return `undo of an unknown event ${JSON.stringify(e.undoes)} ignored`;
      this.setUndoActive(e, true);
      return undefined;
    }
    this.add(e);
    let list = this.perItem.get(e.item);
    if (!list) this.perItem.set(e.item, (list = []));
    list.push(e);
    // The new event is the item's last and active: apply it on top of the current state.
    this.fold(e.item, e);
    return undefined;
  }

  private add(e: LabelEvent): void {
    this.seq.set(e.id, this.order.length);
    this.order.push(e);
  }

  private setUndoActive(u: LabelEvent, active: boolean): void {
    const target = this.event(u.undoes!);
    if (!target) return;
    const before = this.isActive(target.id);
    let set = this.cancelers.get(target.id);
    if (active) {
      if (!set) this.cancelers.set(target.id, (set = new Set()));
      set.add(u.id);
    } else {
      set?.delete(u.id);
      if (set && set.size === 0) this.cancelers.delete(target.id);
    }
    const after = this.isActive(target.id);
    if (before === after) return;
    if (target.source === 'undo') this.setUndoActive(target, after);
    else this.recompute(target.item);
  }

  /** Applies one active event on top of the item's state. */
  private fold(item: string, e: LabelEvent): void {
    if (e.source === 'rejected') {
      let s = this.rej.get(item);
      if (!s) this.rej.set(item, (s = new Set()));
      s.add(e.label!);
    } else if (e.source === 'removed') {
      this.cur.delete(item);
    } else if (SETTING_SOURCES.has(e.source)) {
      this.cur.set(item, { item, label: e.label!, source: e.source as CurrentLabel['source'], time: e.time, eventId: e.id });
    }
  }

  private recompute(item: string): void {
    this.cur.delete(item);
    this.rej.delete(item);
    for (const e of this.perItem.get(item) ?? []) if (this.isActive(e.id)) this.fold(item, e);
  }

  current(): ReadonlyMap<string, CurrentLabel> {
    return this.cur;
  }

  get(item: string): CurrentLabel | undefined {
    return this.cur.get(item);
  }

  rejectedLabels(item: string): ReadonlySet<string> {
    return this.rej.get(item) ?? EMPTY;
  }

  events(): readonly LabelEvent[] {
    return this.order;
  }

  /** Rejected labels in effect, over all items. */
  rejectedCount(): number {
    let n = 0;
    for (const s of this.rej.values()) n += s.size;
    return n;
  }

  /** Current labels per class. Class names such as `__proto__` or `toString` are own keys like any other. */
  counts(): Record<string, number> {
    const n = new Map<string, number>();
    for (const c of this.cur.values()) n.set(c.label, (n.get(c.label) ?? 0) + 1);
    const out: Record<string, number> = {};
    for (const [label, k] of n) setOwn(out, label, k);
    return out;
  }

  /** The latest event that is not an undo and is still in effect (what `undo` reverts), if any. */
  latestUndoable(): LabelEvent | undefined {
    for (let i = this.order.length - 1; i >= 0; i--) {
      const e = this.order[i];
      if (e.source !== 'undo' && this.isActive(e.id)) return e;
    }
    return undefined;
  }

  /**
   * The smallest list of events (original ids, in journal order) whose replay gives the same current labels and
   * rejected sets: each item's label-setting event, and one rejection per rejected label.
   */
  minimalEvents(): LabelEvent[] {
    const keep = new Set<string>();
    for (const c of this.cur.values()) keep.add(c.eventId);
    for (const [item, labels] of this.rej) {
      const latest = new Map<string, LabelEvent>();
      for (const e of this.perItem.get(item) ?? []) {
        if (e.source === 'rejected' && labels.has(e.label!) && this.isActive(e.id)) latest.set(e.label!, e);
      }
      for (const e of latest.values()) keep.add(e.id);
    }
    return [...keep]
      .map((id) => this.seq.get(id)!)
      .sort((a, b) => a - b)
      .map((i) => this.order[i]);
  }
}
