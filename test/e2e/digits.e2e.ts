/**
 * End-to-end, the user's path on a small real image workspace (36 MNIST digits: twelve each of 0, 1 and 7), in
 * code-server driven by Chromium: open the SelfLabel side panel from the activity bar, set the classes, scan, label
 * seeds with the keyboard in the review webview's label mode, pretrain, train and propose from the side panel, then
 * accept / reject / correct / undo proposals with the keyboard and accept a batch above a confidence threshold.
 * After every step `.selflabel/labels.jsonl` on disk is checked. Screenshots of the side panel and the review
 * webview go to test-artifacts/. Also: the webview's CSP blocks an injected inline script (a script carrying the
 * page's nonce runs — the control that shows the check can fail).
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import type { Frame } from 'playwright-core';
import { Session, recordMetric, waitFor, dependentSteps } from './harness';
import { writeMnistWorkspace } from './mnist';

const CLASSES = ['0', '1', '7'];

describe('digits: the whole loop in the browser', function () {
  this.timeout(360_000);
  let s: Session;
  let truth: Map<string, string>;

  before(async function () {
    this.timeout(240_000);
    const t = performance.now();
    s = await Session.start(
      'digits',
      (dir) => {
        truth = writeMnistWorkspace(dir, { classes: CLASSES, perClass: 12 }).truth;
      },
      { 'selflabel.confidenceThreshold': 0 },
    );
    recordMetric('digits: workbench ready s', (performance.now() - t) / 1000);
  });

  dependentSteps('digits', () => s);

  const side = () => s.webview('side');
  const review = () => s.webview('review');
  const text = async (f: Frame, testid: string) => (await f.locator(`[data-testid="${testid}"]`).first().innerText()).trim();

  it('opens the SelfLabel side panel from the activity bar', async () => {
    const f = await s.openSidePanel();
    await f.locator('#sl-side[data-ready="true"]').waitFor({ timeout: 60_000 });
    assert.equal(await text(f, 'folder'), 'digits');
    await s.screenshot('side-panel-new-workspace', s.webviewElement('side'));
  });

  it('sets the classes from the side panel (input box) → classes.json', async () => {
    const f = await side();
    await f.locator('[data-testid="set-classes"]').click();
    await s.answerInput(CLASSES.join(', '));
    const file = s.file('.selflabel/classes.json');
    const classes = await waitFor('classes.json', () => fs.existsSync(file) && JSON.parse(fs.readFileSync(file, 'utf8')).classes);
    assert.deepEqual(classes, CLASSES);
    await waitFor('the side panel to list the classes', async () => (await f.locator('[data-testid^="class-"]').count()) === 3);
    assert.deepEqual(s.journal(), [], 'no labels yet');
  });

  it('scans from the side panel and finds the 36 digits', async () => {
    const f = await side();
    await s.runStage('scan', () => f.locator('[data-testid="run-scan"]').click());
    await waitFor('the scan summary', async () => /\b36 items\b/.test(await text(f, 'status-scan')), 60_000);
    assert.match(await text(f, 'counts'), /36 items · 0 labelled/);
    assert.deepEqual(s.journal(), []);
  });

  it('labels seeds with number keys in the label grid; each key press is on disk at once', async () => {
    const f = await side();
    await f.locator('[data-testid="label-next"]').click();
    const r = await review();
    await r.locator('[data-testid="cell"]').first().waitFor({ timeout: 30_000 });
    assert.equal(await r.locator('#sl-mode-label').getAttribute('aria-pressed'), 'true');
    await r.locator('[data-testid="cell"].focused').first().click();
    const perClass = new Map(CLASSES.map((c) => [c, 0]));
    for (let n = 0; n < 30 && [...perClass.values()].some((v) => v < 3); n++) {
      const cell = r.locator('[data-testid="cell"].focused').first();
      const id = await cell.getAttribute('data-item');
      assert.ok(id, 'a focused cell');
      const label = truth.get(id);
      assert.ok(label, `${id} is a fixture digit`);
      const before = s.journal().length;
      await s.page.keyboard.press(String(CLASSES.indexOf(label) + 1));
      const events = await s.waitForJournal(`the label of ${id}`, (j) => j.length === before + 1);
      const e = events[events.length - 1];
      assert.deepEqual([e.item, e.label, e.source], [id, label, 'human']);
      perClass.set(label, (perClass.get(label) ?? 0) + 1);
      // The grid moves on to the next item by itself.
      await waitFor(
        'the focus to move on',
        async () => (await r.locator('[data-testid="cell"].focused').first().getAttribute('data-item')) !== id,
        5000,
      );
    }
    assert.ok(
      [...perClass.values()].every((v) => v >= 3),
      `seeds per class: ${[...perClass].join(' ')}`,
    );
    recordMetric('digits: seed labels', s.journal().length);
    await s.screenshot('review-webview-label-mode', s.webviewElement('review'));
  });

  for (const stage of ['pretrain', 'train', 'propose'] as const) {
    it(`${stage} from the side panel`, async () => {
      const f = await side();
      const labelsBefore = s.journal().length;
      const t = performance.now();
      await s.runStage(stage, () => f.locator(`[data-testid="run-${stage}"]`).click());
      recordMetric(`digits: ${stage} s (36 digits, 1 worker, 1 epoch)`, (performance.now() - t) / 1000);
      if (stage === 'train') await waitFor('the accuracy', async () => /est\. accuracy/.test(await text(f, 'status-train')), 10_000);
      if (stage === 'propose')
        await waitFor('the proposals count', async () => /\d+ open proposals/.test(await text(f, 'status-propose')), 10_000);
      assert.equal(s.journal().length, labelsBefore, `${stage} does not write labels`);
    });
  }

  it('side panel after training: backend, accuracy and the learning curve', async () => {
    const f = await side();
    assert.match(await text(f, 'backend'), /wasm|cpu|tensorflow/);
    assert.match(await text(f, 'accuracy'), /Estimated accuracy \d+/);
    assert.ok((await f.locator('[data-testid="chart"] svg').count()) >= 1, 'a learning-curve SVG');
    await s.screenshot('side-panel-trained', s.webviewElement('side'));
  });

  it('reviews proposals: thumbnails load; A accepts, X rejects, a number key corrects, U undoes — each on disk', async () => {
    const f = await side();
    await f.locator('[data-testid="review"]').click();
    const r = await review();
    await waitFor('review mode', async () => (await r.locator('#sl-mode-review').getAttribute('aria-pressed')) === 'true');
    await r.locator('[data-testid="cell"][data-status="proposed"]').first().waitFor({ timeout: 30_000 });
    const size = await waitFor(
      'a thumbnail to load',
      async () => {
        const v = await r
          .locator('[data-testid="cell"] img.sl-thumb')
          .first()
          .evaluate((el) => {
            const img = el as unknown as { complete: boolean; naturalWidth: number };
            return img.complete ? img.naturalWidth : 0;
          });
        return v > 0 ? v : undefined;
      },
      60_000,
    );
    assert.equal(size, 28, 'the thumbnail is the 28×28 digit itself');
    await s.screenshot('review-webview', s.webviewElement('review'));
    await s.screenshot('workbench-review');

    const focused = async () => {
      const c = r.locator('[data-testid="cell"].focused').first();
      return {
        id: (await c.getAttribute('data-item')) ?? '',
        label: (await c.locator('[data-testid="cell-label"]').innerText()).trim(),
        status: await c.getAttribute('data-status'),
      };
    };
    await r.locator('[data-testid="cell"].focused').first().click();

    const press = async (key: string) => {
      const cur = await focused();
      const before = s.journal().length;
      await s.page.keyboard.press(key);
      const events = await s.waitForJournal(`"${key}" on ${cur.id}`, (j) => j.length === before + 1);
      return { cur, e: events[events.length - 1] };
    };

    let { cur, e } = await press('a');
    assert.equal(cur.status, 'proposed');
    assert.deepEqual([e.item, e.label, e.source], [cur.id, cur.label, 'accepted']);

    ({ cur, e } = await press('x'));
    assert.deepEqual([e.item, e.label, e.source], [cur.id, cur.label, 'rejected']);

    // A number key naming another class than the one proposed corrects the proposal.
    const next = await focused();
    assert.equal(next.status, 'proposed');
    const other = CLASSES.find((c) => c !== next.label);
    assert.ok(other);
    const corrected = await press(String(CLASSES.indexOf(other) + 1));
    assert.deepEqual([corrected.e.item, corrected.e.label, corrected.e.source], [corrected.cur.id, other, 'corrected']);

    const before = s.journal().length;
    await s.page.keyboard.press('u');
    const events = await s.waitForJournal('the undo', (j) => j.length === before + 1);
    assert.equal(events[events.length - 1].source, 'undo');
    assert.equal(events[events.length - 1].undoes, corrected.e.id);
    assert.equal(s.labels().has(corrected.cur.id), false, 'the correction is taken back');
  });

  it('"accept all ≥ c" shows the batch size and expected precision, then accepts exactly that batch', async () => {
    const r = await review();
    await r.locator('[data-testid="threshold-value"]').fill('0.5');
    await r.locator('[data-testid="threshold-value"]').press('Enter');
    await r.locator('[data-testid="threshold-value"]').dispatchEvent('change');
    const info = await waitFor('the batch info', async () => {
      const t = await text(r, 'batch-info');
      return /expected precision/.test(t) ? t : undefined;
    });
    const m = /^(\d+) proposals? · expected precision (\d+(?:\.\d+)?)\s?%/.exec(info);
    assert.ok(m, `batch info "${info}"`);
    const count = Number(m[1]);
    assert.ok(count > 0);
    const before = s.journal().length;
    await r.locator('[data-testid="accept-batch"]').click();
    const events = await s.waitForJournal(`${count} accepted events`, (j) => j.length >= before + count, 20_000);
    const added = events.slice(before);
    assert.equal(added.length, count);
    assert.ok(added.every((ev) => ev.source === 'accepted'));
    assert.equal(new Set(added.map((ev) => ev.item)).size, count, 'each item once');
    recordMetric('digits: batch accepted at c=0.5', count);
    const right = added.filter((ev) => truth.get(ev.item) === ev.label).length;
    recordMetric('digits: batch precision (%) against the truth', (100 * right) / count);
    recordMetric('digits: batch expected precision (%)', Number(m[2]));
  });

  it("the review webview's CSP blocks an injected inline script; a script with the page's nonce runs", async () => {
    const r = await review();
    const result = (await r.evaluate(`new Promise((resolve) => {
      const violations = [];
      document.addEventListener('securitypolicyviolation', (e) => violations.push(e.violatedDirective));
      const bad = document.createElement('script');
      bad.textContent = 'window.__selflabelInjected = 1';
      document.body.append(bad);
      const div = document.createElement('div');
      div.innerHTML = '<img src="data:," onerror="window.__selflabelInjected = 2">';
      document.body.append(div);
      const good = document.createElement('script');
      good.nonce = document.querySelector('script[nonce]').nonce;
      good.textContent = 'window.__selflabelNonced = 1';
      document.body.append(good);
      setTimeout(() => resolve({ injected: window.__selflabelInjected ?? null, nonced: window.__selflabelNonced ?? null, violations }), 300);
    })`)) as { injected: number | null; nonced: number | null; violations: string[] };
    assert.equal(result.injected, null, 'the injected inline script / handler did not run');
    assert.equal(result.nonced, 1, 'the control script with the nonce ran');
    assert.ok(
      result.violations.some((v) => v.startsWith('script-src')),
      `CSP violations reported: ${result.violations.join(', ')}`,
    );
  });
});
