/**
 * Tests of the extension host's Session (src/extension/session.ts) against the real engine in a temp workspace of
 * text files and JSONL rows: the engine loads only when first needed, classes, one stage at a time, cancellation,
 * labelling and undo turned into grid updates, and refusal of unknown items. No training here (that needs workers
 * and minutes); the stages used are scan and the label store.
 * Run: node --import tsx --test src/extension/test/session.test.ts
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { Log } from '../log';
import { BusyError, loadEngine, Session, UserError, type Change, type EngineModule } from '../session';
import { journalEvents } from '../../../test/fixtures/journal';

async function workspace(t: { after(fn: () => Promise<void>): void }): Promise<string> {
  const root = await fs.mkdtemp(path.join(os.tmpdir(), 'selflabel-session-'));
  t.after(() => fs.rm(root, { recursive: true, force: true }));
  await fs.mkdir(path.join(root, 'notes'));
  for (let i = 1; i <= 4; i++)
    await fs.writeFile(path.join(root, 'notes', `n${i}.txt`), `note number ${i}: ${i % 2 ? 'win a prize now' : 'meeting at noon'}\n`);
  await fs.writeFile(
    path.join(root, 'rows.jsonl'),
    ['{"text":"first row"}', '', '{"text":"second row"}', '{"text":"third row"}'].join('\n') + '\n',
  );
  return root;
}

function makeSession(root: string, lines: string[] = []) {
  let loads = 0;
  const engine = (): Promise<EngineModule> => {
    loads++;
    return loadEngine();
  };
  const s = new Session({ root, overrides: () => ({ workers: 1 }), log: new Log({ appendLine: (l) => lines.push(l) }), engine });
  return { s, loads: () => loads };
}

test('the engine loads on first need only; no .selflabel means no project until classes are set', async (t) => {
  const root = await workspace(t);
  const { s, loads } = makeSession(root);
  t.after(() => s.dispose());
  assert.equal(loads(), 0, 'constructing a session loads nothing');
  assert.equal(s.current, undefined);
  assert.equal(await s.getProject(), undefined);
  assert.equal(loads(), 1);
  await assert.rejects(s.requireProject(), UserError);
  const changes: Change['kind'][] = [];
  s.onDidChange((c) => changes.push(c.kind));
  await s.setClasses(['spam', 'ham']);
  const classes = JSON.parse(await fs.readFile(path.join(root, '.selflabel', 'classes.json'), 'utf8'));
  assert.deepEqual(classes.classes, ['spam', 'ham']);
  assert.ok(changes.includes('classes'));
  assert.deepEqual((await s.requireProject()).classes(), ['spam', 'ham']);
});

test('scan through the session: summary, items by file, one stage at a time, cancellation', async (t) => {
  const root = await workspace(t);
  const { s } = makeSession(root);
  t.after(() => s.dispose());
  await s.setClasses(['spam', 'ham']);
  const first = s.runStage('scan');
  await assert.rejects(s.runStage('scan'), BusyError, 'a second stage is refused while one runs');
  const outcome = await first;
  assert.equal(outcome.cancelled, false);
  assert.match(outcome.summary, /found 7 text items/);
  assert.equal(s.runningStage, undefined);
  // The run's end is kept for the side panel's row (a refused second start is no run).
  assert.deepEqual(
    s.lastRuns.map((r) => [r.stage, r.outcome, r.summary, r.seq]),
    [['scan', 'done', outcome.summary, 1]],
  );
  assert.deepEqual(
    s.itemsOfFile('rows.jsonl').map((i) => [i.id, i.line]),
    [
      ['rows.jsonl#1', 1],
      ['rows.jsonl#2', 3],
      ['rows.jsonl#3', 4],
    ],
  );
  assert.equal(s.itemsOfFile('notes/n2.txt')[0]?.kind, 'text');
  const ac = new AbortController();
  ac.abort();
  const cancelled = await s.runStage('scan', { signal: ac.signal });
  assert.equal(cancelled.cancelled, true);
  await assert.rejects(s.runStage('train'), /label|propose|pretrain|encoder/i, 'train without labels or encoder fails with a reason');
  assert.match(s.problem ?? '', /train failed/);
  // One last run per stage, in the stages' order, each newer than the one before; the failure's text is the problem.
  assert.deepEqual(
    s.lastRuns.map((r) => [r.stage, r.outcome, r.seq]),
    [
      ['scan', 'cancelled', 2],
      ['train', 'failed', 3],
    ],
  );
  assert.equal(s.lastRuns[1]?.summary, s.problem);
});

test('labels, corrections and undo become grid updates and journal lines; unknown items are refused', async (t) => {
  const root = await workspace(t);
  const { s } = makeSession(root);
  t.after(() => s.dispose());
  await s.setClasses(['spam', 'ham']);
  await s.runStage('scan');
  const updates: unknown[] = [];
  s.onDidChange((c) => c.updates && updates.push(...c.updates));
  assert.deepEqual(await s.label('notes/n1.txt', 'spam'), [{ id: 'notes/n1.txt', status: 'labelled', label: 'spam' }]);
  assert.deepEqual(await s.correct('rows.jsonl#2', 'ham'), [{ id: 'rows.jsonl#2', status: 'corrected', label: 'ham' }]);
  assert.equal(updates.length, 2, 'listeners hear about each change');
  assert.deepEqual(s.describe('notes/n1.txt').status, { status: 'labelled', label: 'spam' });
  const journal = journalEvents(await fs.readFile(path.join(root, '.selflabel', 'labels.jsonl'), 'utf8'));
  assert.deepEqual(
    journal.map((e) => [e.item, e.label, e.source]),
    [
      ['notes/n1.txt', 'spam', 'human'],
      ['rows.jsonl#2', 'ham', 'corrected'],
    ],
  );
  const u = await s.undo();
  assert.deepEqual(u.updates, [{ id: 'rows.jsonl#2', status: 'unlabelled' }]);
  assert.match(u.message, /rows\.jsonl#2/);
  assert.deepEqual(s.describe('rows.jsonl#2').status, { status: 'unlabelled' });
  await assert.rejects(s.label('notes/missing.txt', 'spam'), UserError);
  await assert.rejects(s.label('notes/n2.txt', 'eggs'), /unknown class/);
  await assert.rejects(s.accept(['notes/n2.txt']), /no pending proposal/);
  await assert.rejects(s.reject('notes/n2.txt'), /no pending proposal/);
  assert.deepEqual(s.reviewCells(), []);
});

test("a stage's progress names the stage the user started: pretraining's first phase ('embed') belongs to the Pretrain row", async (t) => {
  const root = await workspace(t);
  const { progressRow, phaseLabel } = await import('../../../webview/sidePanel/progress');
  // A stand-in engine whose pretraining reports what the real one does: reading the items (as 'embed'), then training.
  let release: () => void = () => undefined;
  const gate = new Promise<void>((r) => (release = r));
  const project = {
    warnings: [],
    getItems: () => [],
    pendingProposals: () => [],
    async pretrained() {
      return [];
    },
    async pretrain(o: { onProgress: (p: { stage: string; done: number; total?: number }) => void }) {
      o.onProgress({ stage: 'embed', done: 10, total: 100 });
      await gate;
      o.onProgress({ stage: 'pretrain', done: 1, total: 4 });
      return { tasks: [{ task: 'simclr', epochs: 1, finalLoss: 1 }], seconds: 1, itemsPerSecond: 100, backend: 'cpu' };
    },
    async dispose() {},
  };
  const engine = async () => ({ Project: { open: async () => project } }) as unknown as EngineModule;
  const s = new Session({ root, overrides: () => ({}), log: new Log({ appendLine: () => undefined }), engine });
  t.after(() => s.dispose());
  const seen: { stage: string; run?: string }[] = [];
  const done = s.runStage('pretrain', { onProgress: (p) => seen.push(p) });
  await new Promise((r) => setTimeout(r, 20));
  const during = s.runningProgress;
  assert.ok(during);
  assert.equal(during.stage, 'embed');
  assert.equal(progressRow(during), 'pretrain', 'the Pretrain row shows it, not the Train row');
  assert.equal(phaseLabel(during), 'reading items');
  release();
  await done;
  assert.deepEqual(
    seen.map((p) => [p.stage, p.run]),
    [
      ['embed', 'pretrain'],
      ['pretrain', 'pretrain'],
    ],
  );
  assert.deepEqual(
    seen.map((p) => progressRow(p as never)),
    ['pretrain', 'pretrain'],
  );
  assert.equal(s.runningProgress, null);
});

test('candidates under the threshold: shown after the proposals, marked below; accepting one is a human label; rejecting one is refused', async (t) => {
  const root = await workspace(t);
  const { s } = makeSession(root);
  t.after(() => s.dispose());
  await s.setClasses(['spam', 'ham']);
  await s.runStage('scan');
  await s.dispose();
  // A proposal set as `propose` writes it (src/core/project.ts): one proposal at ≥ 0.9, two candidates below.
  const set = {
    model: 'm1',
    threshold: 0.9,
    expectedPrecision: 0.95,
    time: new Date().toISOString(),
    proposals: [{ item: 'notes/n1.txt', label: 'spam', confidence: 0.95, model: 'm1' }],
    below: [
      { item: 'notes/n2.txt', label: 'ham', confidence: 0.7, model: 'm1' },
      { item: 'notes/n3.txt', label: 'spam', confidence: 0.6, model: 'm1' },
    ],
  };
  await fs.mkdir(path.join(root, '.selflabel', 'models'), { recursive: true });
  await fs.writeFile(path.join(root, '.selflabel', 'models', 'proposals.json'), JSON.stringify(set));
  const { s: s2 } = makeSession(root);
  t.after(() => s2.dispose());
  const p = await s2.requireProject();
  assert.equal(p.proposalThreshold(), 0.9);
  const cells = s2.reviewCells();
  assert.deepEqual(
    cells.map((c) => [c.id, c.label, c.below ?? false]),
    [
      ['notes/n1.txt', 'spam', false],
      ['notes/n2.txt', 'ham', true],
      ['notes/n3.txt', 'spam', true],
    ],
  );
  assert.equal(p.pendingProposals().length, 1, 'candidates are not pending proposals');
  await assert.rejects(s2.reject('notes/n3.txt'), /under the confidence threshold/);
  const updates = await s2.accept(['notes/n1.txt', 'notes/n2.txt']);
  assert.deepEqual(
    updates.map((u) => [u.id, u.status, u.label]),
    [
      ['notes/n1.txt', 'accepted', 'spam'],
      ['notes/n2.txt', 'labelled', 'ham'],
    ],
  );
  const journal = journalEvents(await fs.readFile(path.join(root, '.selflabel', 'labels.jsonl'), 'utf8'));
  assert.deepEqual(
    journal.map((e) => [e.item, e.label, e.source]),
    [
      ['notes/n1.txt', 'spam', 'accepted'],
      ['notes/n2.txt', 'ham', 'human'],
    ],
  );
  assert.deepEqual(
    s2.reviewCells().map((c) => c.id),
    ['notes/n3.txt'],
    'what was decided leaves the grid',
  );
});
