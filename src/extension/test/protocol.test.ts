/**
 * Tests of the webview protocol's runtime validators (src/protocol/webview.ts): what the host accepts from a
 * webview, what it refuses (malformed envelopes, unknown methods, ids escaping the workspace), and the same for
 * messages the webviews accept from the host.
 * Run: node --import tsx --test src/extension/test/protocol.test.ts
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import {
  isClassName,
  isItemId,
  parseFromHost,
  parseFromWebview,
  MAX_ID_LENGTH,
  MAX_THUMBNAILS,
  type SideState,
  type ReviewState,
} from '../../protocol/webview';

test('valid requests and notifications from a webview are accepted, typed', () => {
  const good: unknown[] = [
    { kind: 'notify', method: 'ready', params: { view: 'side' } },
    { kind: 'notify', method: 'ready', params: { view: 'review' } },
    { kind: 'notify', method: 'cancel', params: {} },
    { kind: 'notify', method: 'focus', params: { item: 'a/b.png' } },
    { kind: 'notify', method: 'focus', params: { item: null } },
    { kind: 'request', id: 1, method: 'run', params: { stage: 'pretrain' } },
    { kind: 'request', id: 2, method: 'command', params: { command: 'setClasses' } },
    { kind: 'request', id: 3, method: 'accept', params: { items: ['x.txt', 'data/rows.jsonl#12'] } },
    { kind: 'request', id: 4, method: 'reject', params: { item: 'x.txt' } },
    { kind: 'request', id: 5, method: 'correct', params: { item: 'x.txt', label: 'spam' } },
    { kind: 'request', id: 6, method: 'label', params: { item: 'dir with space/é.txt', label: 'ham' } },
    { kind: 'request', id: 7, method: 'undo', params: {} },
    { kind: 'request', id: 8, method: 'open', params: { item: 'a.png' } },
    { kind: 'request', id: 9, method: 'setMode', params: { mode: 'label' } },
    { kind: 'request', id: 10, method: 'thumbnails', params: { items: ['d/a.png', 'b.jpg'] } },
    { kind: 'request', id: 11, method: 'thumbnails', params: { items: Array.from({ length: MAX_THUMBNAILS }, (_, i) => `d/${i}.png`) } },
    { kind: 'request', id: 12, method: 'media', params: { item: 'talks/talk.wav#3' } },
  ];
  for (const m of good) {
    const r = parseFromWebview(m);
    assert.equal(r.ok, true, `should accept ${JSON.stringify(m)}: ${r.ok ? '' : r.reason}`);
    if (r.ok) assert.equal(r.message.method, (m as { method: string }).method);
  }
});

test('malformed messages from a webview are refused with a reason', () => {
  const bad: [unknown, RegExp][] = [
    [null, /not an object/],
    ['ready', /not an object/],
    [[1, 2], /not an object/],
    [{ kind: 'shout', method: 'ready' }, /unknown kind/],
    [{ kind: 'notify', method: 'delete-everything', params: {} }, /unknown notification/],
    [{ kind: 'notify', method: 'ready', params: { view: 'other' } }, /invalid params/],
    [{ kind: 'request', method: 'run', params: { stage: 'scan' } }, /valid id/],
    [{ kind: 'request', id: -1, method: 'run', params: { stage: 'scan' } }, /valid id/],
    [{ kind: 'request', id: 1.5, method: 'run', params: { stage: 'scan' } }, /valid id/],
    [{ kind: 'request', id: 1, method: 'run', params: { stage: 'rm -rf' } }, /invalid params/],
    [{ kind: 'request', id: 1, method: '__proto__', params: {} }, /unknown request/],
    [{ kind: 'request', id: 1, method: 'toString', params: {} }, /unknown request/],
    [{ kind: 'request', id: 1, method: 'accept', params: { items: [] } }, /invalid params/],
    [{ kind: 'request', id: 1, method: 'accept', params: { items: 'a.png' } }, /invalid params/],
    [{ kind: 'request', id: 1, method: 'accept', params: { items: ['ok.png', 3] } }, /invalid params/],
    [{ kind: 'request', id: 1, method: 'open', params: { item: '../../etc/passwd' } }, /invalid params/],
    [{ kind: 'request', id: 1, method: 'open', params: { item: '/etc/passwd' } }, /invalid params/],
    [{ kind: 'request', id: 1, method: 'open', params: { item: 'C:/Windows/win.ini' } }, /invalid params/],
    [{ kind: 'request', id: 1, method: 'open', params: { item: 'a\\..\\b' } }, /invalid params/],
    [{ kind: 'request', id: 1, method: 'correct', params: { item: 'a.txt', label: '' } }, /invalid params/],
    [{ kind: 'request', id: 1, method: 'correct', params: { item: 'a.txt', label: ' spaced ' } }, /invalid params/],
    [{ kind: 'request', id: 1, method: 'label', params: { item: 'a.txt' } }, /invalid params/],
    [{ kind: 'request', id: 1, method: 'thumbnails', params: { items: [] } }, /invalid params/],
    [{ kind: 'request', id: 1, method: 'media', params: { item: '../secret.wav' } }, /invalid params/],
    [{ kind: 'request', id: 1, method: 'media', params: { item: '/etc/passwd' } }, /invalid params/],
    [{ kind: 'request', id: 1, method: 'media', params: { items: ['a.wav'] } }, /invalid params/],
    [{ kind: 'request', id: 1, method: 'thumbnails', params: { items: ['../outside.png'] } }, /invalid params/],
    [
      {
        kind: 'request',
        id: 1,
        method: 'thumbnails',
        params: { items: Array.from({ length: MAX_THUMBNAILS + 1 }, (_, i) => `d/${i}.png`) },
      },
      /invalid params/,
    ],
  ];
  for (const [m, why] of bad) {
    const r = parseFromWebview(m);
    assert.equal(r.ok, false, `should refuse ${JSON.stringify(m)}`);
    if (!r.ok) assert.match(r.reason, why, JSON.stringify(m));
  }
});

test('item ids: workspace-relative only, rows allowed, traversal and control characters refused', () => {
  for (const ok of ['a.png', 'x/y/z.txt', 'rows.csv#1', 'rows.jsonl#123456', 'a..b.txt', '.hidden/x.txt', 'dir/ü ñ.png']) {
    assert.equal(isItemId(ok), true, ok);
  }
  for (const no of [
    '',
    '..',
    '../x',
    'a/../../x',
    'a//b',
    '/abs',
    'a/',
    'x\u0000y',
    'x\ny',
    'a\\b',
    'D:x',
    'x'.repeat(MAX_ID_LENGTH + 1),
    5,
    null,
  ]) {
    assert.equal(isItemId(no), false, JSON.stringify(no));
  }
  assert.equal(isClassName('cat'), true);
  assert.equal(isClassName('x'.repeat(201)), false);
  assert.equal(isClassName('a\tb'), false);
});

const side: SideState = {
  trusted: true,
  folder: 'ws',
  classes: [{ name: 'a', labelled: 1, proposed: 2 }],
  items: 3,
  scanned: true,
  labelled: 1,
  proposals: 2,
  skipped: 0,
  accuracy: null,
  pretrained: 'simclr 2 epochs',
  history: [{ round: 1, labels: 4, accuracy: 0.5 }],
  backend: null,
  running: { stage: 'pretrain', done: 3, total: 10, fraction: 0.3 },
  lastRuns: [{ stage: 'scan', outcome: 'done', summary: 'found 3 items in 3 files', seq: 1, at: 1_700_000_000_000 }],
  next: { text: 'go', stage: 'train' },
  problem: null,
};
const review: ReviewState = {
  mode: 'review',
  classes: ['a', 'b'],
  items: [
    { id: 'x.txt', kind: 'text', path: 'x.txt', label: 'a', confidence: 0.9, status: 'proposed', preview: '<script>alert(1)</script>' },
  ],
  imageBase: null,
  threshold: 0.9,
  trusted: true,
  empty: null,
};

test('host messages the webviews accept, and the ones they drop', () => {
  assert.equal(parseFromHost({ kind: 'notify', method: 'init', params: { view: 'side', state: side } }).ok, true);
  assert.equal(parseFromHost({ kind: 'notify', method: 'init', params: { view: 'review', state: review } }).ok, true);
  assert.equal(parseFromHost({ kind: 'notify', method: 'state', params: side }).ok, true);
  assert.equal(parseFromHost({ kind: 'notify', method: 'progress', params: null }).ok, true);
  assert.equal(parseFromHost({ kind: 'notify', method: 'progress', params: { stage: 'embed', run: 'pretrain', done: 3 } }).ok, true);
  assert.equal(parseFromHost({ kind: 'notify', method: 'progress', params: { stage: 'embed', done: 3 } }).ok, true, 'run is optional');
  assert.equal(
    parseFromHost({ kind: 'notify', method: 'progress', params: { stage: 'embed', run: 'embed', done: 3 } }).ok,
    false,
    'run is a stage the user can start',
  );
  assert.equal(
    parseFromHost({ kind: 'notify', method: 'updates', params: { updates: [{ id: 'x', status: 'accepted', label: 'a' }] } }).ok,
    true,
  );
  assert.equal(parseFromHost({ kind: 'response', id: 3, ok: true, result: { updates: [] } }).ok, true);
  assert.equal(parseFromHost({ kind: 'response', id: 3, ok: false, error: 'nope' }).ok, true);

  assert.equal(parseFromHost({ kind: 'notify', method: 'init', params: { view: 'side', state: review } }).ok, false);
  assert.equal(parseFromHost({ kind: 'notify', method: 'state', params: { ...side, classes: 'a,b' } }).ok, false);
  // The last runs: an unknown stage or outcome, a missing sequence number, or no list at all is refused.
  const run = side.lastRuns[0];
  for (const bad of [{ ...run, stage: 'export' }, { ...run, outcome: 'ok' }, { ...run, seq: undefined }, 'scan done']) {
    assert.equal(parseFromHost({ kind: 'notify', method: 'state', params: { ...side, lastRuns: [bad] } }).ok, false, JSON.stringify(bad));
  }
  const { lastRuns: _omitted, ...noRuns } = side;
  assert.equal(parseFromHost({ kind: 'notify', method: 'state', params: noRuns }).ok, false);
  assert.equal(parseFromHost({ kind: 'notify', method: 'updates', params: { updates: [{ id: 'x', status: 'eaten' }] } }).ok, false);
  assert.equal(parseFromHost({ kind: 'notify', method: 'review', params: { ...review, items: [{ id: 'x' }] } }).ok, false);
  assert.equal(parseFromHost({ kind: 'response', id: 3, ok: false }).ok, false);
  assert.equal(parseFromHost({ kind: 'response', ok: true }).ok, false);
  assert.equal(parseFromHost({ kind: 'notify', method: 'eval', params: 'alert(1)' }).ok, false);
});
