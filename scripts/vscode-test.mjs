#!/usr/bin/env node
/**
 * Runs SelfLabel's tests in a real VS Code: the integration suite (mocha inside the extension host, test/integration)
 * and the end-to-end suite (Playwright driving Debian Chromium against code-server, test/e2e). Prints every test,
 * the numbers the tests measured, and a final line `N passed, N failed` alone on a line; exits non-zero on any
 * failure (a suite that crashes or times out counts as a failure).
 *
 *   node scripts/vscode-test.mjs [--only integration|e2e] [--suites a,b] [--grep TEXT] [--no-build] [--no-package] [--keep]
 *                                [--extension DIR]
 *
 * Steps: set up code-server + Chromium when missing (scripts/code-server/setup.mjs), build the extension
 * (scripts/build.mjs → dist/), compile the test suites with esbuild (out/integration, out/e2e — independent of
 * anyone's tsc state), copy each fixture workspace (test/fixtures/workspaces/<name>) to a scratch folder, and run.
 * For each test/integration/suites/<name>/ the workbench opens a scratch copy of the fixture <name> with SelfLabel
 * loaded from source and the suite as `extensionTestsPath`. Logs and screenshots go to test-artifacts/.
 * Two suites need a server of their own (SPECIAL_SUITES):
 *  - `untrusted`: workspace trust ENABLED and the fixture folder not trusted (Restricted Mode); extension from source.
 *  - `packaged`: runs last. `npm run package -- --out <scratch>/selflabel.vsix` (the real packaging command: production
 *    build + vsce), then `code-server --install-extension` of that .vsix into a fresh extensions dir, and the suite runs
 *    against the INSTALLED extension (no extensionDevelopmentPath) on a copy of the `texts` fixture. The dev build of
 *    dist/ is restored afterwards. `--no-package` skips it.
 * --keep leaves the scratch workspaces in place and prints where they are. --extension DIR loads the extension from
 * another folder (default: this repo).
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';
import { ensureCodeServer } from './code-server/setup.mjs';
import { launchCodeServer } from './code-server/launch.mjs';
import { launchChromium, openWorkbench } from './code-server/browser.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const argv = process.argv.slice(2);
const flag = (n) => argv.includes(`--${n}`);
const opt = (n) => {
  const i = argv.indexOf(`--${n}`);
  return i >= 0 ? argv[i + 1] : undefined;
};
const only = opt('only');
const grep = opt('grep');
/** --suites a,b: run only these integration suites (folder names under test/integration/suites, `packaged` included). */
const suites = opt('suites')
  ?.split(',')
  .map((x) => x.trim())
  .filter(Boolean);
const wanted = (name) => !suites || suites.includes(name);
const extensionPath = path.resolve(opt('extension') ?? root);
const artifacts = path.join(root, 'test-artifacts');
const fixturesDir = path.join(root, 'test/fixtures/workspaces');
/** One integration suite must finish within this (it includes loading the workbench). */
const SUITE_TIMEOUT_MS = Number(process.env.SELFLABEL_SUITE_TIMEOUT_MS ?? 5 * 60_000);
const E2E_TIMEOUT_MS = Number(process.env.SELFLABEL_E2E_TIMEOUT_MS ?? 20 * 60_000);
/** `npm run package` (production build + vsce) must finish within this. */
const PACKAGE_TIMEOUT_MS = 4 * 60_000;
/** Suites that are not run on the shared trust-disabled server with the extension from source (see the header). */
const SPECIAL_SUITES = new Set(['untrusted', 'packaged']);

/** Settings for the integration workbench: small, fast training so the whole loop fits in seconds. */
const testSettings = {
  'selflabel.workers': 1,
  'selflabel.pretrainEpochs': 1,
  'selflabel.pretrainMaxSeconds': 20,
  // Every unlabelled item gets a proposal, so the CodeLens tests always have one to act on.
  'selflabel.confidenceThreshold': 0,
};

const results = []; // { group, title, state, durationMs?, error? }
const metrics = {};
const t0 = performance.now();
const secs = (since) => ((performance.now() - since) / 1000).toFixed(1);

function record(group, title, state, extra = {}) {
  results.push({ group, title, state, ...extra });
}

function log(msg) {
  console.log(`[vscode-test] ${msg}`);
}

function summaryAndExit() {
  const passed = results.filter((r) => r.state === 'passed').length;
  const failed = results.filter((r) => r.state === 'failed').length;
  const pending = results.filter((r) => r.state === 'pending').length;
  console.log('');
  for (const r of results) {
    const mark = r.state === 'passed' ? '✔' : r.state === 'failed' ? '✖' : '-';
    const ms = r.durationMs !== undefined ? ` (${r.durationMs} ms)` : '';
    console.log(`  ${mark} [${r.group}] ${r.title}${ms}`);
  }
  const fails = results.filter((r) => r.state === 'failed');
  if (fails.length) {
    console.log('\nFailures:');
    fails.forEach((r, i) =>
      console.log(
        `\n${i + 1}) [${r.group}] ${r.title}\n${(r.error ?? '(no detail)')
          .split('\n')
          .map((l) => `   ${l}`)
          .join('\n')}`,
      ),
    );
  }
  if (Object.keys(metrics).length) {
    console.log('\nMeasured:');
    for (const [k, v] of Object.entries(metrics)) console.log(`  ${k}: ${typeof v === 'number' ? Math.round(v * 10) / 10 : v}`);
  }
  console.log(
    `\nvscode-test: ${secs(t0)} s total${pending ? `, ${pending} pending` : ''}${fs.existsSync(artifacts) ? `; artifacts in ${path.relative(root, artifacts)}/` : ''}`,
  );
  console.log(`${passed} passed, ${failed} failed`);
  process.exit(failed > 0 ? 1 : 0);
}

/** Copies a fixture workspace into a scratch folder named after it (the folder's name selects the suite). */
function copyFixture(name, scratch) {
  const src = path.join(fixturesDir, name);
  if (!fs.existsSync(src)) throw new Error(`fixture workspace ${path.relative(root, src)} does not exist`);
  const dst = path.join(scratch, name);
  fs.cpSync(src, dst, { recursive: true });
  return dst;
}

async function compileSuites() {
  const t = performance.now();
  const list = (dir, re) =>
    fs.existsSync(dir)
      ? fs
          .readdirSync(dir, { recursive: true })
          .map(String)
          .filter((f) => re.test(f))
          .map((f) => path.join(dir, f))
      : [];
  const common = {
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    sourcemap: 'inline',
    logLevel: 'warning',
    absWorkingDir: root,
  };
  const itDir = path.join(root, 'test/integration');
  const itEntries = [path.join(itDir, 'index.ts'), ...list(path.join(itDir, 'suites'), /\.test\.ts$/)];
  fs.rmSync(path.join(root, 'out/integration'), { recursive: true, force: true });
  await esbuild.build({
    ...common,
    entryPoints: itEntries,
    outdir: path.join(root, 'out/integration'),
    outbase: itDir,
    external: ['vscode', 'mocha'],
  });
  const e2eDir = path.join(root, 'test/e2e');
  const e2eEntries = [...list(e2eDir, /^run\.ts$/), ...list(e2eDir, /\.e2e\.ts$/)];
  fs.rmSync(path.join(root, 'out/e2e'), { recursive: true, force: true });
  if (e2eEntries.length) {
    await esbuild.build({
      ...common,
      entryPoints: e2eEntries,
      outdir: path.join(root, 'out/e2e'),
      outbase: e2eDir,
      external: ['mocha', 'playwright-core', 'pngjs'],
    });
  }
  log(`compiled test suites in ${secs(t)} s`);
}

/**
 * Opens one workbench on `folder` with the suite as extensionTestsPath, waits for mocha's exit code (or the time
 * limit) and records the suite's results under `group`.
 */
async function runSuite({ cs, browser, name, group, folder, resultsDir, extensionDevelopmentPath }) {
  const t = performance.now();
  const logLines = [];
  const { page, exit } = await openWorkbench(
    browser.context,
    cs.workbenchUrl({
      folder,
      extensionDevelopmentPath,
      extensionTestsPath: path.join(root, 'out/integration/index'),
    }),
    {
      onLog: (level, msg) => logLines.push(`[${level}] ${msg}`),
      // The workbench's log already comes through codeAutomationLog; keep only the console's errors and warnings.
      onConsole: (type, text) => {
        if (type !== 'log' && type !== 'info' && type !== 'debug') logLines.push(`[console.${type}] ${text}`);
      },
    },
  );
  let timer;
  const code = await Promise.race([
    exit,
    new Promise((r) => {
      timer = setTimeout(() => r('timeout'), SUITE_TIMEOUT_MS);
    }),
  ]);
  clearTimeout(timer);
  fs.mkdirSync(artifacts, { recursive: true });
  fs.writeFileSync(path.join(artifacts, `integration-${name}.log`), logLines.join('\n'));
  if (code === 'timeout') await page.screenshot({ path: path.join(artifacts, `integration-${name}-timeout.png`) }).catch(() => {});
  await page.close().catch(() => {});
  const file = path.join(resultsDir, `${name}.json`);
  if (fs.existsSync(file)) {
    const r = JSON.parse(fs.readFileSync(file, 'utf8'));
    for (const tst of r.tests) record(group, tst.title, tst.state, { durationMs: tst.durationMs, error: tst.error });
    for (const [k, v] of Object.entries(r.metrics ?? {})) metrics[`${name}: ${k}`] = v;
    if (code !== 0 && r.failed === 0)
      record(group, 'suite exit code', 'failed', {
        error: `workbench reported exit code ${code} although no test failed; see test-artifacts/integration-${name}.log`,
      });
  } else {
    const tail = logLines
      .filter((l) => /error|fail|cannot|not found/i.test(l))
      .slice(-15)
      .join('\n');
    record(group, 'suite ran', 'failed', {
      error: `${code === 'timeout' ? `timed out after ${SUITE_TIMEOUT_MS / 1000} s` : `exit code ${code}`} and no results were written; see test-artifacts/integration-${name}.log\n${tail}`,
    });
  }
  log(`integration suite ${name}: ${secs(t)} s (exit ${code})`);
}

/** Starts a code-server (options for launchCodeServer) and a Chromium, runs `fn`, and stops both. */
async function withWorkbench(name, launchOpts, fn) {
  const cs = await launchCodeServer({ settings: testSettings, keepLogsIn: path.join(artifacts, `${name}-code-server.log`), ...launchOpts });
  let browser;
  try {
    browser = await launchChromium();
    await fn(cs, browser);
  } finally {
    await browser?.close();
    await cs.stop();
  }
}

async function runIntegration(scratch) {
  const suitesDir = path.join(root, 'test/integration/suites');
  const names = fs.existsSync(suitesDir)
    ? fs
        .readdirSync(suitesDir)
        .filter((n) => fs.statSync(path.join(suitesDir, n)).isDirectory())
        .sort()
    : [];
  if (names.length === 0) {
    record('integration', 'suites exist in test/integration/suites', 'failed', { error: 'no suite folders' });
    return;
  }
  const resultsDir = path.join(scratch, 'results');
  const env = { SELFLABEL_TEST_RESULTS_DIR: resultsDir, ...(grep ? { SELFLABEL_TEST_GREP: grep } : {}) };
  if (names.some((n) => !SPECIAL_SUITES.has(n) && wanted(n)))
    await withWorkbench('integration', { env }, async (cs, browser) => {
      for (const name of names.filter((n) => !SPECIAL_SUITES.has(n) && wanted(n))) {
        let ws;
        try {
          ws = copyFixture(name, scratch);
        } catch (e) {
          record(`integration/${name}`, 'fixture', 'failed', { error: e.message });
          continue;
        }
        await runSuite({
          cs,
          browser,
          name,
          group: `integration/${name}`,
          folder: ws,
          resultsDir,
          extensionDevelopmentPath: extensionPath,
        });
      }
    });
  if (names.includes('untrusted') && wanted('untrusted')) await runUntrusted(scratch, env, resultsDir);
}

/** The `untrusted` suite: a server with workspace trust enabled; the fixture folder opens in Restricted Mode. */
async function runUntrusted(scratch, env, resultsDir) {
  const group = 'integration/untrusted';
  try {
    const ws = copyFixture('untrusted', scratch);
    await withWorkbench('untrusted', { env, workspaceTrust: true }, (cs, browser) =>
      runSuite({ cs, browser, name: 'untrusted', group, folder: ws, resultsDir, extensionDevelopmentPath: extensionPath }),
    );
  } catch (e) {
    record(group, 'harness', 'failed', { error: e.stack ?? e.message });
  }
}

/**
 * The `packaged` suite: package the extension as users get it, install the .vsix into a fresh code-server, and run
 * the suite against the installed copy.
 */
async function runPackaged(scratch) {
  const group = 'integration/packaged';
  const dir = path.join(scratch, 'packaged');
  fs.mkdirSync(dir, { recursive: true });
  const vsix = path.join(dir, 'selflabel.vsix');
  const t = performance.now();
  const pkg = spawnSync('npm', ['run', 'package', '--', '--out', vsix], {
    cwd: extensionPath,
    encoding: 'utf8',
    timeout: PACKAGE_TIMEOUT_MS,
  });
  fs.writeFileSync(path.join(artifacts, 'package.log'), `${pkg.stdout ?? ''}\n${pkg.stderr ?? ''}`);
  // `npm run package` leaves a production (minified, no source maps) dist/: put the development build back.
  const restore = () =>
    spawnSync(process.execPath, [path.join(extensionPath, 'scripts/build.mjs')], { cwd: extensionPath, stdio: 'ignore' });
  if (pkg.status !== 0 || !fs.existsSync(vsix)) {
    restore();
    record(group, 'npm run package makes a .vsix', 'failed', {
      error: `exit ${pkg.status}${pkg.signal ? ` (${pkg.signal})` : ''}; see test-artifacts/package.log\n${(pkg.stderr ?? '').slice(-1500)}`,
    });
    return;
  }
  record(group, 'npm run package makes a .vsix', 'passed', { durationMs: Math.round(performance.now() - t) });
  metrics['packaged: .vsix KB'] = fs.statSync(vsix).size / 1024;
  log(`packaged ${path.basename(vsix)} (${(fs.statSync(vsix).size / 1024).toFixed(0)} KB) in ${secs(t)} s`);
  const resultsDir = path.join(scratch, 'results');
  const env = {
    SELFLABEL_TEST_API: '1',
    SELFLABEL_TEST_RESULTS_DIR: resultsDir,
    SELFLABEL_TEST_SUITE: 'packaged',
    ...(grep ? { SELFLABEL_TEST_GREP: grep } : {}),
  };
  try {
    // A copy of the texts fixture (no .selflabel yet), opened with the extension as installed from the .vsix.
    const ws = copyFixture('texts', dir);
    // VS Code runs extensionTestsPath only in extension development mode, so the workbench gets an EMPTY development
    // extension (another id, no code): SelfLabel itself comes from the installed .vsix.
    const probe = path.join(dir, 'test-probe-extension');
    fs.mkdirSync(probe, { recursive: true });
    fs.writeFileSync(
      path.join(probe, 'package.json'),
      JSON.stringify({ name: 'test-probe', publisher: 'selflabel-tests', version: '0.0.0', engines: { vscode: '^1.100.0' } }),
    );
    await withWorkbench('packaged', { env, installExtensions: [vsix] }, (cs, browser) =>
      runSuite({ cs, browser, name: 'packaged', group, folder: ws, resultsDir, extensionDevelopmentPath: probe }),
    );
  } catch (e) {
    record(group, 'harness (install the .vsix, start code-server)', 'failed', { error: e.stack ?? e.message });
  } finally {
    restore();
  }
}

function runE2E(scratch) {
  const entry = path.join(root, 'out/e2e/run.js');
  if (!fs.existsSync(entry)) {
    record('e2e', 'suite compiled', 'failed', { error: 'out/e2e/run.js missing (test/e2e/run.ts)' });
    return Promise.resolve();
  }
  const resultsFile = path.join(scratch, 'e2e-results.json');
  const t = performance.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--enable-source-maps', entry], {
      cwd: root,
      stdio: ['ignore', 'inherit', 'inherit'],
      env: {
        ...process.env,
        SELFLABEL_EXTENSION_PATH: extensionPath,
        SELFLABEL_E2E_RESULTS: resultsFile,
        SELFLABEL_ARTIFACTS: artifacts,
        ...(grep ? { SELFLABEL_TEST_GREP: grep } : {}),
      },
    });
    const timer = setTimeout(() => {
      log(`e2e suite still running after ${E2E_TIMEOUT_MS / 1000} s: stopping it`);
      child.kill('SIGTERM');
      setTimeout(() => child.kill('SIGKILL'), 5000).unref();
    }, E2E_TIMEOUT_MS);
    child.on('exit', (code) => {
      clearTimeout(timer);
      if (fs.existsSync(resultsFile)) {
        const r = JSON.parse(fs.readFileSync(resultsFile, 'utf8'));
        for (const tst of r.tests) record('e2e', tst.title, tst.state, { durationMs: tst.durationMs, error: tst.error });
        for (const [k, v] of Object.entries(r.metrics ?? {})) metrics[`e2e: ${k}`] = v;
        if (code !== 0 && r.failed === 0)
          record('e2e', 'suite exit code', 'failed', { error: `exit code ${code} although no test failed` });
      } else {
        record('e2e', 'suite ran', 'failed', { error: `exit code ${code}, no results written` });
      }
      log(`e2e suite: ${secs(t)} s (exit ${code})`);
      resolve();
    });
  });
}

async function main() {
  const manifest = path.join(extensionPath, 'package.json');
  if (!fs.existsSync(manifest)) {
    record('setup', 'the extension to test exists', 'failed', { error: `${manifest} not found (--extension)` });
    return summaryAndExit();
  }
  try {
    await ensureCodeServer({ log: (m) => log(`setup: ${m}`) });
  } catch (e) {
    record('setup', 'code-server and Chromium are set up', 'failed', { error: e.message });
    return summaryAndExit();
  }
  if (!flag('no-build')) {
    const t = performance.now();
    const b = spawnSync(process.execPath, [path.join(root, 'scripts/build.mjs')], { cwd: root, stdio: 'inherit' });
    if (b.status !== 0) {
      record('build', 'npm run build', 'failed', { error: `scripts/build.mjs exited with ${b.status}` });
      return summaryAndExit();
    }
    log(`built the extension in ${secs(t)} s`);
  }
  const mainFile = JSON.parse(fs.readFileSync(manifest, 'utf8')).main;
  if (!mainFile || !fs.existsSync(path.resolve(extensionPath, mainFile))) {
    record('build', 'the extension bundle exists', 'failed', {
      error: `package.json "main" (${mainFile}) not found under ${extensionPath}: build it (npm run build)`,
    });
    return summaryAndExit();
  }
  try {
    await compileSuites();
  } catch (e) {
    record('build', 'compile test suites', 'failed', { error: e.message });
    return summaryAndExit();
  }
  // Artifacts are per run: remove the previous run's logs and screenshots.
  fs.rmSync(artifacts, { recursive: true, force: true });
  fs.mkdirSync(artifacts, { recursive: true });
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'selflabel-vscode-test-'));
  try {
    if (only !== 'e2e') {
      try {
        await runIntegration(scratch);
      } catch (e) {
        record('integration', 'harness', 'failed', { error: e.stack ?? e.message });
      }
    }
    if (only !== 'integration') await runE2E(scratch);
    if (only !== 'e2e' && !flag('no-package') && wanted('packaged')) {
      try {
        await runPackaged(scratch);
      } catch (e) {
        record('integration/packaged', 'harness', 'failed', { error: e.stack ?? e.message });
      }
    }
  } finally {
    if (flag('keep')) log(`kept scratch workspaces in ${scratch}`);
    else fs.rmSync(scratch, { recursive: true, force: true, maxRetries: 3 });
  }
  summaryAndExit();
}

await main();
