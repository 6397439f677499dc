/**
 * Entry point of the integration suite: a mocha runner inside a real VS Code extension host.
 *
 * VS Code loads this module (compiled by scripts/vscode-test.mjs to out/integration/index.js) and awaits `run()`:
 * resolving means every test passed, rejecting means some failed. The same module serves
 *  - code-server (the web workbench with a remote Node extension host): its URL payload names this file as
 *    `extensionTestsPath` (scripts/vscode-test.mjs), and
 *  - desktop VS Code through @vscode/test-electron's `runTests` (test/integration/runDesktop.ts).
 *
 * Which tests run depends on the workspace folder VS Code opened: a copy of test/fixtures/workspaces/<name> runs the
 * compiled files out/integration/suites/<name>/*.test.js (override with SELFLABEL_TEST_SUITE=<name>). Results go to
 * the extension host's stdout (mocha's spec reporter) and, when SELFLABEL_TEST_RESULTS_DIR is set, to
 * `<dir>/<name>.json` ({@link SuiteResult}) so the runner can count passes and failures and show the metrics tests
 * recorded with `recordMetric` (see ./helpers.ts).
 */
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import Mocha from 'mocha';

export interface TestOutcome {
  title: string;
  state: 'passed' | 'failed' | 'pending';
  durationMs?: number;
  error?: string;
}

export interface SuiteResult {
  suite: string;
  passed: number;
  failed: number;
  pending: number;
  durationMs: number;
  tests: TestOutcome[];
  /** Numbers the tests measured (e.g. activation time), by name. */
  metrics: Record<string, number>;
}

/** The suite to run: SELFLABEL_TEST_SUITE, else the name of the opened workspace folder. */
export function suiteName(): string {
  const fromEnv = process.env.SELFLABEL_TEST_SUITE;
  if (fromEnv) return fromEnv;
  const folder = vscode.workspace.workspaceFolders?.[0];
  if (!folder) throw new Error('the integration suite needs a workspace folder (a copy of test/fixtures/workspaces/<name>)');
  return path.basename(folder.uri.fsPath);
}

function metrics(): Record<string, number> {
  const g = globalThis as { __selflabelMetrics?: Record<string, number> };
  g.__selflabelMetrics ??= {};
  return g.__selflabelMetrics;
}

export async function run(): Promise<void> {
  const started = Date.now();
  const name = suiteName();
  const dir = path.join(__dirname, 'suites', name);
  if (!fs.existsSync(dir)) throw new Error(`no integration suite for workspace "${name}" (looked for ${dir})`);
  const files = fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.test.js'))
    .sort();
  if (files.length === 0) throw new Error(`integration suite "${name}" has no *.test.js files in ${dir}`);

  const mocha = new Mocha({ ui: 'bdd', color: false, timeout: 60_000, reporter: 'spec' });
  if (process.env.SELFLABEL_TEST_GREP) mocha.grep(process.env.SELFLABEL_TEST_GREP);
  for (const f of files) mocha.addFile(path.join(dir, f));

  const result: SuiteResult = { suite: name, passed: 0, failed: 0, pending: 0, durationMs: 0, tests: [], metrics: metrics() };
  const failures = await new Promise<number>((resolve) => {
    let runner: Mocha.Runner;
    try {
      runner = mocha.run((n) => resolve(n));
    } catch (e) {
      // A test file that throws while loading: one failure with the reason, not a silent pass.
      result.failed += 1;
      result.tests.push({ title: `load ${name}`, state: 'failed', error: e instanceof Error ? (e.stack ?? e.message) : String(e) });
      resolve(1);
      return;
    }
    runner.on('pass', (t) => {
      result.passed += 1;
      result.tests.push({ title: t.fullTitle(), state: 'passed', durationMs: t.duration });
    });
    runner.on('fail', (t, err: Error) => {
      result.failed += 1;
      result.tests.push({ title: t.fullTitle(), state: 'failed', durationMs: t.duration, error: err?.stack ?? String(err) });
    });
    runner.on('pending', (t) => {
      result.pending += 1;
      result.tests.push({ title: t.fullTitle(), state: 'pending' });
    });
  });
  result.durationMs = Date.now() - started;
  const out = process.env.SELFLABEL_TEST_RESULTS_DIR;
  if (out) {
    fs.mkdirSync(out, { recursive: true });
    fs.writeFileSync(path.join(out, `${name}.json`), JSON.stringify(result, null, 2));
  }
  if (failures > 0 || result.failed > 0)
    throw new Error(`${Math.max(failures, result.failed)} integration test(s) failed in suite "${name}"`);
}
