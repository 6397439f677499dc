/**
 * End-to-end on the texts fixture (spam/ham messages: text files, JSONL rows, CSV rows), driven through the command
 * palette like a keyboard user: set classes (input box), scan, label seeds in the label grid, pretrain / train /
 * propose; then accept a proposal by clicking the CodeLens above a JSONL row in the editor, and check in the review
 * webview that an item whose text holds `<script>` and an `onerror` handler is shown as text and runs nothing.
 * `.selflabel/labels.jsonl` on disk is checked after every step.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ROOT, Session, readTruth, recordMetric, waitFor, dependentSteps } from './harness';

const FIXTURE = path.join(ROOT, 'test/fixtures/workspaces/texts');
const XSS_ITEM = 'notes/note-11.txt';

describe('texts: palette, CodeLens and escaping in the browser', function () {
  this.timeout(360_000);
  let s: Session;
  const truth = readTruth(path.join(ROOT, 'test/fixtures/workspaces/texts.truth.csv'));

  before(async function () {
    this.timeout(240_000);
    const t = performance.now();
    s = await Session.start('texts', (dir) => fs.cpSync(FIXTURE, dir, { recursive: true }), { 'selflabel.confidenceThreshold': 0 });
    recordMetric('texts: workbench ready s', (performance.now() - t) / 1000);
  });

  dependentSteps('texts', () => s);

  it('Set Classes from the command palette writes classes.json', async () => {
    await s.openSidePanel(); // its stage rows tell when a stage has finished
    await s.command('SelfLabel: Set Classes…');
    await s.answerInput('spam, ham');
    const file = s.file('.selflabel/classes.json');
    const classes = await waitFor('classes.json', () => fs.existsSync(file) && JSON.parse(fs.readFileSync(file, 'utf8')).classes);
    assert.deepEqual(classes, ['spam', 'ham']);
  });

  it('Scan Workspace from the palette finds the 41 messages', async () => {
    const msg = await s.runStage('scan', () => s.command('SelfLabel: Scan Workspace'));
    assert.match(msg, /\b41\b/);
    assert.deepEqual(s.journal(), []);
  });

  it('labels seeds in the label grid with number keys (not the <script> item)', async () => {
    await s.command('SelfLabel: Label Next Uncertain Items');
    const r = await s.webview('review');
    await r.locator('[data-testid="cell"]').first().waitFor({ timeout: 30_000 });
    await r.locator('[data-testid="cell"].focused').first().click();
    const classes = ['spam', 'ham'];
    const count = new Map(classes.map((c) => [c, 0]));
    for (let n = 0; n < 40 && [...count.values()].some((v) => v < 4); n++) {
      const id = (await r.locator('[data-testid="cell"].focused').first().getAttribute('data-item')) ?? '';
      const label = truth.get(id);
      assert.ok(label, `${id} is a fixture item`);
      const before = s.journal().length;
      if (id === XSS_ITEM) {
        await s.page.keyboard.press('x'); // skip: it must stay unlabelled to be proposed later
        await waitFor(
          'the skip',
          async () => (await r.locator('[data-testid="cell"].focused').first().getAttribute('data-item')) !== id,
          5000,
        );
        assert.equal(s.journal().length, before, 'skipping writes nothing');
        continue;
      }
      await s.page.keyboard.press(String(classes.indexOf(label) + 1));
      const events = await s.waitForJournal(`the label of ${id}`, (j) => j.length === before + 1);
      assert.deepEqual([events.at(-1)?.item, events.at(-1)?.label, events.at(-1)?.source], [id, label, 'human']);
      count.set(label, (count.get(label) ?? 0) + 1);
      await waitFor(
        'the focus to move on',
        async () => (await r.locator('[data-testid="cell"].focused').first().getAttribute('data-item')) !== id,
        5000,
      );
    }
    assert.ok(
      [...count.values()].every((v) => v >= 4),
      `seeds: ${[...count].join(' ')}`,
    );
    assert.equal(s.labels().has(XSS_ITEM), false);
  });

  for (const [title, stage] of [
    ['Pretrain Encoder (Self-Supervised)', 'pretrain'],
    ['Train Model', 'train'],
    ['Propose Labels', 'propose'],
  ] as const) {
    it(`${title} from the palette`, async () => {
      const before = s.journal().length;
      const t = performance.now();
      await s.runStage(stage, () => s.command(`SelfLabel: ${title}`));
      recordMetric(`texts: ${stage} s (41 texts, 1 worker, 1 epoch)`, (performance.now() - t) / 1000);
      assert.equal(s.journal().length, before);
    });
  }

  it('clicking "Accept" in the CodeLens above a JSONL row writes an accepted event for that row', async () => {
    await s.command('View: Close All Editors');
    await s.openFile('messages.jsonl');
    const lens = s.page.locator('.monaco-editor .codelens-decoration a', { hasText: 'Accept' }).first();
    await lens.waitFor({ timeout: 30_000 });
    const title = (await lens.innerText()).trim();
    const m = /(spam|ham) (\d\.\d\d) — Accept/.exec(title);
    assert.ok(m, `lens "${title}"`);
    await s.screenshot('editor-codelens');
    const before = s.journal().length;
    await lens.click();
    const events = await s.waitForJournal('the accepted row', (j) => j.length === before + 1);
    const e = events[events.length - 1];
    assert.match(e.item, /^messages\.jsonl#\d+$/);
    assert.equal(e.source, 'accepted');
    assert.equal(e.label, m[1]);
    // The first lens in the file belongs to the first row that is neither labelled nor rejected.
    const labelled = new Set(
      events
        .slice(0, -1)
        .filter((x) => x.source !== 'undo')
        .map((x) => x.item),
    );
    const firstOpen = [...truth.keys()]
      .filter((id) => id.startsWith('messages.jsonl#') && !labelled.has(id))
      .sort((a, b) => Number(a.split('#')[1]) - Number(b.split('#')[1]))[0];
    assert.equal(e.item, firstOpen);
    await waitFor(
      'the lens to turn into "labelled"',
      async () => (await s.page.locator('.monaco-editor .codelens-decoration a', { hasText: `labelled: ${m[1]}` }).count()) > 0,
      10_000,
    );
  });

  it('an item whose text is <script> markup is shown as text in the review grid and runs nothing', async () => {
    await s.commandOpeningTab('SelfLabel: Review Proposals', 'SelfLabel: Review');
    const r = await s.webview('review');
    await waitFor('review mode', async () => (await r.locator('#sl-mode-review').getAttribute('aria-pressed')) === 'true');
    const cell = r.locator(`[data-testid="cell"][data-item="${XSS_ITEM}"]`);
    await r.locator('[data-testid="cell"]').first().click();
    for (let i = 0; i < 60 && (await cell.count()) === 0; i++) await s.page.keyboard.press('ArrowRight');
    await cell.waitFor({ timeout: 10_000 });
    const snippet = await cell.locator('.sl-snippet').innerText();
    assert.match(snippet, /<script>window\.__selflabelPwned = "script"<\/script><img src="x" onerror=/);
    assert.equal(await cell.locator('script').count(), 0);
    assert.equal(await cell.locator('img:not(.sl-thumb)').count(), 0);
    assert.equal(await r.evaluate('typeof window.__selflabelPwned'), 'undefined');
    await s.screenshot('review-webview-texts', s.webviewElement('review'));
  });
});
