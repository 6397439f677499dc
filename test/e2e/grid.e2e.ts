/**
 * End-to-end: the review grid with 10,000 proposals (all 10,000 real MNIST t10k digits, 5 seed labels per class,
 * a 5-second pretraining through the CLI, every unlabelled digit proposed). In code-server + Chromium: the grid keeps
 * only the rows on screen (plus overscan) in the DOM wherever it is scrolled, reuses its cells, shows the right
 * items at the top, middle and bottom; thumbnails arrive in batches from the host as data: URLs (no webview
 * resource load per image) and show the real 28×28 digits; the keyboard still works at the far end of the list
 * (End, then A accepts the last proposal: "saving…" until the host answered, then on disk).
 */
import * as assert from 'node:assert/strict';
import type { Frame } from 'playwright-core';
import { Session, recordMetric, waitFor, dependentSteps } from './harness';
import { proposedDigitWorkspace } from './digitWorkspace';

/** Most cells the grid may hold: 1400×900 window → ~5 visible rows of 7, plus 2 rows of overscan each side. */
const MAX_CELLS = 120;

interface GridDom {
  cells: number;
  visible: number;
  elements: number;
  indices: number[];
  top: number;
  height: number;
  total: number;
}

// Page-side code as strings: this file is compiled without the DOM's types.
const GRID_DOM = `(() => {
  const vp = document.getElementById('sl-grid');
  const cells = [...vp.querySelectorAll('[data-testid="cell"]')];
  const shown = cells.filter((c) => !c.hidden);
  return {
    cells: cells.length,
    visible: shown.length,
    elements: vp.querySelectorAll('*').length,
    indices: shown.map((c) => Number(c.dataset.index)).sort((a, b) => a - b),
    top: vp.scrollTop,
    height: vp.clientHeight,
    total: vp.scrollHeight,
  };
})()`;

/** The image cells on screen: their src, whether the image is decoded, its natural width. */
const THUMBS_ON_SCREEN = `(() => {
  const vp = document.getElementById('sl-grid');
  const box = vp.getBoundingClientRect();
  return [...vp.querySelectorAll('[data-testid="cell"]:not([hidden]) img.sl-thumb')]
    .filter((img) => {
      const b = img.getBoundingClientRect();
      return b.bottom > box.top && b.top < box.bottom;
    })
    .map((img) => ({ src: img.getAttribute('src') || '', ok: img.complete && img.naturalWidth > 0, w: img.naturalWidth }));
})()`;

/** What the grid's DOM holds now. */
function gridDom(f: Frame): Promise<GridDom> {
  return f.evaluate(GRID_DOM) as Promise<GridDom>;
}

/** Sets the grid's scroll position and waits two frames (the grid redraws in the next one). */
async function scrollTo(f: Frame, top: number): Promise<void> {
  await f.evaluate(`(async () => {
    document.getElementById('sl-grid').scrollTop = ${Math.round(top)};
    await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
  })()`);
}

describe('review grid with 10,000 proposals', function () {
  this.timeout(600_000);
  let s: Session;
  let proposals = 0;

  before(async function () {
    this.timeout(480_000);
    const t = performance.now();
    s = await Session.start('grid10k', (dir) => {
      // The grid's behaviour does not depend on the model's quality: a few seconds of pretraining will do.
      const { truth } = proposedDigitWorkspace(dir, { perClass: 2000, seedsPerClass: 5, pretrainSeconds: 5, threshold: 0 });
      assert.equal(truth.size, 10_000, 'all 10,000 t10k digits');
    });
    recordMetric('grid10k: workspace + workbench ready s', (performance.now() - t) / 1000);
  });

  dependentSteps('grid10k', () => s);

  it('opens with every proposal and only a screenful of cells in the DOM', async () => {
    const t = performance.now();
    await s.commandOpeningTab('SelfLabel: Review Proposals', 'SelfLabel: Review', 180_000);
    const f = await s.webview('review', 120_000);
    await f.locator('[data-testid="cell"]').first().waitFor({ timeout: 120_000 });
    recordMetric('grid10k: open to first cell s', (performance.now() - t) / 1000);
    const summary = (await f.locator('[data-testid="summary"]').innerText()).trim();
    proposals = Number(/^([\d,]+) proposals/.exec(summary)?.[1].replace(/,/g, '') ?? 0);
    assert.equal(proposals, 10_000 - 50, summary);
    const d = await gridDom(f);
    assert.ok(d.total > 100 * d.height, `the scroll area spans every row (${d.total} px)`);
    assert.ok(d.visible > 0 && d.visible <= MAX_CELLS, `${d.visible} cells shown`);
    assert.ok(d.cells <= MAX_CELLS, `${d.cells} cells in the DOM`);
    assert.equal(d.indices[0], 0);
    assert.ok(d.elements < 15 * MAX_CELLS, `${d.elements} elements in the grid`);
    recordMetric('grid10k: cells in the DOM', d.cells);
  });

  it('wherever it is scrolled: a bounded, reused set of cells showing exactly the rows there', async () => {
    const f = await s.webview('review');
    const { total, height } = await gridDom(f);
    let maxCells = 0;
    for (const frac of [0.25, 0.5, 0.9, 1, 0.01, 0.6]) {
      const top = Math.round((total - height) * frac);
      await scrollTo(f, top);
      const d = await gridDom(f);
      maxCells = Math.max(maxCells, d.cells);
      assert.ok(d.cells <= MAX_CELLS, `at ${frac}: ${d.cells} cells in the DOM`);
      assert.ok(d.visible > 0, `at ${frac}: cells shown`);
      // The shown cells are one contiguous run of items around the scroll position.
      const idx = d.indices;
      assert.equal(idx[idx.length - 1] - idx[0] + 1, idx.length, `at ${frac}: contiguous items ${idx[0]}…${idx[idx.length - 1]}`);
      const expectFirst = (proposals - 1) * (top / total);
      assert.ok(
        Math.abs(idx[0] - expectFirst) < 3 * MAX_CELLS,
        `at ${frac}: first item ${idx[0]}, expected near ${expectFirst.toFixed(0)}`,
      );
      if (frac === 1) assert.equal(idx[idx.length - 1], proposals - 1, 'the last proposal is drawn at the bottom');
    }
    recordMetric('grid10k: most cells in the DOM while scrolling', maxCells);
  });

  it('thumbnails come in batches from the host as data: URLs and show the digits', async () => {
    const f = await s.webview('review');
    const { total, height } = await gridDom(f);
    await f.evaluate('performance.clearResourceTimings()');
    await scrollTo(f, Math.round((total - height) * 0.4));
    const shown = await waitFor(
      'the thumbnails on screen',
      async () => {
        const r = (await f.evaluate(THUMBS_ON_SCREEN)) as { src: string; ok: boolean; w: number }[];
        return r.length > 0 && r.every((x) => x.ok) ? r : undefined;
      },
      30_000,
    );
    assert.ok(
      shown.every((x) => x.src.startsWith('data:image/png;base64,')),
      'inlined by the host',
    );
    assert.ok(
      shown.every((x) => x.w === 28),
      'the 28×28 digits themselves',
    );
    const loads = (await f.evaluate(
      `performance.getEntriesByType('resource').filter((e) => /\\.png(\\?|$)/.test(e.name)).length`,
    )) as number;
    assert.equal(loads, 0, 'no webview resource load per image');
  });

  it('keys work at the far end: End focuses the last proposal, A accepts it once the host answered', async () => {
    const f = await s.webview('review');
    await f.locator('#sl-grid').focus();
    await s.page.keyboard.press('End');
    const last = f.locator('[data-testid="cell"].focused');
    await waitFor(
      'the last cell focused',
      async () => (await last.getAttribute('data-index').catch(() => null)) === String(proposals - 1),
      10_000,
    );
    const id = (await last.getAttribute('data-item')) ?? '';
    const label = (await last.locator('[data-testid="cell-label"]').innerText()).trim();
    const before = s.journal().length;
    await s.page.keyboard.press('a');
    const events = await s.waitForJournal(`the acceptance of ${id}`, (j) => j.length === before + 1);
    assert.deepEqual(
      [events[events.length - 1].item, events[events.length - 1].label, events[events.length - 1].source],
      [id, label, 'accepted'],
    );
    const cell = f.locator(`[data-testid="cell"][data-item="${id}"]`);
    await waitFor(
      'the cell to show it accepted',
      async () => (await cell.getAttribute('data-status')) === 'accepted' && (await cell.getAttribute('data-saving')) === 'false',
      10_000,
    );
    const d = await gridDom(f);
    assert.ok(d.cells <= MAX_CELLS, `${d.cells} cells in the DOM`);
  });
});
