/**
 * End-to-end harness: a scratch workspace, a code-server with SelfLabel loaded from source
 * (scripts/code-server/launch.mjs), Debian Chromium driven by playwright-core (scripts/code-server/browser.mjs), and
 * small helpers for what a user does in the workbench: run a command from the palette, answer an input box, open
 * the SelfLabel side panel, reach into a webview's iframes, click a CodeLens, read `.selflabel/labels.jsonl`.
 *
 * The workbench's webviews are iframes at the root of the page (not inside the side bar):
 * `iframe.webview.ready[src*="extensionId=selflabel.selflabel"]` → its `#active-frame` iframe holds our HTML.
 * The side view's outer iframe carries `purpose=webviewView` in its src; the review panel's does not.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { BrowserContext, Frame, Locator, Page } from 'playwright-core';
import { journalEvents } from '../fixtures/journal';

export const ROOT = path.resolve(__dirname, '..', '..');
export const EXTENSION_ID = 'selflabel.selflabel';
export const ARTIFACTS = process.env.SELFLABEL_ARTIFACTS ?? path.join(ROOT, 'test-artifacts');

interface CodeServer {
  url: string;
  port: number;
  userDataDir: string;
  workbenchUrl(o?: { folder?: string; extensionDevelopmentPath?: string; extensionTestsPath?: string }): string;
  stop(): Promise<void>;
}
interface ChromiumHandle {
  context: BrowserContext;
  close(): Promise<void>;
}
interface LaunchModule {
  launchCodeServer(o: {
    workspace?: string;
    settings?: Record<string, unknown>;
    env?: Record<string, string>;
    keepLogsIn?: string;
    workspaceTrust?: boolean;
  }): Promise<CodeServer>;
}
interface BrowserModule {
  launchChromium(o?: { viewport?: { width: number; height: number } }): Promise<ChromiumHandle>;
}

/** Imports one of the harness's ESM scripts at run time (kept out of the esbuild bundle on purpose). */
async function importScript<T>(rel: string): Promise<T> {
  const url = pathToFileURL(path.join(ROOT, rel)).href;
  return (await import(url)) as T;
}

/** Settings for every e2e workbench: fast training, no prompts. Tests add their own. */
export const E2E_SETTINGS: Record<string, unknown> = {
  'selflabel.workers': 1,
  'selflabel.pretrainEpochs': 1,
  'selflabel.pretrainMaxSeconds': 20,
  'workbench.editor.enablePreview': false,
  'editor.codeLens': true,
  'workbench.activityBar.location': 'default',
};

export interface LabelEventLine {
  id: string;
  item: string;
  label: string | null;
  source: string;
  undoes?: string;
}

/** Scratch workspaces of sessions not closed yet: removed if the process exits first (e.g. killed by the time limit). */
const liveScratch = new Set<string>();
process.on('exit', () => {
  if (process.env.SELFLABEL_KEEP) return;
  for (const d of liveScratch) {
    try {
      fs.rmSync(d, { recursive: true, force: true });
    } catch {
      /* best effort */
    }
  }
});

export class Session {
  private constructor(
    readonly workspace: string,
    readonly scratch: string,
    readonly cs: CodeServer,
    readonly browser: ChromiumHandle,
    readonly page: Page,
    readonly consoleErrors: string[],
  ) {}

  /**
   * Starts code-server on a scratch copy of a workspace made by `prepare(dir)` and opens it in Chromium with
   * SelfLabel loaded from source. `name` names the folder (and the artifacts). `opts.workspaceTrust`: workspace
   * trust enabled and the folder not trusted (Restricted Mode; scripts/code-server/launch.mjs).
   */
  static async start(
    name: string,
    prepare: (dir: string) => void | Promise<void>,
    settings: Record<string, unknown> = {},
    opts: { workspaceTrust?: boolean } = {},
  ): Promise<Session> {
    const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'selflabel-e2e-'));
    liveScratch.add(scratch);
    const workspace = path.join(scratch, name);
    fs.mkdirSync(workspace, { recursive: true });
    await prepare(workspace);
    const { launchCodeServer } = await importScript<LaunchModule>('scripts/code-server/launch.mjs');
    const { launchChromium } = await importScript<BrowserModule>('scripts/code-server/browser.mjs');
    const cs = await launchCodeServer({
      settings: { ...E2E_SETTINGS, ...settings },
      keepLogsIn: path.join(ARTIFACTS, `e2e-${name}-code-server.log`),
      workspaceTrust: opts.workspaceTrust,
    });
    let browser: ChromiumHandle | undefined;
    try {
      browser = await launchChromium({ viewport: { width: 1400, height: 900 } });
      const page = await browser.context.newPage();
      const errors: string[] = [];
      page.on('console', (m) => {
        if (m.type() === 'error') errors.push(m.text());
      });
      page.on('pageerror', (e) => errors.push(e.message));
      const extensionPath = process.env.SELFLABEL_EXTENSION_PATH ?? ROOT;
      // Generous: a loaded 2-core machine can take a minute to serve and boot the workbench.
      await page.goto(cs.workbenchUrl({ folder: workspace, extensionDevelopmentPath: extensionPath }), {
        waitUntil: 'domcontentloaded',
        timeout: 120_000,
      });
      await page.locator('.monaco-workbench').waitFor({ timeout: 120_000 });
      await page.locator('.statusbar').waitFor({ timeout: 120_000 });
      return new Session(workspace, scratch, cs, browser, page, errors);
    } catch (e) {
      await browser?.close();
      await cs.stop();
      fs.rmSync(scratch, { recursive: true, force: true, maxRetries: 3 });
      throw e;
    }
  }

  async close(): Promise<void> {
    await this.browser.close();
    await this.cs.stop();
    if (!process.env.SELFLABEL_KEEP) fs.rmSync(this.scratch, { recursive: true, force: true, maxRetries: 3 });
    liveScratch.delete(this.scratch);
  }

  // ---- files -------------------------------------------------------------------------------------------------------

  file(rel: string): string {
    return path.join(this.workspace, rel);
  }

  /** The journal's lines, parsed. */
  journal(): LabelEventLine[] {
    const f = this.file('.selflabel/labels.jsonl');
    if (!fs.existsSync(f)) return [];
    return journalEvents<LabelEventLine>(fs.readFileSync(f, 'utf8'));
  }

  /** Current label per item after replaying the journal (undo cancels its target; reject and remove clear). */
  labels(): Map<string, { label: string; source: string }> {
    const events = this.journal();
    const undone = new Set(events.filter((e) => e.source === 'undo').map((e) => e.undoes));
    const out = new Map<string, { label: string; source: string }>();
    for (const e of events) {
      if (e.source === 'undo' || undone.has(e.id) || e.source === 'rejected') continue;
      if (e.label === null || e.source === 'removed') out.delete(e.item);
      else out.set(e.item, { label: e.label, source: e.source });
    }
    return out;
  }

  async waitForJournal(what: string, pred: (events: LabelEventLine[]) => boolean, timeoutMs = 15_000): Promise<LabelEventLine[]> {
    return waitFor(
      what,
      () => {
        const j = this.journal();
        return pred(j) ? j : undefined;
      },
      timeoutMs,
    );
  }

  // ---- workbench ---------------------------------------------------------------------------------------------------

  async screenshot(name: string, target?: Locator, opts: { hideToasts?: boolean } = {}): Promise<string> {
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    const file = path.join(ARTIFACTS, `${name}.png`);
    // Park the pointer over the empty editor area so no hover tooltip covers the picture.
    await this.page.mouse.move(900, 500).catch(() => undefined);
    await new Promise((r) => setTimeout(r, 300));
    // Notification toasts float over the views: hide them for the picture (the app's state is not touched).
    const style =
      opts.hideToasts === false
        ? undefined
        : await this.page.addStyleTag({ content: '.notifications-toasts { visibility: hidden !important; }' }).catch(() => undefined);
    try {
      if (target) await target.screenshot({ path: file });
      else await this.page.screenshot({ path: file });
    } finally {
      await style?.evaluate((el) => el.remove()).catch(() => undefined);
    }
    return file;
  }

  /** Runs a command by its palette title ("SelfLabel: Scan"); retries while the palette does not know it yet. */
  async command(title: string, timeoutMs = 30_000): Promise<void> {
    const page = this.page;
    const input = page.locator('.quick-input-widget input');
    await waitFor(
      `command "${title}" in the palette`,
      async () => {
        await this.closeQuickInput();
        await page.keyboard.press('F1');
        await input.waitFor({ state: 'visible', timeout: 5000 });
        // A short timeout per try: a palette that closes under us (focus moving after an edit) is retried, not waited on.
        await input.fill(`>${title}`, { timeout: 5000 });
        const row = page.locator('.quick-input-list .monaco-list-row', { hasText: title }).first();
        try {
          await row.waitFor({ state: 'visible', timeout: 2000 });
        } catch {
          return false;
        }
        // Make sure the first (highlighted) row is our command, not a fuzzy neighbour.
        const label = (
          await page
            .locator('.quick-input-list .monaco-list-row.focused')
            .first()
            .innerText()
            .catch(() => '')
        ).split('\n')[0];
        if (!label.includes(title.replace(/^[^:]+:\s*/, ''))) {
          await row.click();
          return true;
        }
        await page.keyboard.press('Enter');
        return true;
      },
      timeoutMs,
      500,
    );
  }

  /**
   * Runs a palette command that opens an editor tab (the review grid, the map) and waits for that tab, running the
   * command again if no tab came: on a loaded machine, while the workbench is still restoring, the palette's Enter can
   * be lost without a trace (seen once in CI: no panel, no error, after 120 s). The commands are idempotent — they
   * reveal the open panel — so a second run is what a person would do.
   */
  async commandOpeningTab(title: string, tab: string, timeoutMs = 120_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const tabLoc = this.page.locator('.tabs-container .tab', { hasText: tab }).first();
    for (let attempt = 1; ; attempt++) {
      await this.command(title, Math.max(5000, deadline - Date.now()));
      const wait = Math.min(30_000, Math.max(1000, deadline - Date.now()));
      if (
        await tabLoc.waitFor({ state: 'visible', timeout: wait }).then(
          () => true,
          () => false,
        )
      )
        return;
      if (Date.now() >= deadline) throw new Error(`"${title}" opened no "${tab}" tab in ${timeoutMs} ms (${attempt} tries)`);
      console.log(`[e2e] "${title}": no "${tab}" tab after ${wait} ms; running it again (try ${attempt + 1})`);
    }
  }

  async closeQuickInput(): Promise<void> {
    if (
      await this.page
        .locator('.quick-input-widget')
        .isVisible()
        .catch(() => false)
    ) {
      await this.page.keyboard.press('Escape');
      await this.page
        .locator('.quick-input-widget')
        .waitFor({ state: 'hidden', timeout: 2000 })
        .catch(() => undefined);
    }
  }

  /** Types into the open input box (e.g. Set Classes) and presses Enter. */
  async answerInput(text: string): Promise<void> {
    const input = this.page.locator('.quick-input-widget input');
    await input.waitFor({ state: 'visible', timeout: 10_000 });
    await input.fill(text);
    await this.page.keyboard.press('Enter');
    await this.page.locator('.quick-input-widget').waitFor({ state: 'hidden', timeout: 10_000 });
  }

  /** Waits for a notification whose text matches, and returns its text. */
  async notification(match: RegExp, timeoutMs = 60_000): Promise<string> {
    const toast = this.page
      .locator('.notifications-toasts .notification-toast .notification-list-item-message', { hasText: match })
      .first();
    await toast.waitFor({ state: 'attached', timeout: timeoutMs });
    return (await toast.innerText()).replace(/\s+/g, ' ').trim();
  }

  /**
   * Shows SelfLabel's side panel (from the activity bar) and returns its frame. Idempotent: the activity-bar icon
   * toggles (a click on the icon of the container already showing hides the side bar), so it clicks only when the
   * SelfLabel container is not showing — e.g. not after a reload that restored it open. The container's state is
   * read from the activity-bar item (`li.action-item`: VS Code sets `aria-expanded` there, not on the icon's link)
   * and from the side bar itself (the container's element, id `workbench.view.extension.selflabel`, is visible).
   */
  /** `webviewTimeoutMs`: how long to wait for the view's webview once the container shows (a reload on a loaded machine can take longer than the default). */
  async openSidePanel(webviewTimeoutMs = 30_000): Promise<Frame> {
    const page = this.page;
    const icon = page.locator('.activitybar .action-item .action-label[aria-label^="SelfLabel"]').first();
    const item = page.locator('.activitybar li.action-item', { has: page.locator('.action-label[aria-label^="SelfLabel"]') }).first();
    const container = page.locator('.part.sidebar .composite[id="workbench.view.extension.selflabel"]');
    await icon.waitFor({ timeout: 60_000 });
    const showing = async () =>
      (await item.getAttribute('aria-expanded').catch(() => null)) === 'true' || (await container.isVisible().catch(() => false));
    // A window that is still restoring its layout can report "not showing" a moment before it shows: after a click
    // look again, and click once more only if it is still not showing (a click that closed it is undone that way).
    for (let attempt = 0; attempt < 3 && !(await showing()); attempt++) {
      await icon.click();
      await waitFor('the SelfLabel view container to show', showing, 5_000).catch(() => undefined);
    }
    await waitFor('the SelfLabel view container to show', showing, 10_000);
    return this.webview('side', webviewTimeoutMs);
  }

  /**
   * Starts a stage with `start` (a click or a palette command) and waits until it has finished, and returns the closing
   * message ("SelfLabel: <stage> done — …"). Finished = the stage's row in the side panel shows a newer last run than
   * before the start (`data-last-run`, set by the host when the run ends, whatever its notification did: VS Code drops
   * toasts that come too fast, and a half-second stage can start and end between two looks at its row), or the
   * closing notification appears. Fails at once, with the message, when the run failed or could not start. The side
   * panel must be open (openSidePanel).
   */
  async runStage(stage: 'scan' | 'pretrain' | 'train' | 'propose', start: () => Promise<void>, timeoutMs = 300_000): Promise<string> {
    const side = await this.webview('side');
    const row = side.locator(`[data-testid="stage-${stage}"]`);
    const status = side.locator(`[data-testid="status-${stage}"]`);
    const problem = side.locator('[data-testid="problem"]');
    // Read the row's last run once the panel has its state: a panel still loading shows none, and the state it then
    // gets (with the last run before this one) must not read as this run's end.
    await side.locator('#sl-side[data-ready="true"]').waitFor({ timeout: 60_000 });
    const before = await row.getAttribute('data-last-run').catch(() => null);
    await start();
    const toasts = this.page.locator('.notifications-toasts .notification-toast .notification-list-item-message');
    return waitFor(
      `${stage} to finish`,
      async () => {
        const p = (await problem.innerText().catch(() => '')).trim();
        if (p.startsWith(`${stage} failed`)) throw new StageError(`${stage}: ${p}`);
        for (const msg of await toasts.allInnerTexts().catch(() => [] as string[])) {
          const m = msg.replace(/\s+/g, ' ').trim();
          if (m.includes(`SelfLabel: ${stage} done`)) return m;
          if (/^SelfLabel: .*(failed|set the classes first|still running|not trusted)/i.test(m)) throw new StageError(`${stage}: ${m}`);
        }
        // The side panel may have been rebuilt since (a reload): read the row afresh each time.
        const last = await row.getAttribute('data-last-run').catch(() => null);
        if (last === null || last === before) return undefined;
        const outcome = await row.getAttribute('data-last-outcome').catch(() => null);
        const tip = ((await status.getAttribute('title').catch(() => null)) ?? '').replace(/^Last run: \w+ at [^—]*— /, '');
        if (outcome === 'failed') throw new StageError(`${stage}: ${tip}`);
        if (outcome === 'cancelled') throw new StageError(`${stage} was cancelled: ${tip}`);
        return `SelfLabel: ${stage} done — ${tip}.`;
      },
      timeoutMs,
      300,
    );
  }

  /** Clears the notifications, and returns once no toast is left on screen (toasts float over the views and take their mouse events). */
  async clearNotifications(): Promise<void> {
    await this.command('Notifications: Clear All Notifications').catch(() => undefined);
    await waitFor('no notification toast on screen', () =>
      this.page.evaluate(
        `[...document.querySelectorAll('.notifications-toasts .notification-toast')].every((t) => t.getBoundingClientRect().height === 0 || getComputedStyle(t).visibility === 'hidden')`,
      ),
    );
  }

  /** The inner frame of a SelfLabel webview: the side panel (`side`) or the review panel (`review`). */
  async webview(which: 'side' | 'review', timeoutMs = 30_000): Promise<Frame> {
    const sel = `iframe.webview.ready[src*="extensionId=${EXTENSION_ID}"]${which === 'side' ? '[src*="purpose=webviewView"]' : ':not([src*="purpose=webviewView"])'}`;
    const marker = which === 'side' ? '#sl-side' : '#sl-review';
    return waitFor(
      `the ${which} webview`,
      async () => {
        for (const outer of await this.page.locator(sel).all()) {
          if (!(await outer.isVisible().catch(() => false))) continue;
          const outerFrame = await (await outer.elementHandle())?.contentFrame();
          const innerEl = await outerFrame?.$('#active-frame');
          const inner = await innerEl?.contentFrame();
          if (inner && (await inner.$(marker))) return inner;
        }
        // After a page reload the restored view's iframe may not match the selector above (its `ready` class or `src`
        // can differ) although the webview is there: find the frame by the element only our webview has.
        if (which === 'side') {
          for (const f of this.page.frames()) {
            const ours =
              f.url().includes(`extensionId=${EXTENSION_ID}`) || !!f.parentFrame()?.url().includes(`extensionId=${EXTENSION_ID}`);
            if (f.isDetached() || !ours) continue;
            // Only a visible one: a hidden webview of ours (another view's, or a stale one) must not be returned.
            const outer = await f
              .parentFrame()
              ?.frameElement()
              .catch(() => null);
            if (!outer || !(await outer.isVisible().catch(() => false))) continue;
            if (await f.$(marker).catch(() => null)) return f;
          }
        }
        return undefined;
      },
      timeoutMs,
      250,
    );
  }

  /** Whether the SelfLabel view container is open in the side bar (what a person sees), whatever its iframe's attributes. */
  async sidePanelShowing(): Promise<boolean> {
    return this.page
      .locator('.part.sidebar .composite[id="workbench.view.extension.selflabel"]')
      .isVisible()
      .catch(() => false);
  }

  /** The outer iframe element of a webview (for screenshots of just that view). */
  webviewElement(which: 'side' | 'review'): Locator {
    const sel = `iframe.webview.ready[src*="extensionId=${EXTENSION_ID}"]${which === 'side' ? '[src*="purpose=webviewView"]' : ':not([src*="purpose=webviewView"])'}`;
    return this.page.locator(sel).first();
  }

  /** Opens a workspace file in an editor through Quick Open. */
  async openFile(rel: string): Promise<void> {
    const page = this.page;
    await this.closeQuickInput();
    await page.keyboard.press('Control+P');
    const input = page.locator('.quick-input-widget input');
    await input.waitFor({ state: 'visible', timeout: 10_000 });
    await input.fill(rel);
    const base = path.basename(rel);
    await page.locator('.quick-input-list .monaco-list-row', { hasText: base }).first().waitFor({ timeout: 10_000 });
    await page.keyboard.press('Enter');
    await page.locator(`.tab[aria-label*="${base}"]`).first().waitFor({ timeout: 10_000 });
  }
}

/** A stage reported a failure in the workbench. */
export class StageError extends Error {}

/** Polls `probe` until it returns something truthy; the error says what was awaited. */
export async function waitFor<T>(
  what: string,
  probe: () => T | undefined | false | null | Promise<T | undefined | false | null>,
  timeoutMs = 15_000,
  everyMs = 200,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v) return v;
    } catch (e) {
      if (e instanceof StageError) throw e;
      lastError = e;
    }
    if (Date.now() > deadline) {
      const why = lastError instanceof Error ? ` (last error: ${lastError.message.split('\n')[0]})` : '';
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${why}`);
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** Reads a fixture's truth CSV (`path,label`) into a map. */
export function readTruth(file: string): Map<string, string> {
  const lines = fs.readFileSync(file, 'utf8').trim().split('\n').slice(1);
  return new Map(lines.map((l) => l.split(',') as [string, string]));
}

/** Records a measured number for the run's report (printed by scripts/vscode-test.mjs). */
export function recordMetric(name: string, value: number): void {
  const g = globalThis as { __selflabelMetrics?: Record<string, number> };
  g.__selflabelMetrics ??= {};
  g.__selflabelMetrics[name] = value;
}

/**
 * Mocha hooks for a suite whose steps build on each other: closes the session after the suite, and after the first
 * failing step screenshots it (`<name>-failed-<step>`) and skips the remaining steps (reported as pending) instead of
 * running them into their own time-outs.
 */
export function dependentSteps(name: string, session: () => Session | undefined): void {
  after(async function () {
    this.timeout(60_000);
    await session()?.close();
  });
  let brokenAt = '';
  beforeEach(function () {
    if (brokenAt) this.skip();
  });
  afterEach(async function () {
    if (this.currentTest?.state !== 'failed') return;
    brokenAt ||= this.currentTest.title;
    await session()
      ?.screenshot(`${name}-failed-${this.currentTest.title.replace(/\W+/g, '-').slice(0, 60)}`, undefined, { hideToasts: false })
      .catch(() => undefined);
  });
}
