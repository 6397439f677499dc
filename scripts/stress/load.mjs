// Load test (not part of `npm test`): a workspace of 100,000 tiny files and a label journal of 100,000 events.
// Measures, as medians of --runs runs (each in a fresh child process, so peak memory is its own):
//   - scan: first scan (no cache) and rescan (unchanged files, cache hit): seconds, items/s, peak RSS
//   - Project.open on the scanned workspace (reads the 100,000-item index and replays the journal)
//   - label store: replay (LabelStore.open) of 100,000 events, refresh() picking up 1 new event, compaction
// The machine is shared: figures are noisy; the load average is printed with them.
//
// Usage: node --import tsx scripts/stress/load.mjs [--files 100000] [--events 100000] [--runs 3] [--json FILE]
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const self = fileURLToPath(import.meta.url);
const flag = (name, def) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : def;
};

// ───────────── child mode: one measurement, printed as JSON ─────────────
if (process.argv[2] === '--child') {
  const [, , , what, root] = process.argv;
  // Modules are imported first: the timings below cover the work only, not loading (and compiling) the code.
  const { Project } = await import('../../src/core/project.ts');
  const { LabelStore } = await import('../../src/core/store/index.ts');
  const t0 = process.hrtime.bigint();
  const secs = () => Number(process.hrtime.bigint() - t0) / 1e9;
  const out = {};
  if (what === 'scan') {
    const p = await Project.open(root);
    const t1 = process.hrtime.bigint();
    const r = await p.scan();
    out.seconds = Number(process.hrtime.bigint() - t1) / 1e9;
    out.items = r.items;
    out.skipped = r.skipped.length;
    await p.dispose();
  } else if (what === 'open') {
    const p = await Project.open(root);
    out.seconds = secs();
    out.items = p.getItems().length;
    out.labels = p.store.current().size;
    await p.dispose();
  } else if (what === 'replay') {
    const s = await LabelStore.open(root);
    out.seconds = secs();
    out.events = s.events().length;
    out.labels = s.current().size;
  }
  out.maxRssMB = process.resourceUsage().maxRSS / 1024;
  process.stdout.write(JSON.stringify(out) + '\n');
  process.exit(0);
}

// ───────────── parent ─────────────
const nFiles = Number(flag('files', 100_000));
const nEvents = Number(flag('events', 100_000));
const runs = Number(flag('runs', 3));
const jsonOut = flag('json', undefined);

function child(what, root) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', self, '--child', what, root], {
    encoding: 'utf8',
    timeout: 600_000,
    maxBuffer: 1 << 20,
  });
  if (r.status !== 0) throw new Error(`child ${what} failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop());
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const load = () =>
  os
    .loadavg()
    .map((x) => x.toFixed(1))
    .join(' ');

const { LabelStore } = await import('../../src/core/store/index.ts');
const { Project } = await import('../../src/core/project.ts');
const tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'selflabel-load-'));
const rows = [];
const result = { files: nFiles, events: nEvents, runs, loadBefore: load() };
try {
  // 1. The workspace: nFiles tiny text files in folders of 1,000.
  const root = path.join(tmp, 'ws');
  let t = Date.now();
  for (let d = 0; d * 1000 < nFiles; d++) {
    const dir = path.join(root, `d${String(d).padStart(3, '0')}`);
    await fs.mkdir(dir, { recursive: true });
    const jobs = [];
    for (let i = d * 1000; i < Math.min(nFiles, (d + 1) * 1000); i++)
      jobs.push(fs.writeFile(path.join(dir, `f${i}.txt`), `item ${i} ${i % 7 === 0 ? 'spam' : 'ham'}\n`));
    await Promise.all(jobs);
  }
  result.createSeconds = (Date.now() - t) / 1000;
  const p0 = await Project.init(root, ['spam', 'ham']);
  await p0.dispose();
  console.error(`created ${nFiles} files in ${result.createSeconds.toFixed(1)} s`);

  // 2. Scans: first (cache removed) and rescan (cache kept), each in its own process.
  const first = [];
  const again = [];
  for (let r = 0; r < runs; r++) {
    await fs.rm(path.join(root, '.selflabel', 'cache'), { recursive: true, force: true });
    first.push(child('scan', root));
    again.push(child('scan', root));
    console.error(`scan run ${r + 1}: first ${first[r].seconds.toFixed(2)} s, rescan ${again[r].seconds.toFixed(2)} s`);
  }
  if (first.some((x) => x.items !== nFiles)) throw new Error(`scan found ${first.map((x) => x.items)} items, ${nFiles} expected`);
  const row = (name, xs, n, unit) => {
    const s = median(xs.map((x) => x.seconds));
    rows.push({
      name,
      seconds: s,
      rate: n / s,
      unit,
      maxRssMB: median(xs.map((x) => x.maxRssMB)),
      all: xs.map((x) => +x.seconds.toFixed(3)),
    });
  };
  row(`scan ${nFiles} files (first, no cache)`, first, nFiles, 'files/s');
  row(`rescan ${nFiles} files (unchanged)`, again, nFiles, 'files/s');

  // 3. The journal: nEvents events (batches of 1,000, a mix of labels and rejections over the scanned items).
  const store = await LabelStore.open(root);
  t = Date.now();
  const classes = ['spam', 'ham'];
  for (let w = 0; w < nEvents; w += 1000) {
    const batch = [];
    for (let j = w; j < Math.min(nEvents, w + 1000); j++) {
      const item = `d${String(Math.floor((j % nFiles) / 1000)).padStart(3, '0')}/f${j % nFiles}.txt`;
      batch.push(
        j % 9 === 0
          ? { item, label: classes[(j + 1) % 2], source: 'rejected', model: 'm1', confidence: 0.4 }
          : { item, label: classes[j % 2], source: 'accepted', model: 'm1', confidence: 0.97, hash: 'abcdef0123456789abcdef0123456789' },
      );
    }
    await store.recordMany(batch);
  }
  result.journalWriteSeconds = (Date.now() - t) / 1000;
  result.journalMB = (await fs.stat(store.journalPath)).size / 1024 / 1024;
  const replays = [];
  const opens = [];
  for (let r = 0; r < runs; r++) {
    replays.push(child('replay', root));
    opens.push(child('open', root));
  }
  row(`replay journal of ${nEvents} events (LabelStore.open)`, replays, nEvents, 'events/s');
  row(`Project.open (${nFiles}-item index + journal)`, opens, nFiles, 'items/s');
  const refresh = [];
  for (let r = 0; r < Math.max(runs, 5); r++) {
    const other = await LabelStore.open(root);
    await store.record({ item: 'd000/f1.txt', label: 'spam', source: 'human' });
    const t1 = process.hrtime.bigint();
    await other.refresh();
    refresh.push({ seconds: Number(process.hrtime.bigint() - t1) / 1e9, maxRssMB: NaN });
  }
  row(`refresh() picking up 1 new event (${result.journalMB.toFixed(1)} MB journal)`, refresh, 1, 'events/s');
  t = Date.now();
  await store.compact();
  rows.push({ name: 'compact() the journal', seconds: (Date.now() - t) / 1000, rate: NaN, unit: '', maxRssMB: NaN, all: [] });
  result.eventsAfterCompaction = store.events().length;
  result.loadAfter = load();

  console.log(
    `load test: ${nFiles} files, ${nEvents} journal events, median of ${runs} runs; load average before ${result.loadBefore}, after ${result.loadAfter} (2 cores, shared machine)`,
  );
  console.log(
    `workspace created in ${result.createSeconds.toFixed(1)} s; journal written in ${result.journalWriteSeconds.toFixed(1)} s (${result.journalMB.toFixed(1)} MB); ${result.eventsAfterCompaction} events after compaction`,
  );
  console.log('| measurement | median s | rate | peak RSS MB | runs (s) |');
  console.log('|---|---:|---:|---:|---|');
  for (const r of rows) {
    const rate = Number.isFinite(r.rate) ? `${Math.round(r.rate).toLocaleString('en-US')} ${r.unit}` : '';
    const rss = Number.isFinite(r.maxRssMB) ? r.maxRssMB.toFixed(0) : '';
    console.log(
      `| ${r.name} | ${r.seconds < 0.1 ? r.seconds.toFixed(4) : r.seconds.toFixed(2)} | ${rate} | ${rss} | ${r.all.join(', ')} |`,
    );
  }
  if (jsonOut) await fs.writeFile(jsonOut, JSON.stringify({ ...result, rows }, null, 2));
} finally {
  await fs.rm(tmp, { recursive: true, force: true });
}
