/**
 * Pure logic of the review webview: the "accept all above confidence c" batch (count and expected precision),
 * ordering of proposals, the keyboard map, and what Space does to the grid's audio player. No DOM, so it is tested under Node
 * (src/extension/test/webviewLogic.test.ts).
 */
import type { GridItem, ReviewMode } from '../../src/protocol/webview';

export interface BatchStats {
  /** Ids of the open proposals with confidence ≥ threshold. */
  ids: string[];
  count: number;
  /**
   * Expected precision of the batch: the mean calibrated confidence of its proposals (if the confidences are
   * calibrated, that is the expected fraction of correct labels). null for an empty batch.
   */
  expectedPrecision: number | null;
  /** Expected number of wrong labels in the batch. */
  expectedErrors: number;
}

/**
 * The batch "accept all open proposals with confidence ≥ threshold". `busy(item)` true = an action on the item is
 * waiting for the host (not open any more, not saved yet): left out.
 */
export function batchStats(items: readonly GridItem[], threshold: number, busy: (it: GridItem) => boolean = () => false): BatchStats {
  const ids: string[] = [];
  let sum = 0;
  for (const it of items) {
    if (it.status !== 'proposed' || it.confidence === undefined || it.label === undefined || busy(it)) continue;
    if (it.confidence >= threshold) {
      ids.push(it.id);
      sum += it.confidence;
    }
  }
  const count = ids.length;
  return { ids, count, expectedPrecision: count === 0 ? null : sum / count, expectedErrors: count - sum };
}

/**
 * An open proposal or candidate under the grid's threshold control: shown marked "below threshold" and left out of
 * "accept all". Moving the control re-marks every cell at once, without asking the host.
 */
export function isBelow(it: GridItem, threshold: number): boolean {
  return it.status === 'proposed' && it.confidence !== undefined && it.confidence < threshold;
}

/** The review summary's counts: open proposals at or above the threshold, open ones below it, and reviewed. */
export function reviewCounts(
  items: readonly GridItem[],
  threshold: number,
  busy: (it: GridItem) => boolean = () => false,
): { open: number; below: number; reviewed: number } {
  let open = 0;
  let below = 0;
  let reviewed = 0;
  for (const it of items) {
    if (it.status !== 'proposed' && it.status !== 'unlabelled') reviewed++;
    else if (busy(it)) continue;
    else if (isBelow(it, threshold)) below++;
    else open++;
  }
  return { open, below, reviewed };
}

/** Review mode: by confidence (descending, or ascending = hardest first), ties by id. Label mode keeps the host's order. */
export function orderItems(items: readonly GridItem[], mode: ReviewMode, ascending = false): GridItem[] {
  if (mode === 'label') return items.slice();
  const sign = ascending ? 1 : -1;
  return items.slice().sort((a, b) => {
    const d = ((a.confidence ?? 0) - (b.confidence ?? 0)) * sign;
    return d !== 0 ? d : a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
  });
}

export type KeyAction =
  | { type: 'class'; index: number }
  /** The first key(s) of a class chord ("0" of "0 3" = class 12): wait for the next key. */
  | { type: 'prefix'; prefix: string }
  | { type: 'accept' }
  | { type: 'reject' }
  | { type: 'undo' }
  | { type: 'open' }
  /** Space: play or pause the focused item (audio clips). */
  | { type: 'play' }
  | { type: 'move'; dir: 'left' | 'right' | 'up' | 'down' | 'home' | 'end' | 'pageUp' | 'pageDown' };

/**
 * The keys of the class at `index` (0-based): "1"–"9" for the first nine, then a chord of zeros and a digit —
 * "01"–"09" for classes 10–18, "001"–"009" for 19–27, and so on. No key sequence is the start of another (every
 * one ends at its first non-zero digit), so the keys of nine or fewer classes stay single presses.
 */
export function classKey(index: number): string {
  return `${'0'.repeat(Math.floor(index / 9))}${(index % 9) + 1}`;
}

/** A class key as the chips show it: "3", "0 3". */
export function classKeyLabel(index: number): string {
  return classKey(index).split('').join(' ');
}

/**
 * Maps a keydown to an action. Keys with Ctrl/Cmd/Alt are left to VS Code (its own shortcuts keep working);
 * number keys beyond the number of classes do nothing. `prefix`: the zeros of a class chord typed so far (see
 * {@link classKey}); any other action ends the chord.
 */
export function keyAction(
  e: { key: string; ctrlKey?: boolean; metaKey?: boolean; altKey?: boolean },
  classCount: number,
  prefix = '',
): KeyAction | null {
  if (e.ctrlKey || e.metaKey || e.altKey) return null;
  const k = e.key;
  if (/^[1-9]$/.test(k)) {
    const index = prefix.length * 9 + Number(k) - 1;
    return index < classCount ? { type: 'class', index } : null;
  }
  if (k === '0') return classCount > (prefix.length + 1) * 9 ? { type: 'prefix', prefix: `${prefix}0` } : null;
  switch (k) {
    case 'a':
    case 'A':
      return { type: 'accept' };
    case 'x':
    case 'X':
      return { type: 'reject' };
    case 'u':
    case 'U':
      return { type: 'undo' };
    case 'Enter':
      return { type: 'open' };
    case ' ':
      return { type: 'play' };
    case 'ArrowLeft':
      return { type: 'move', dir: 'left' };
    case 'ArrowRight':
      return { type: 'move', dir: 'right' };
    case 'ArrowUp':
      return { type: 'move', dir: 'up' };
    case 'ArrowDown':
      return { type: 'move', dir: 'down' };
    case 'Home':
      return { type: 'move', dir: 'home' };
    case 'End':
      return { type: 'move', dir: 'end' };
    case 'PageUp':
      return { type: 'move', dir: 'pageUp' };
    case 'PageDown':
      return { type: 'move', dir: 'pageDown' };
    default:
      return null;
  }
}

/**
 * The next item after `index` that still needs a decision (wraps to the end: returns `index` if none is left).
 * Items for which `busy(item)` is true (an action on them is waiting for the host) do not need one.
 */
export function nextOpen(items: readonly GridItem[], index: number, busy: (it: GridItem) => boolean = () => false): number {
  for (let i = index + 1; i < items.length; i++) {
    if ((items[i].status === 'proposed' || items[i].status === 'unlabelled') && !busy(items[i])) return i;
  }
  return Math.min(index + 1, items.length - 1);
}

/** Encodes a workspace-relative POSIX path as URL path segments under `base` (for image thumbnails). */
export function imageUrl(base: string, relPath: string): string {
  return `${base.replace(/\/+$/, '')}/${relPath.split('/').map(encodeURIComponent).join('/')}`;
}

/** What Space does: pause the clip playing, resume the focused clip loaded and paused, or load and play the focused clip. */
export function playAction(
  focused: { id: string; kind: GridItem['kind'] } | undefined,
  player: { item: string | null; paused: boolean },
): 'pause' | 'resume' | 'load' | 'none' {
  if (!focused || focused.kind !== 'audio') return player.item !== null && !player.paused ? 'pause' : 'none';
  if (player.item === focused.id) return player.paused ? 'resume' : 'pause';
  return 'load';
}
