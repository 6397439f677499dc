/**
 * Runs the end-to-end suite (test/e2e/*.e2e.ts, compiled by scripts/vscode-test.mjs into out/e2e) with mocha in
 * plain Node. Each test file starts its own code-server + Chromium session (./harness.ts). Writes the results, with
 * the numbers tests recorded, to SELFLABEL_E2E_RESULTS (JSON) for the runner's summary; exits 1 on any failure.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import Mocha from 'mocha';

interface Outcome {
  title: string;
  state: 'passed' | 'failed' | 'pending';
  durationMs?: number;
  error?: string;
}

async function main(): Promise<void> {
  const started = Date.now();
  const files = fs
    .readdirSync(__dirname)
    .filter((f) => f.endsWith('.e2e.js'))
    .sort();
  const mocha = new Mocha({ ui: 'bdd', color: true, timeout: 120_000, reporter: 'spec', bail: false });
  if (process.env.SELFLABEL_TEST_GREP) mocha.grep(process.env.SELFLABEL_TEST_GREP);
  for (const f of files) mocha.addFile(path.join(__dirname, f));
  const tests: Outcome[] = [];
  let failed = 0;
  const g = globalThis as { __selflabelMetrics?: Record<string, number> };
  const write = (extra?: Outcome) => {
    if (!process.env.SELFLABEL_E2E_RESULTS) return;
    const all = extra ? [...tests, extra] : tests;
    const result = {
      suite: 'e2e',
      passed: all.filter((t) => t.state === 'passed').length,
      failed: all.filter((t) => t.state === 'failed').length,
      pending: all.filter((t) => t.state === 'pending').length,
      durationMs: Date.now() - started,
      tests: all,
      metrics: g.__selflabelMetrics ?? {},
    };
    fs.writeFileSync(process.env.SELFLABEL_E2E_RESULTS, JSON.stringify(result, null, 2));
  };
  // Killed by the runner's time limit: keep what finished, and say which test was running.
  let current = '';
  process.once('SIGTERM', () => {
    write({ title: current || 'e2e suite', state: 'failed', error: 'killed by the time limit while this test was running' });
    process.exit(1);
  });
  if (files.length === 0) {
    tests.push({ title: 'e2e test files exist', state: 'failed', error: `no *.e2e.js in ${__dirname}` });
    failed = 1;
  } else {
    await new Promise<void>((resolve) => {
      const runner = mocha.run(() => resolve());
      runner.on('test', (t) => (current = t.fullTitle()));
      runner.on('hook', (h) => (current = h.fullTitle()));
      runner.on('pass', (t) => tests.push({ title: t.fullTitle(), state: 'passed', durationMs: t.duration }));
      runner.on('fail', (t, err: Error) => {
        failed += 1;
        tests.push({ title: t.fullTitle(), state: 'failed', durationMs: t.duration, error: err?.stack ?? String(err) });
      });
      runner.on('pending', (t) => tests.push({ title: t.fullTitle(), state: 'pending' }));
    });
  }
  write();
  process.exit(failed > 0 ? 1 : 0);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
