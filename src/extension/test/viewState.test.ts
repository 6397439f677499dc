/**
 * Tests of the extension's pure view builders (src/extension/viewState.ts) and of item-id → file resolution
 * (src/extension/itemPaths.ts, with real files and symlinks in a temp folder).
 * Run: node --import tsx --test src/extension/test/viewState.test.ts
 */
import { formatConfidence } from '../../shared/format';
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import type { ProjectStatus } from '../../core/project';
import type { CurrentLabel, Item, Proposal } from '../../core/types';
import {
  buildSideState,
  countByClass,
  describeItem,
  itemStatus,
  learningCurve,
  nextAction,
  parseClassList,
  emptyScanMessage,
  gridThreshold,
  pretrainSummary,
  withTaskLines,
  reviewEmptyMessage,
  proposalCell,
  suggestionCell,
  toStageProgress,
  PREVIEW_CHARS,
} from '../viewState';
import { validateClasses } from '../../core/store/labelStore';
import { OutsideWorkspaceError, resolveInWorkspace, splitItemId, toWorkspaceRelative } from '../itemPaths';

function status(over: Partial<ProjectStatus> = {}): ProjectStatus {
  return {
    root: '/ws',
    classes: ['spam', 'ham'],
    counts: {},
    items: 0,
    labelled: 0,
    unlabelled: 0,
    skipped: 0,
    pretrained: [],
    proposals: 0,
    history: [],
    next: { kind: 'scan', text: '' },
    nextAction: '',
    warnings: [],
    ...over,
  };
}
const ctx = { folder: true, trusted: true, running: null };

test('next action follows the loop: classes → scan → pretrain → seeds → train → propose → review → retrain', () => {
  assert.equal(nextAction(null, { ...ctx, folder: false }).command, undefined);
  assert.equal(nextAction(null, { ...ctx, trusted: false }).command, 'manageTrust');
  assert.equal(nextAction(null, ctx).command, 'setClasses');
  assert.equal(nextAction(status({ classes: ['one'] }), ctx).command, 'setClasses');
  assert.equal(nextAction(status(), ctx).stage, 'scan');
  const scanned = { items: 100, unlabelled: 100 };
  assert.equal(nextAction(status(scanned), ctx).stage, 'pretrain');
  const pre = { ...scanned, pretrained: [{ task: 'masked', epochs: 8 }] };
  const seeds = nextAction(status({ ...pre, counts: { spam: 3, ham: 1 } }), ctx);
  assert.equal(seeds.command, 'labelNext');
  assert.match(seeds.text, /ham needs more/);
  const labelled = { ...pre, counts: { spam: 3, ham: 3 }, labelled: 6, unlabelled: 94 };
  assert.equal(nextAction(status(labelled), ctx).stage, 'train');
  const model = { version: 'm1', time: 't', estimatedAccuracy: 0.8 };
  const round = { round: 1, time: 't', model: 'm1', labelled: 6 };
  assert.equal(nextAction(status({ ...labelled, model, history: [round] }), ctx).stage, 'propose');
  assert.equal(
    nextAction(status({ ...labelled, model, history: [{ ...round, proposals: 40 }], proposals: 40 }), ctx).command,
    'reviewProposals',
  );
  assert.equal(
    nextAction(status({ ...labelled, model, history: [{ ...round, proposals: 40 }], labelled: 46, unlabelled: 54 }), ctx).stage,
    'train',
  );
  assert.equal(nextAction(status({ ...labelled, model, history: [{ ...round, proposals: 0 }] }), ctx).command, 'labelNext');
  assert.equal(
    nextAction(status({ ...labelled, model, history: [{ ...round, proposals: 0 }], labelled: 100, unlabelled: 0 }), ctx).command,
    'export',
  );
  const busy = nextAction(status(), { ...ctx, running: { stage: 'pretrain', done: 1 } });
  assert.equal(busy.stage ?? busy.command, undefined);
  assert.match(busy.text, /pretrain is running/);
});

test('side state: classes with counts and proposals, accuracy, learning curve, warnings as the problem', () => {
  const s = buildSideState({
    status: status({
      counts: { spam: 4, ham: 2 },
      items: 10,
      labelled: 6,
      model: { version: 'm2', time: 't', estimatedAccuracy: 0.875 },
      history: [
        { round: 1, time: 't', model: 'm1', labelled: 4 },
        { round: 2, time: 't', model: 'm2', labelled: 6, estimatedAccuracy: 0.875 },
      ],
      backend: 'wasm',
      pretrained: [
        { task: 'masked', epochs: 8 },
        { task: 'contrastive', epochs: 1 },
      ],
      warnings: ['config.json: unknown setting "x"'],
    }),
    folder: 'ws',
    trusted: true,
    running: null,
    problem: null,
    proposedByClass: new Map([['ham', 3]]),
  });
  assert.deepEqual(s.classes, [
    { name: 'spam', labelled: 4, proposed: 0 },
    { name: 'ham', labelled: 2, proposed: 3 },
  ]);
  assert.equal(s.accuracy, 0.875);
  assert.deepEqual(s.history, [{ round: 2, labels: 6, accuracy: 0.875 }]);
  assert.equal(s.backend, 'wasm');
  assert.equal(s.pretrained, 'masked 8 epochs, contrastive 1 epoch');
  assert.match(s.problem ?? '', /unknown setting/);
  const empty = buildSideState({
    status: null,
    folder: null,
    trusted: false,
    running: null,
    problem: 'x failed',
    proposedByClass: new Map(),
    backend: 'cpu',
  });
  assert.equal(empty.items, 0);
  assert.equal(empty.accuracy, null);
  assert.equal(empty.backend, 'cpu');
  assert.equal(empty.pretrained, null);
  assert.equal(empty.problem, 'x failed');
  assert.deepEqual(learningCurve(null), []);
});

const cur = (label: string, source: CurrentLabel['source']): CurrentLabel => ({ item: 'i', label, source, time: 't', eventId: 'e' });
const prop: Proposal = {
  item: 'd.jsonl#2',
  label: 'spam',
  confidence: 0.93,
  model: 'm',
  alternatives: [{ label: 'ham', confidence: 0.07 }],
};

test('item status: label beats proposal; proposal; rejected; unlabelled', () => {
  assert.deepEqual(itemStatus(cur('ham', 'human'), prop, false), { status: 'labelled', label: 'ham' });
  assert.deepEqual(itemStatus(cur('ham', 'accepted'), undefined, false), { status: 'accepted', label: 'ham' });
  assert.deepEqual(itemStatus(cur('ham', 'corrected'), undefined, true), { status: 'corrected', label: 'ham' });
  assert.deepEqual(itemStatus(cur('ham', 'imported'), undefined, false), { status: 'labelled', label: 'ham' });
  assert.deepEqual(itemStatus(undefined, prop, false), { status: 'proposed', label: 'spam' });
  assert.deepEqual(itemStatus(undefined, undefined, true), { status: 'rejected' });
  assert.deepEqual(itemStatus(undefined, undefined, false), { status: 'unlabelled' });
  assert.equal(describeItem(undefined, prop), 'spam 0.93');
  assert.equal(describeItem(cur('ham', 'human'), prop), 'labelled: ham');
  assert.equal(describeItem(undefined, undefined), undefined);
  assert.equal(describeItem(undefined, { ...prop, confidence: 0.9996 }), 'spam 0.99');
  assert.equal(formatConfidence(1), '1.00');
  assert.equal(formatConfidence(0.127), '0.12');
});

test('grid cells carry text previews (truncated), never for images', () => {
  const long = 'x'.repeat(PREVIEW_CHARS + 50);
  const row: Item = {
    id: 'd.jsonl#2',
    path: 'd.jsonl',
    row: 2,
    kind: 'row',
    modality: 'text',
    hash: 'h',
    size: 1,
    mtimeMs: 0,
    preview: long,
    line: 3,
  };
  const cell = proposalCell(prop, row);
  assert.equal(cell.kind, 'row');
  assert.equal(cell.path, 'd.jsonl');
  assert.equal(cell.preview?.length, PREVIEW_CHARS + 1);
  assert.deepEqual(cell.alternatives, [{ label: 'ham', confidence: 0.07 }]);
  const img: Item = {
    id: 'a/1.png',
    path: 'a/1.png',
    kind: 'image',
    modality: 'image',
    hash: 'h',
    size: 1,
    mtimeMs: 0,
    preview: 'ignored',
  };
  const s = suggestionCell({ item: 'a/1.png', score: 1, reason: 'uncertain', predicted: 'cat', confidence: 0.51 }, img, undefined);
  assert.equal(s.preview, undefined);
  assert.equal(s.status, 'unlabelled');
  assert.equal(s.label, 'cat');
  assert.equal(s.reason, 'model unsure');
  const done = suggestionCell({ item: 'a/1.png', score: 1, reason: 'diverse' }, img, cur('dog', 'human'));
  assert.equal(done.status, 'labelled');
  assert.equal(done.label, 'dog');
  assert.equal(proposalCell({ ...prop, item: 'z/q.jpg' }, undefined).kind, 'image');
  assert.deepEqual(
    [...countByClass([prop, prop, { ...prop, label: 'ham' }])],
    [
      ['spam', 2],
      ['ham', 1],
    ],
  );
});

test('progress: fraction only with a positive total; non-finite values dropped', () => {
  assert.deepEqual(toStageProgress({ stage: 'scan', done: 5, total: 20, etaSeconds: 3, loss: 0.5 }), {
    stage: 'scan',
    done: 5,
    total: 20,
    fraction: 0.25,
    etaSeconds: 3,
    loss: 0.5,
  });
  assert.deepEqual(toStageProgress({ stage: 'train', done: 5 }), { stage: 'train', done: 5 });
  assert.deepEqual(toStageProgress({ stage: 'train', done: 5, total: 0, loss: NaN }), { stage: 'train', done: 5, total: 0 });
  assert.equal(toStageProgress({ stage: 'embed', done: 30, total: 20 }).fraction, 1);
});

test('class list parsing', () => {
  assert.deepEqual(parseClassList(' cat, dog ,bird,'), { classes: ['cat', 'dog', 'bird'] });
  assert.match((parseClassList('cat') as { error: string }).error, /at least two/);
  assert.match((parseClassList('cat, cat') as { error: string }).error, /twice/);
  assert.match((parseClassList('a\u0001, b') as { error: string }).error, /control/);
});

test('after a scan that found 0 items: say what was found and what to do, not "scan" / "not scanned yet"', () => {
  const ctx = { folder: true, trusted: true, running: null };
  const none = status({ items: 0, skipped: 3 });
  assert.equal(nextAction(none, ctx).text, 'Scan the workspace for items to label.', 'no scan yet');
  const after = nextAction(none, { ...ctx, scanned: true });
  assert.equal(after.stage, 'scan');
  assert.match(after.text, /^The scan found no items to label \(3 files skipped: see the SelfLabel log\)\. Add images or text files/);
  assert.match(emptyScanMessage(0), /^The scan found no items to label\. .*include.*exclude/);
  const side = buildSideState({
    status: none,
    folder: 'ws',
    trusted: true,
    running: null,
    problem: null,
    proposedByClass: new Map(),
    scanned: true,
  });
  assert.equal(side.scanned, true);
  assert.match(side.next.text, /found no items/);
  assert.equal(
    buildSideState({ status: none, folder: 'ws', trusted: true, running: null, problem: null, proposedByClass: new Map() }).scanned,
    false,
  );
});

test('the Set Classes box accepts exactly what the label store accepts (Enter never loses the text)', () => {
  const inputs = [
    'cat, dog',
    'a/b, c',
    'a\\b, c',
    'Cat, cat',
    '., dog',
    '.., dog',
    `${'x'.repeat(101)}, y`,
    `${'x'.repeat(100)}, y`,
    'a\u007f, b',
    'spam, ham, eggs',
  ];
  for (const text of inputs) {
    const parsed = parseClassList(text);
    let storeError: string | undefined;
    try {
      validateClasses(
        text
          .split(',')
          .map((c) => c.trim())
          .filter(Boolean),
      );
    } catch (e) {
      storeError = (e as Error).message;
    }
    assert.equal(
      'error' in parsed,
      storeError !== undefined,
      `${JSON.stringify(text)}: box ${'error' in parsed ? parsed.error : 'accepts'}, store ${storeError ?? 'accepts'}`,
    );
  }
});

test('item paths: ids split into file and row; resolution refuses escapes, including through symlinks', async (t) => {
  assert.deepEqual(splitItemId('data/x.csv#12'), { path: 'data/x.csv', row: 12 });
  assert.deepEqual(splitItemId('a#b.txt'), { path: 'a#b.txt' });
  const base = await fs.mkdtemp(path.join(os.tmpdir(), 'selflabel-paths-'));
  t.after(() => fs.rm(base, { recursive: true, force: true }));
  const ws = path.join(base, 'ws');
  await fs.mkdir(path.join(ws, 'sub'), { recursive: true });
  await fs.writeFile(path.join(ws, 'sub', 'a.txt'), 'hello');
  await fs.writeFile(path.join(base, 'secret.txt'), 'no');
  await fs.symlink(path.join(base, 'secret.txt'), path.join(ws, 'link.txt'));
  await fs.symlink(path.join(ws, 'sub'), path.join(ws, 'inner'));
  assert.equal(await resolveInWorkspace(ws, 'sub/a.txt'), path.join(ws, 'sub', 'a.txt'));
  assert.equal(await resolveInWorkspace(ws, 'inner/a.txt'), path.join(ws, 'inner', 'a.txt'));
  for (const bad of ['../secret.txt', 'sub/../../secret.txt', '/etc/passwd', 'link.txt', 'sub\\..\\..\\secret.txt', '']) {
    await assert.rejects(resolveInWorkspace(ws, bad), OutsideWorkspaceError, bad);
  }
  await assert.rejects(resolveInWorkspace(ws, 'missing.txt'), /ENOENT/);
  assert.equal(toWorkspaceRelative(ws, path.join(ws, 'sub', 'a.txt')), 'sub/a.txt');
  assert.equal(toWorkspaceRelative(ws, path.join(base, 'secret.txt')), undefined);
  assert.equal(toWorkspaceRelative(ws, ws), undefined);
});

test('review grid: the threshold control starts at the setting, or lower when the proposals were made lower; empty messages', () => {
  assert.equal(gridThreshold(0.9, undefined), 0.9);
  assert.equal(gridThreshold(0.9, 0), 0, 'proposals made at 0 (CLI) are not all marked below');
  assert.equal(gridThreshold(0.5, 0.8), 0.5);
  assert.match(reviewEmptyMessage(false), /^No proposals yet: train the model, then propose/);
  assert.match(reviewEmptyMessage(true), /everything proposed has been reviewed/);
  assert.doesNotMatch(reviewEmptyMessage(true), /propose first/i, 'after a propose, never "propose first"');
});

test('pretraining progress: two tasks in parallel show both lines, not one loss that alternates', () => {
  const seen = new Map<string, string>();
  const a = withTaskLines(seen, { stage: 'pretrain', done: 10, loss: 0.41234, message: 'simclr: epoch 2/8' });
  assert.equal(a.loss, 0.41234, 'one task so far: as reported');
  const b = withTaskLines(seen, { stage: 'pretrain', done: 20, loss: 1.2, message: 'rotation: epoch 1/8' });
  assert.equal(b.loss, undefined);
  assert.equal(b.message, 'simclr: epoch 2/8, loss 0.412 · rotation: epoch 1/8, loss 1.200');
  const c = withTaskLines(seen, { stage: 'pretrain', done: 30, loss: 0.4, message: 'simclr: epoch 3/8' });
  assert.equal(c.message, 'simclr: epoch 3/8, loss 0.400 · rotation: epoch 1/8, loss 1.200', 'same order whichever task reported last');
  const plain = { stage: 'scan', done: 3 } as const;
  assert.deepEqual(withTaskLines(new Map(), plain), plain);
});

test('pretraining again with nothing left to do says so (no rate over an empty run); a real run reports its rate', () => {
  const r = {
    tasks: [
      { task: 'simclr', epochs: 8, finalLoss: 0.3 },
      { task: 'rotation', epochs: 8, finalLoss: 0.9 },
    ],
    seconds: 0.01,
    itemsPerSecond: 812345,
    backend: 'wasm',
  };
  const again = pretrainSummary(
    [
      { task: 'simclr', epochs: 8 },
      { task: 'rotation', epochs: 8 },
    ],
    r,
  );
  assert.match(
    again,
    /^already pretrained \(simclr 8 epochs, rotation 8 epochs\): nothing to do\. To start over, run SelfLabel: Pretrain Encoder from Scratch/,
  );
  assert.doesNotMatch(again, /items\/s/);
  const first = pretrainSummary([], { ...r, seconds: 12, itemsPerSecond: 340 });
  assert.equal(
    first,
    'pretrained simclr (8 epochs, loss 0.300), rotation (8 epochs, loss 0.900) in 12 s: 340 items/s wall clock for the stage, on wasm',
  );
  const rated = pretrainSummary([], {
    ...r,
    tasks: [
      { task: 'simclr', epochs: 8, finalLoss: 0.3, itemsPerSecond: 210 },
      { task: 'rotation', epochs: 8, finalLoss: 0.9, itemsPerSecond: 390 },
    ],
    seconds: 12,
    itemsPerSecond: 340,
  });
  assert.equal(
    rated,
    'pretrained simclr (8 epochs, loss 0.300, 210 items/s), rotation (8 epochs, loss 0.900, 390 items/s) in 12 s: 340 items/s wall clock for the stage, on wasm',
    "each task's own rate beside the stage's wall-clock rate",
  );
  assert.match(
    pretrainSummary([], {
      ...r,
      tasks: [{ task: 'simclr', epochs: 8, finalLoss: 0.3, input: '32×32×3' }],
      seconds: 12,
      itemsPerSecond: 340,
    }),
    /^pretrained simclr \(8 epochs on 32×32×3, loss 0\.300\)/,
    'the input the encoder took (half the side for a large colour pool)',
  );
  assert.match(
    pretrainSummary([{ task: 'simclr', epochs: 4 }], { ...r, seconds: 5, itemsPerSecond: 100 }),
    /^pretrained /,
    'resumed and gained epochs',
  );
});
