/**
 * Tests of the embedding map without VS Code: the webview's pure logic (webview/map/logic.ts: view transform,
 * lasso and box selection, the hover index, colours by mode, status updates), the host's state builder
 * (src/extension/webviews/map/state.ts) and the map messages' guards at both ends (src/protocol/webview.ts).
 * Run: node --import tsx --test src/extension/test/map.test.ts
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import {
  DIM_BASE,
  FAINT,
  PointIndex,
  UNCERTAINTY_BASE,
  applyUpdate,
  colorCodes,
  drawOrder,
  fitView,
  insidePolygon,
  pan,
  parseColor,
  selectInBox,
  selectInPolygon,
  toData,
  toScreen,
  zoomAt,
} from '../../../webview/map/logic';
import { buildMapState, emptyMapState, hoverInfo } from '../webviews/map/state';
import { labelErrorCell } from '../commands/labelErrorCells';
import { isMapState, parseFromHost, parseFromWebview } from '../../protocol/webview';
import { Rng } from '../../core/models/random';
import type { Item, Proposal } from '../../core/types';

test('view: screen ↔ data round trip, pan follows the pointer, zoom keeps the point under the pointer', () => {
  const W = 800;
  const H = 600;
  const v = fitView(W, H);
  assert.deepEqual(toScreen(v, W, H, 0, 0), [400, 300]);
  const [sx, sy] = toScreen(v, W, H, 0.3, -0.7);
  const [x, y] = toData(v, W, H, sx, sy);
  assert.ok(Math.abs(x - 0.3) < 1e-12 && Math.abs(y + 0.7) < 1e-12);
  assert.ok(sy > 300, 'data y points up, screen y down');
  const p = pan(v, 50, -20);
  const [px, py] = toScreen(p, W, H, 0.3, -0.7);
  assert.ok(Math.abs(px - (sx + 50)) < 1e-9 && Math.abs(py - (sy - 20)) < 1e-9, 'the point moved with the drag');
  const z = zoomAt(v, W, H, 123, 456, 3);
  assert.ok(Math.abs(z.scale - 3 * v.scale) < 1e-9);
  const [a, b] = toData(v, W, H, 123, 456);
  const [za, zb] = toScreen(z, W, H, a, b);
  assert.ok(Math.abs(za - 123) < 1e-9 && Math.abs(zb - 456) < 1e-9, 'the point under the pointer stays');
  assert.ok(zoomAt(v, W, H, 0, 0, 1e-9).scale >= 10 && zoomAt(v, W, H, 0, 0, 1e12).scale <= 200_000, 'zoom is bounded');
});

test('lasso and box: exactly the points inside, on a concave lasso too', () => {
  const W = 400;
  const H = 400;
  const v = fitView(W, H);
  const r = new Rng(5);
  const n = 5000;
  const xy = new Float32Array(2 * n);
  for (let i = 0; i < 2 * n; i++) xy[i] = r.uniform(-1, 1);
  // An L-shaped (concave) lasso in screen pixels.
  const L = [100, 100, 300, 100, 300, 160, 160, 160, 160, 300, 100, 300];
  const got = selectInPolygon(xy, n, v, W, H, L);
  const expect: number[] = [];
  for (let i = 0; i < n; i++) {
    const [sx, sy] = toScreen(v, W, H, xy[2 * i], xy[2 * i + 1]);
    const inTop = sx > 100 && sx < 300 && sy > 100 && sy < 160;
    const inLeft = sx > 100 && sx < 160 && sy > 100 && sy < 300;
    if (inTop || inLeft) expect.push(i);
  }
  assert.ok(expect.length > 200, `${expect.length} points inside`);
  assert.deepEqual(got, expect);
  assert.ok(!insidePolygon(L, 250, 250), 'the notch of the L is outside');
  const box = selectInBox(xy, n, v, W, H, 300, 300, 200, 200);
  assert.ok(box.length > 0);
  for (let i = 0; i < n; i++) {
    const [sx, sy] = toScreen(v, W, H, xy[2 * i], xy[2 * i + 1]);
    assert.equal(box.includes(i), sx > 200 && sx < 300 && sy > 200 && sy < 300, `point ${i}`);
  }
  assert.deepEqual(selectInPolygon(xy, n, v, W, H, [1, 1, 2, 2]), [], 'a line selects nothing');
});

test('hover index: the nearest point within the radius, as a brute-force search finds it', () => {
  const r = new Rng(9);
  const n = 3000;
  const xy = new Float32Array(2 * n);
  for (let i = 0; i < 2 * n; i++) xy[i] = Math.tanh(r.normal());
  const idx = new PointIndex(xy, n, 64);
  for (let t = 0; t < 300; t++) {
    const x = r.uniform(-1.1, 1.1);
    const y = r.uniform(-1.1, 1.1);
    const rad = r.uniform(0.001, 0.05);
    let best = -1;
    let bd = rad * rad;
    for (let i = 0; i < n; i++) {
      const d = (xy[2 * i] - x) ** 2 + (xy[2 * i + 1] - y) ** 2;
      if (d <= bd) {
        bd = d;
        best = i;
      }
    }
    const got = idx.nearest(x, y, rad);
    if (best < 0) assert.equal(got, -1);
    else assert.equal((xy[2 * got] - x) ** 2 + (xy[2 * got + 1] - y) ** 2, bd);
  }
});

test('colours by mode, informative points drawn last, status updates, theme colour parsing', () => {
  const p = { label: [0, -1, -1, 1], proposal: [-1, 1, -1, -1], predicted: [0, 1, 0, 1], confidence: [0.99, 0.7, -1, 0.5] };
  assert.deepEqual([...colorCodes('label', p, 4)], [0, FAINT, FAINT, 1]);
  assert.deepEqual([...colorCodes('proposal', p, 4)], [DIM_BASE, 1, FAINT, DIM_BASE + 1]);
  const u = colorCodes('uncertainty', p, 4);
  assert.equal(u[2], FAINT);
  assert.ok(u[0] >= UNCERTAINTY_BASE && u[0] < u[1] && u[1] < u[3], 'more uncertain, further along the scale');
  assert.deepEqual([...drawOrder(colorCodes('proposal', p, 4))], [2, 0, 3, 1]);
  const classes = ['cat', 'dog'];
  assert.deepEqual(applyUpdate('accepted', 'dog', classes), { label: 1, proposal: -1 });
  assert.deepEqual(applyUpdate('proposed', 'cat', classes), { label: -1, proposal: 0 });
  assert.deepEqual(applyUpdate('rejected', 'cat', classes), { label: -1, proposal: -1 });
  assert.deepEqual(applyUpdate('unlabelled', undefined, classes), { label: -1, proposal: undefined });
  assert.deepEqual(parseColor('#1e1e1e'), [30, 30, 30]);
  assert.deepEqual(parseColor(' #fff'), [255, 255, 255]);
  assert.deepEqual(parseColor('#3794ffcc'), [55, 148, 255]);
  assert.deepEqual(parseColor('rgba(10, 20, 30, 0.5)'), [10, 20, 30]);
  assert.equal(parseColor('var(--x)'), undefined);
});

const item = (id: string, kind: Item['kind'], extra: Partial<Item> = {}): Item => ({ id, kind, path: id, hash: 'h', ...extra }) as Item;

test('host state: one row per item, class indexes for label / proposal / prediction; guards accept it and refuse a broken one', () => {
  const ids = ['a.png', 'b.png', 'c.png', 'd.png'];
  const labels = new Map([['a.png', 'dog']]);
  const proposals = new Map<string, Proposal>([
    ['b.png', { item: 'b.png', label: 'cat', confidence: 0.97, model: 'm' }],
    ['a.png', { item: 'a.png', label: 'cat', confidence: 0.9, model: 'm' }],
  ]);
  const preds = new Map([
    ['a.png', { label: 'dog', confidence: 0.8 }],
    ['b.png', { label: 'cat', confidence: 0.97 }],
    ['c.png', { label: 'bird', confidence: 0.6 }],
  ]);
  const s = buildMapState(
    { method: 'pca', ids, xy: Float32Array.from([0.1, 0.2, -0.3, 0.4, 0.5, -0.6, 0.123456789, 1]) },
    {
      classes: ['cat', 'dog'],
      labelOf: (id) => (labels.has(id) ? { label: labels.get(id)! } : undefined),
      proposal: (id) => proposals.get(id),
      predictionFor: (id) => preds.get(id),
      item: (id) => item(id, 'image'),
    },
    { computing: 'umap', trusted: true },
  );
  assert.deepEqual(s.label, [1, -1, -1, -1]);
  assert.deepEqual(s.proposal, [-1, 0, -1, -1], 'a labelled item shows no proposal');
  assert.deepEqual(s.predicted, [1, 0, -1, -1], 'a class no longer in the schema is no class');
  assert.deepEqual(s.confidence, [0.8, 0.97, -1, -1]);
  assert.equal(s.xy[6], 0.12346);
  assert.equal(s.kind, 'image');
  assert.equal(s.computing, 'umap');
  assert.ok(isMapState(s));
  const msg = { kind: 'notify', method: 'init', params: { view: 'map', state: s } };
  assert.equal(parseFromHost(JSON.parse(JSON.stringify(msg))).ok, true);
  assert.equal(
    parseFromHost({ kind: 'notify', method: 'mapState', params: { ...s, xy: s.xy.slice(2) } }).ok,
    false,
    'xy of another length',
  );
  assert.equal(parseFromHost({ kind: 'notify', method: 'mapState', params: { ...s, label: [5, -1, -1, -1] } }).ok, false, 'no class 5');
  assert.equal(parseFromHost({ kind: 'notify', method: 'mapLayout', params: { method: 'umap', xy: [1, 'x'], computing: null } }).ok, false);
  assert.equal(parseFromHost({ kind: 'notify', method: 'mapState', params: emptyMapState('pretrain first') }).ok, true);
});

test('webview → host: map requests are checked (ids, class names, sizes); hover info is text or nothing', () => {
  const ok = (method: string, params: unknown) => parseFromWebview({ kind: 'request', id: 1, method, params }).ok;
  assert.equal(ok('labelMany', { items: ['a.png', 'b/c.png'], label: 'cat' }), true);
  assert.equal(ok('labelMany', { items: [], label: 'cat' }), false, 'empty selection');
  assert.equal(ok('labelMany', { items: ['../etc/passwd'], label: 'cat' }), false, 'a path out of the workspace');
  assert.equal(ok('labelMany', { items: ['a.png'], label: ' cat' }), false, 'an untrimmed class');
  assert.equal(ok('labelMany', { items: Array.from({ length: 100_001 }, (_, i) => `${i}.png`), label: 'cat' }), false, 'too many');
  assert.equal(ok('openInGrid', { items: ['a.png'] }), true);
  assert.equal(ok('itemInfo', { item: '/abs.png' }), false);
  assert.equal(parseFromWebview({ kind: 'notify', method: 'ready', params: { view: 'map' } }).ok, true);
  assert.equal(parseFromWebview({ kind: 'notify', method: 'ready', params: { view: 'mapp' } }).ok, false);
  assert.deepEqual(hoverInfo('t.txt', item('t.txt', 'text', { preview: 'x'.repeat(500) }))?.text?.length, 401);
  assert.equal(hoverInfo('a.png', item('a.png', 'image'))?.text, undefined);
  assert.equal(hoverInfo('gone.png', undefined), null);
});

test('label errors as grid cells: the model’s class to accept, the current label and the odds in the reason', () => {
  const c = labelErrorCell(
    { item: 'a.txt', label: 'ham', predicted: 'spam', confidence: 0.934 },
    item('a.txt', 'text', { preview: 'win money now' }),
  );
  assert.deepEqual(
    [c.id, c.label, c.status, c.reason, c.preview, c.kind],
    ['a.txt', 'spam', 'unlabelled', 'labelled ham · model says spam 93%', 'win money now', 'text'],
  );
  assert.equal(labelErrorCell({ item: 'x.png', label: '1', predicted: '7', confidence: 0.5 }, item('x.png', 'image')).preview, undefined);
});
