/**
 * Debian Chromium driven by playwright-core (never a downloaded browser), set up for code-server's web workbench:
 * headless, no sandbox (root in CI), no GPU, no background networking, a fresh profile per launch.
 *
 *   const browser = await launchChromium();
 *   const { page, exit } = await openWorkbench(browser, cs.workbenchUrl({...}), { onLog });
 *   const code = await exit;   // only for a workbench opened with extensionTestsPath: mocha's result (0 = passed)
 *
 * `openWorkbench` exposes `codeAutomationExit` / `codeAutomationLog` on the page before the workbench loads; the
 * workbench calls them when an extension test suite given in the URL payload finishes / logs.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { chromiumPath } from './setup.mjs';

const require = createRequire(import.meta.url);

/** Profiles of browsers still open: removed if this process exits without closing them. */
const liveProfiles = new Set();
process.on('exit', () => {
  for (const p of liveProfiles) {
    try {
      fs.rmSync(p, { recursive: true, force: true });
    } catch {
      /* best effort */
    }
  }
});

export const chromiumArgs = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
];

/**
 * @param {{ viewport?: {width: number, height: number} }} [opts]
 * @returns {Promise<{ context: import('playwright-core').BrowserContext, close: () => Promise<void> }>}
 */
export async function launchChromium(opts = {}) {
  const { chromium } = require('playwright-core');
  const executablePath = chromiumPath();
  if (!executablePath) throw new Error('Chromium is not installed: run `node scripts/code-server/setup.mjs`');
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'selflabel-chromium-'));
  liveProfiles.add(profile);
  const context = await chromium.launchPersistentContext(profile, {
    executablePath,
    headless: true,
    args: chromiumArgs,
    viewport: opts.viewport ?? { width: 1400, height: 900 },
    ignoreDefaultArgs: ['--enable-automation'],
  });
  let closed = false;
  return {
    context,
    async close() {
      if (closed) return;
      closed = true;
      await context.close().catch(() => {});
      fs.rmSync(profile, { recursive: true, force: true, maxRetries: 3 });
      liveProfiles.delete(profile);
    },
  };
}

/**
 * Opens a workbench URL in a new page.
 * @param {import('playwright-core').BrowserContext} context
 * @param {string} url
 * @param {{ onLog?: (level: string, msg: string) => void, onConsole?: (type: string, text: string) => void }} [opts]
 */
export async function openWorkbench(context, url, opts = {}) {
  const page = await context.newPage();
  /** @type {(code: number) => void} */
  let resolveExit = () => {};
  const exit = new Promise((resolve) => {
    resolveExit = resolve;
  });
  await page.exposeFunction('codeAutomationExit', (code) => {
    resolveExit(typeof code === 'number' ? code : 1);
  });
  await page.exposeFunction('codeAutomationLog', (level, msg) => {
    opts.onLog?.(String(level), String(msg));
  });
  if (opts.onConsole) page.on('console', (m) => opts.onConsole?.(m.type(), m.text()));
  page.on('pageerror', (e) => opts.onConsole?.('pageerror', e.message));
  await page.goto(url, { waitUntil: 'domcontentloaded' });
  return { page, exit };
}
