/**
 * Tests of the review webview's pure logic (webview/review/layout.ts, logic.ts) and the side panel's chart geometry
 * (webview/sidePanel/curve.ts): virtualisation keeps the DOM small for 10,000 items, keyboard movement stays in
 * range, the "accept all ≥ c" batch reports the right count and expected precision, keys map to actions.
 * Run: node --import tsx --test src/extension/test/webviewLogic.test.ts
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { cellPosition, gridLayout, moveIndex, scrollToReveal, visibleRange } from '../../../webview/review/layout';
import { formatConfidence } from '../../shared/format';
import {
  batchStats,
  classKey,
  classKeyLabel,
  imageUrl,
  isBelow,
  keyAction,
  playAction,
  reviewCounts,
  nextOpen,
  orderItems,
} from '../../../webview/review/logic';
import { curveGeometry } from '../../../webview/sidePanel/curve';
import { phaseLabel, progressRow } from '../../../webview/sidePanel/progress';
import { ThumbnailLoader } from '../../../webview/review/thumbs';
import type { GridItem } from '../../protocol/webview';

test('grid layout: columns fit the width, at least one', () => {
  assert.equal(gridLayout(1000, 10, 128, 168, 8).columns, 7); // 7*136-8 = 944 ≤ 1000 < 8*136-8 = 1080
  assert.equal(gridLayout(1080, 10, 128, 168, 8).columns, 8);
  assert.equal(gridLayout(50, 10, 128, 168, 8).columns, 1);
  const wide = gridLayout(1000, 10, 260, 150, 8, true); // 3 columns of (1000 - 16) / 3
  assert.equal(wide.columns, 3);
  assert.equal(wide.cellWidth, 328);
  assert.equal(gridLayout(200, 10, 260, 150, 8, true).cellWidth, 260, 'never narrower than the minimum');
  const l = gridLayout(1000, 10_000, 128, 168, 8);
  assert.equal(l.rows, Math.ceil(10_000 / 7));
  assert.equal(l.totalHeight, l.rows * 176 - 8);
});

test('virtualisation renders only visible rows (plus overscan), wherever the scroll is', () => {
  const n = 10_000;
  const l = gridLayout(1000, n, 128, 168, 8);
  const viewport = 800;
  let maxRendered = 0;
  for (let top = 0; top <= l.totalHeight; top += 997) {
    const { start, end } = visibleRange(l, n, top, viewport, 2);
    maxRendered = Math.max(maxRendered, end - start);
    // every cell intersecting the viewport is inside the range
    for (let i = 0; i < n; i += 7) {
      const y = cellPosition(l, i).y;
      if (y + l.cellHeight > top && y < top + viewport) assert.ok(i >= start && i < end, `cell ${i} at y=${y} visible at scrollTop ${top}`);
    }
  }
  // viewport/pitch ≈ 4.5 rows, +1 partial, +2×2 overscan ≈ 10 rows × 7 columns
  assert.ok(maxRendered <= 11 * 7, `rendered ${maxRendered}`);
  assert.ok(maxRendered >= 5 * 7);
  assert.deepEqual(visibleRange(l, 0, 0, viewport), { start: 0, end: 0 });
  const endRange = visibleRange(l, n, l.totalHeight + 5000, viewport);
  assert.equal(endRange.end, n);
});

test('scrollToReveal moves the least needed', () => {
  const l = gridLayout(400, 100, 100, 100, 0); // 4 columns, pitch 100
  assert.equal(scrollToReveal(l, 0, 0, 250), 0);
  assert.equal(scrollToReveal(l, 4 * 5, 0, 250), 600 - 250); // row 5 bottom = 600
  assert.equal(scrollToReveal(l, 4, 300, 250), 100); // row 1 is above
  assert.equal(scrollToReveal(l, 4 * 3, 280, 250), 280); // row 3 (300..400) inside 280..530
});

test('keyboard movement stays on items', () => {
  const cols = 4;
  const n = 10; // rows: [0..3] [4..7] [8,9]
  assert.equal(moveIndex(0, 'left', cols, n), 0);
  assert.equal(moveIndex(0, 'right', cols, n), 1);
  assert.equal(moveIndex(9, 'right', cols, n), 9);
  assert.equal(moveIndex(1, 'down', cols, n), 5);
  assert.equal(moveIndex(6, 'down', cols, n), 9); // column 2 of the short last row does not exist → last item
  assert.equal(moveIndex(9, 'down', cols, n), 9);
  assert.equal(moveIndex(5, 'up', cols, n), 1);
  assert.equal(moveIndex(2, 'up', cols, n), 2);
  assert.equal(moveIndex(3, 'end', cols, n), 9);
  assert.equal(moveIndex(7, 'home', cols, n), 0);
  assert.equal(moveIndex(1, 'pageDown', cols, n, 5), 9);
  assert.equal(moveIndex(9, 'pageUp', cols, n, 5), 1);
  assert.equal(moveIndex(-1, 'down', cols, n), 0);
  assert.equal(moveIndex(0, 'down', cols, 0), -1);
});

const item = (id: string, confidence: number, status: GridItem['status'] = 'proposed'): GridItem => ({
  id,
  kind: 'text',
  path: id,
  label: 'a',
  confidence,
  status,
});

test('accept-all batch: open proposals at or above the threshold, mean confidence as expected precision', () => {
  const confs = [0.99, 0.97, 0.95, 0.9, 0.85, 0.6];
  const items = confs.map((c, i) => item(`i${i}`, c));
  items.push(item('done', 0.999, 'accepted'), item('gone', 0.98, 'rejected'));
  const s = batchStats(items, 0.9);
  assert.deepEqual(s.ids, ['i0', 'i1', 'i2', 'i3']);
  assert.equal(s.count, 4);
  const expected = (0.99 + 0.97 + 0.95 + 0.9) / 4;
  assert.ok(Math.abs((s.expectedPrecision ?? 0) - expected) < 1e-12);
  assert.ok(Math.abs(s.expectedErrors - (4 - (0.99 + 0.97 + 0.95 + 0.9))) < 1e-12);
  const none = batchStats(items, 0.9999);
  assert.equal(none.count, 0);
  assert.equal(none.expectedPrecision, null);
  assert.equal(batchStats(items, 0).count, 6);
});

test('ordering: review by confidence (desc or asc, ties by id), label mode keeps the host order', () => {
  const items = [item('b', 0.5), item('a', 0.9), item('c', 0.9), item('d', 0.7)];
  assert.deepEqual(
    orderItems(items, 'review').map((i) => i.id),
    ['a', 'c', 'd', 'b'],
  );
  assert.deepEqual(
    orderItems(items, 'review', true).map((i) => i.id),
    ['b', 'd', 'a', 'c'],
  );
  assert.deepEqual(
    orderItems(items, 'label').map((i) => i.id),
    ['b', 'a', 'c', 'd'],
  );
  assert.deepEqual(
    items.map((i) => i.id),
    ['b', 'a', 'c', 'd'],
    'input not mutated',
  );
});

test('keys: 1-9 within the classes, A/X/U/Enter/arrows, modifiers left to VS Code', () => {
  assert.deepEqual(keyAction({ key: '1' }, 3), { type: 'class', index: 0 });
  assert.deepEqual(keyAction({ key: '3' }, 3), { type: 'class', index: 2 });
  assert.equal(keyAction({ key: '4' }, 3), null);
  assert.equal(keyAction({ key: '0' }, 9), null, 'nine classes or fewer: 0 is no key');
  assert.deepEqual(keyAction({ key: 'a' }, 2), { type: 'accept' });
  assert.deepEqual(keyAction({ key: 'X' }, 2), { type: 'reject' });
  assert.deepEqual(keyAction({ key: 'u' }, 2), { type: 'undo' });
  assert.deepEqual(keyAction({ key: 'Enter' }, 2), { type: 'open' });
  assert.deepEqual(keyAction({ key: 'ArrowDown' }, 2), { type: 'move', dir: 'down' });
  assert.equal(keyAction({ key: 'a', ctrlKey: true }, 2), null);
  assert.equal(keyAction({ key: '1', metaKey: true }, 2), null);
  assert.equal(keyAction({ key: 'q' }, 2), null);
});

test('nextOpen skips decided items', () => {
  const items = [item('a', 1), item('b', 1, 'accepted'), item('c', 1, 'rejected'), item('d', 1), item('e', 1, 'labelled')];
  assert.equal(nextOpen(items, 0), 3);
  assert.equal(nextOpen(items, 3), 4); // none left after: just step on
  assert.equal(nextOpen(items, 4), 4);
});

test('items waiting for the host (saving) are neither open for nextOpen nor part of the accept-all batch', () => {
  const items = [item('a', 0.99), item('b', 0.98), item('c', 0.97), item('d', 0.5)];
  const saving = new Set(['b']);
  const busy = (it: GridItem) => saving.has(it.id);
  assert.equal(nextOpen(items, 0, busy), 2);
  assert.equal(nextOpen(items, 0), 1, 'without the predicate b is open');
  const s = batchStats(items, 0.9, busy);
  assert.deepEqual(s.ids, ['a', 'c']);
  assert.equal(batchStats(items, 0.9).count, 3);
});

test('confidence display rounds down', () => {
  assert.equal(formatConfidence(0.999), '0.99');
  assert.equal(formatConfidence(1), '1.00');
  assert.equal(formatConfidence(0.5), '0.50');
  assert.equal(formatConfidence(0.8749), '0.87');
  assert.equal(formatConfidence(NaN), '');
});

test('image URLs encode each path segment', () => {
  assert.equal(imageUrl('https://x.vscode-resource/ws/', 'a b/c#1?.png'), 'https://x.vscode-resource/ws/a%20b/c%231%3F.png');
  assert.equal(imageUrl('https://h/ws', 'x.png'), 'https://h/ws/x.png');
});

test('learning-curve geometry: rounds left to right, higher accuracy higher up, inside the box', () => {
  const pts = [
    { round: 2, labels: 20, accuracy: 0.8 },
    { round: 1, labels: 10, accuracy: 0.62 },
    { round: 3, labels: 40, accuracy: 0.91 },
  ];
  const g = curveGeometry(pts, 200, 60, 5);
  assert.deepEqual(
    g.dots.map((d) => d.point.round),
    [1, 2, 3],
  );
  assert.ok(g.dots[0].x < g.dots[1].x && g.dots[1].x < g.dots[2].x);
  assert.ok(g.dots[0].y > g.dots[1].y && g.dots[1].y > g.dots[2].y, 'y grows downwards in SVG');
  for (const d of g.dots) assert.ok(d.x >= 5 && d.x <= 195 && d.y >= 5 && d.y <= 55, JSON.stringify(d));
  assert.equal(g.yMin, 0.6);
  assert.equal(g.yMax, 1);
  assert.match(g.path, /^M[\d.]+,[\d.]+ L[\d.]+,[\d.]+ L[\d.]+,[\d.]+$/);
  assert.deepEqual(curveGeometry([], 200, 60).dots, []);
  const one = curveGeometry([{ round: 1, labels: 5, accuracy: 0.5 }], 200, 60, 5);
  assert.equal(one.dots[0].x, 100);
});

test('side panel: progress shows on the row of the stage that runs, with its phase', () => {
  assert.equal(progressRow(null), null);
  assert.equal(progressRow({ stage: 'embed', run: 'pretrain', done: 1 }), 'pretrain');
  assert.equal(phaseLabel({ stage: 'embed', run: 'pretrain', done: 1 }), 'reading items');
  assert.equal(progressRow({ stage: 'embed', run: 'train', done: 1 }), 'train');
  assert.equal(phaseLabel({ stage: 'embed', run: 'train', done: 1 }), 'embedding');
  assert.equal(progressRow({ stage: 'train', run: 'train', done: 1 }), 'train');
  assert.equal(phaseLabel({ stage: 'train', run: 'train', done: 1 }), '');
  assert.equal(progressRow({ stage: 'scan', run: 'scan', done: 1 }), 'scan');
  // A host without `run`: the phase name decides, as before.
  assert.equal(progressRow({ stage: 'embed', done: 1 }), 'train');
  assert.equal(progressRow({ stage: 'propose', done: 1 }), 'propose');
  assert.equal(progressRow({ stage: 'export', done: 1 }), null);
});

test('thumbnail loader: batches the cells on screen, one request at a time, caches, never asks twice', async () => {
  const asked: string[][] = [];
  const answers: ((t: { id: string; src: string }[]) => void)[] = [];
  const onScreen = new Set<string>();
  const loaded: string[] = [];
  const tasks: (() => void)[] = [];
  const loader = new ThumbnailLoader({
    request: (ids) => {
      asked.push(ids);
      return new Promise((r) => answers.push(r));
    },
    isWanted: (id) => onScreen.has(id),
    onLoaded: (ids) => loaded.push(...ids),
    accept: (src) => src.startsWith('data:image/'),
    batch: 3,
    schedule: (fn) => tasks.push(fn),
  });
  const runTasks = async () => {
    while (tasks.length) tasks.shift()?.();
    await new Promise((r) => setTimeout(r, 0));
  };
  for (const id of ['a', 'b', 'c', 'd', 'e']) {
    onScreen.add(id);
    loader.need(id);
  }
  assert.equal(tasks.length, 1, 'one flush scheduled for many needs');
  await runTasks();
  assert.deepEqual(asked, [['a', 'b', 'c']], 'at most `batch` ids per request');
  // Scrolled on while the first request is out: d left the screen, f came.
  onScreen.delete('d');
  onScreen.add('f');
  loader.need('f');
  await runTasks();
  assert.equal(asked.length, 1, 'one request in flight at a time');
  answers[0]([
    { id: 'a', src: 'data:image/png;base64,AA' },
    { id: 'b', src: 'javascript:alert(1)' },
    { id: 'zz', src: 'data:image/png;base64,BB' },
  ]);
  await runTasks();
  await runTasks();
  assert.deepEqual(loaded, ['a'], 'only accepted sources of items that were asked for');
  assert.equal(loader.get('a'), 'data:image/png;base64,AA');
  assert.equal(loader.get('b'), undefined);
  assert.equal(loader.get('zz'), undefined);
  assert.deepEqual(asked[1], ['e', 'f'], 'the next batch holds only items still on screen (d is gone)');
  loader.need('a');
  loader.need('b');
  loader.need('c');
  answers[1]([{ id: 'e', src: 'data:image/png;base64,EE' }]);
  await runTasks();
  await runTasks();
  assert.equal(asked.length, 2, 'cached (a) and unanswered (b, c, f) items are not asked for again');
  assert.equal(loader.requests, 2);
  // A new item list forgets the cache and drops an answer still on its way.
  onScreen.add('g');
  loader.need('g');
  await runTasks();
  assert.deepEqual(asked[2], ['g']);
  loader.clear();
  answers[2]([{ id: 'g', src: 'data:image/png;base64,GG' }]);
  await runTasks();
  assert.equal(loader.get('g'), undefined);
  assert.equal(loader.size, 0);
});

test('thumbnail cache keeps the most recently used sources within its size', async () => {
  const tasks: (() => void)[] = [];
  const loader = new ThumbnailLoader({
    request: async (ids) => ids.map((id) => ({ id, src: `data:image/png;base64,${id.repeat(10)}` })),
    isWanted: () => true,
    onLoaded: () => undefined,
    accept: () => true,
    batch: 100,
    maxChars: 3 * 40,
    schedule: (fn) => tasks.push(fn),
  });
  for (const id of ['a', 'b', 'c']) loader.need(id);
  tasks.shift()?.();
  await new Promise((r) => setTimeout(r, 0));
  assert.equal(loader.size, 3);
  loader.get('a'); // a is now the most recently used
  loader.need('d');
  tasks.shift()?.();
  await new Promise((r) => setTimeout(r, 0));
  assert.equal(loader.size, 3);
  assert.equal(loader.get('b'), undefined, 'the least recently used one went');
  assert.ok(loader.get('a') && loader.get('c') && loader.get('d'));
});

test('classes 10 and up get keys: a chord of zeros and a digit, shown on the chips', () => {
  assert.deepEqual(
    Array.from({ length: 12 }, (_, i) => classKey(i)),
    ['1', '2', '3', '4', '5', '6', '7', '8', '9', '01', '02', '03'],
  );
  assert.equal(classKey(18), '001');
  assert.equal(classKeyLabel(11), '0 3');
  // 12 classes: "0" starts a chord, "0" then "3" is class 12 (index 11); "0" then "4" is past the last class.
  assert.deepEqual(keyAction({ key: '0' }, 12), { type: 'prefix', prefix: '0' });
  assert.deepEqual(keyAction({ key: '3' }, 12, '0'), { type: 'class', index: 11 });
  assert.equal(keyAction({ key: '4' }, 12, '0'), null);
  assert.equal(keyAction({ key: '0' }, 12, '0'), null, 'no third level with 12 classes');
  // 30 classes: three levels.
  assert.deepEqual(keyAction({ key: '0' }, 30, '0'), { type: 'prefix', prefix: '00' });
  assert.deepEqual(keyAction({ key: '3' }, 30, '000'), { type: 'class', index: 29 });
  // Every class of 40 has a distinct key and none is a prefix of another.
  const keys = Array.from({ length: 40 }, (_, i) => classKey(i));
  assert.equal(new Set(keys).size, 40);
  for (const a of keys) for (const b of keys) if (a !== b) assert.ok(!b.startsWith(a), `${a} is a prefix of ${b}`);
  // Typing each key reaches its class.
  keys.forEach((k, i) => {
    let prefix = '';
    let last = null;
    for (const ch of k) {
      last = keyAction({ key: ch }, 40, prefix);
      if (last?.type === 'prefix') prefix = last.prefix;
    }
    assert.deepEqual(last, { type: 'class', index: i });
  });
});

test('the grid\'s threshold control re-marks cells at once: under it "below threshold", out of the batch and the proposal count', () => {
  const cell = (id: string, confidence: number, status: GridItem['status'] = 'proposed'): GridItem => ({
    id,
    kind: 'text',
    path: id,
    label: 'a',
    confidence,
    status,
  });
  const items = [cell('p1', 0.97), cell('p2', 0.91), cell('c1', 0.7), cell('c2', 0.4), cell('done', 0.5, 'accepted')];
  assert.deepEqual(
    items.filter((i) => isBelow(i, 0.9)).map((i) => i.id),
    ['c1', 'c2'],
  );
  assert.deepEqual(reviewCounts(items, 0.9), { open: 2, below: 2, reviewed: 1 });
  assert.deepEqual(batchStats(items, 0.9).ids, ['p1', 'p2']);
  // Lowered to 0.5: c1 joins the proposals and the batch; an accepted item is never "below".
  assert.deepEqual(reviewCounts(items, 0.5), { open: 3, below: 1, reviewed: 1 });
  assert.deepEqual(batchStats(items, 0.5).ids, ['p1', 'p2', 'c1']);
  assert.equal(isBelow(items[4], 0.9), false);
});

test('audio: Space plays, pauses and resumes the focused clip; other items only pause the player', () => {
  assert.deepEqual(keyAction({ key: ' ' }, 2), { type: 'play' });
  assert.equal(keyAction({ key: ' ', ctrlKey: true }, 2), null);
  const clip = { id: 'a.wav', kind: 'audio' as const };
  assert.equal(playAction(clip, { item: null, paused: true }), 'load');
  assert.equal(playAction(clip, { item: 'b.wav', paused: false }), 'load');
  assert.equal(playAction(clip, { item: 'a.wav', paused: false }), 'pause');
  assert.equal(playAction(clip, { item: 'a.wav', paused: true }), 'resume');
  assert.equal(playAction({ id: 'x.png', kind: 'image' }, { item: 'a.wav', paused: false }), 'pause');
  assert.equal(playAction({ id: 'x.png', kind: 'image' }, { item: 'a.wav', paused: true }), 'none');
  assert.equal(playAction(undefined, { item: null, paused: true }), 'none');
});
