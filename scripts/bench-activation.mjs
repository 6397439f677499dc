#!/usr/bin/env node
// Benchmark: how long VS Code takes to load and activate SelfLabel, cold — target < 100 ms.
//
// Builds what users run (`scripts/build.mjs --production`; the development build of dist/ is put back afterwards),
// starts one code-server and one Chromium (scripts/code-server/), then RUNS times opens two fresh workbench windows —
// each window gets its own extension host process, so every measurement is a cold start:
//  - SelfLabel loaded as the development extension, on a scratch copy of the `texts` fixture (no .selflabel, so
//    nothing activates SelfLabel before the probe does);
//  - the same with a minimal extension (scripts/bench-activation/minimal-extension: loads the vscode API, registers
//    one command): VS Code's own cost of activating any extension on this machine at this moment — the baseline.
// In each, scripts/bench-activation/probe.js (extensionTestsPath) times `ext.activate()` — VS Code requires
// dist/extension.js and calls activate() — and records whether activation loaded the engine or tfjs (it must not).
// Prints every run, the medians, the load average and the target line with PASS/MISS (on SelfLabel's own median;
// the baseline is printed beside it to tell machine load from extension cost). `--json FILE` writes the same.
// Exit code 1 if a run failed to produce a number or activation loaded the engine or tfjs; a MISS is reported, not
// an error (a benchmark reports, tests gate).
//
//   node scripts/bench-activation.mjs [--runs 7] [--json FILE] [--dev [--no-build]]   (--dev: measure the dev build)
// `npm run bench` runs it as the run named `activation` (scripts/bench.mjs).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureCodeServer } from './code-server/setup.mjs';
import { launchCodeServer } from './code-server/launch.mjs';
import { launchChromium, openWorkbench } from './code-server/browser.mjs';

const ACTIVATION_TARGET_MS = 100;

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const argv = process.argv.slice(2);
const opt = (n) => {
  const i = argv.indexOf(`--${n}`);
  return i >= 0 ? argv[i + 1] : undefined;
};
const runs = Number(opt('runs') ?? 7);
const jsonOut = opt('json');
const RUN_TIMEOUT_MS = 120_000;

const median = (xs) => {
  const v = [...xs].sort((a, b) => a - b);
  const m = v.length >> 1;
  return v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
};
const load = () => os.loadavg().map((x) => x.toFixed(2)).join(' ');

async function main() {
  if (!Number.isInteger(runs) || runs < 1) throw new Error('--runs needs a whole number ≥ 1');
  await ensureCodeServer({ log: (m) => console.log(`[activation] setup: ${m}`) });
  const production = !argv.includes('--dev');
  const build = (prod) => {
    const b = spawnSync(process.execPath, [path.join(root, 'scripts/build.mjs'), ...(prod ? ['--production'] : [])], { cwd: root, stdio: 'inherit' });
    if (b.status !== 0) throw new Error('the build failed');
  };
  if (production) build(true);
  else if (!argv.includes('--no-build')) build(false);
  const bundleBytes = Object.fromEntries(['extension.js', 'engine.js'].map((f) => [f, fs.statSync(path.join(root, 'dist', f)).size]));

  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'selflabel-bench-activation-'));
  const probe = path.join(root, 'scripts/bench-activation/probe');
  const minimal = path.join(root, 'scripts/bench-activation/minimal-extension');
  const loadBefore = load();
  console.log(`[activation] ${runs} × (SelfLabel, minimal extension) cold activations, each in a fresh workbench window; ${production ? 'production' : 'development'} build; load average ${loadBefore}`);
  const cs = await launchCodeServer();
  const browser = await launchChromium();
  const samples = { selflabel: [], minimal: [], inside: [] };
  const failures = [];
  /** One window: the extension at extensionPath activated by the probe; resolves with the probe's result or null. */
  const once = async (label, extensionPath, i) => {
    const ws = path.join(scratch, `${label}-${i}`, 'texts');
    fs.cpSync(path.join(root, 'test/fixtures/workspaces/texts'), ws, { recursive: true });
    const out = path.join(scratch, `${label}-${i}.json`);
    fs.writeFileSync(path.join(ws, 'probe.json'), JSON.stringify({ extensionPath, out }));
    const logs = [];
    const { page, exit } = await openWorkbench(browser.context, cs.workbenchUrl({ folder: ws, extensionDevelopmentPath: extensionPath, extensionTestsPath: probe }), {
      onLog: (level, msg) => logs.push(`[${level}] ${msg}`),
    });
    let timer;
    const code = await Promise.race([exit, new Promise((r) => { timer = setTimeout(() => r('timeout'), RUN_TIMEOUT_MS); })]);
    clearTimeout(timer);
    await page.close().catch(() => {});
    if (code !== 0 || !fs.existsSync(out)) {
      failures.push(`${label} run ${i}: exit ${code}; ${logs.filter((l) => /error/i.test(l)).slice(-3).join(' | ')}`);
      console.log(`[activation] ${label} run ${i}: FAILED (exit ${code})`);
      return null;
    }
    return JSON.parse(fs.readFileSync(out, 'utf8'));
  };
  try {
    for (let i = 1; i <= runs; i++) {
      // Alternate which goes first, so neither always meets a warmer file cache or a quieter machine.
      const order = i % 2 ? ['selflabel', 'minimal'] : ['minimal', 'selflabel'];
      const line = [];
      for (const which of order) {
        const r = await once(which, which === 'selflabel' ? root : minimal, i);
        if (!r) continue;
        if (which === 'selflabel') {
          if (r.engineLoaded !== false || r.tfjsLoaded !== false) failures.push(`run ${i}: activation loaded ${r.engineLoaded ? 'the engine' : ''}${r.tfjsLoaded ? ' tfjs' : ''}`);
          samples.selflabel.push(r.ms);
          if (typeof r.insideMs === 'number') samples.inside.push(r.insideMs);
          line.push(`SelfLabel ${r.ms.toFixed(1)} ms (activate() itself ${r.insideMs?.toFixed(1) ?? '?'} ms)`);
        } else {
          samples.minimal.push(r.ms);
          line.push(`minimal extension ${r.ms.toFixed(1)} ms`);
        }
      }
      console.log(`[activation] run ${i}: ${line.join(', ')}; load ${load()}`);
    }
  } finally {
    await browser.close();
    await cs.stop();
    fs.rmSync(scratch, { recursive: true, force: true, maxRetries: 3 });
    if (production) build(false);
  }
  const loadAfter = load();
  const med = (xs) => (xs.length ? median(xs) : null);
  const round = (xs) => xs.map((x) => Math.round(x * 10) / 10);
  const f = (x) => (x === null ? '—' : x.toFixed(1));
  const result = {
    build: production ? 'production' : 'development',
    runs: samples.selflabel.length,
    medianMs: med(samples.selflabel),
    samplesMs: round(samples.selflabel),
    baselineMedianMs: med(samples.minimal),
    baselineSamplesMs: round(samples.minimal),
    medianInsideActivateMs: med(samples.inside),
    targetMs: ACTIVATION_TARGET_MS,
    pass: samples.selflabel.length > 0 && median(samples.selflabel) < ACTIVATION_TARGET_MS,
    loadAverageBefore: loadBefore,
    loadAverageAfter: loadAfter,
    bundleBytes,
    failures,
  };
  console.log(`\n## VS Code activation (code-server 4.100.3, a fresh extension host per measurement, ${result.build} build)\n`);
  console.log(`SelfLabel:       ${result.samplesMs.join(', ')} ms → median ${f(result.medianMs)} ms (activate() itself: median ${f(result.medianInsideActivateMs)} ms)`);
  console.log(`minimal extension: ${result.baselineSamplesMs.join(', ')} ms → median ${f(result.baselineMedianMs)} ms (VS Code's own overhead on this machine now)`);
  console.log(`load average (1, 5, 15 min) on ${os.availableParallelism()} cores: ${loadBefore} before, ${loadAfter} after; bundles: extension.js ${bundleBytes['extension.js']} B, engine.js ${bundleBytes['engine.js']} B`);
  console.log(`\n| target | wanted | measured | |\n|---|---|---|---|\n| VS Code cold load + activate of SelfLabel, median of ${result.runs} | < ${ACTIVATION_TARGET_MS} ms | ${f(result.medianMs)} ms (minimal extension: ${f(result.baselineMedianMs)} ms) | ${result.pass ? 'PASS' : 'MISS'} |`);
  if (failures.length) console.log(`\nfailures:\n  ${failures.join('\n  ')}`);
  if (jsonOut) {
    fs.mkdirSync(path.dirname(path.resolve(jsonOut)), { recursive: true });
    fs.writeFileSync(jsonOut, JSON.stringify(result, null, 2) + '\n');
  }
  return samples.selflabel.length > 0 && failures.length === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(`[activation] error: ${err instanceof Error ? err.stack ?? err.message : String(err)}`);
    process.exit(1);
  },
);
