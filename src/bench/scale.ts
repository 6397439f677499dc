/**
 * Speed at scale (issue 15 item 19), each figure as a ratio to a plain baseline measured in the same run, medians of
 * --runs runs (default 3), with the target printed beside it:
 *
 *   first scan of N small files (no scan cache)  vs  `find ROOT -type f -exec cat {} +` (reading all their bytes)
 *     target: scan ≤ 3 × baseline
 *   `status` on an E-event journal (open the workspace + replay + status, in a fresh process)
 *     vs  reading the journal and JSON.parse of each line, alone (in a fresh process)
 *     target: status ≤ 3 × baseline
 *
 * Full setting: 100,000 files, 1,000,000 events. --quick: 10,000 files, 100,000 events (targets for orientation).
 * Usage: node --import tsx src/bench/scale.ts [--quick] [--files N] [--events N] [--runs 3] [--json FILE] [--keep]
 * Run by `node scripts/bench.mjs --only scale`. Not part of `npm test`.
 */
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';

const TARGET_RATIO = 3;

function flag(argv: string[], name: string): string | undefined {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : undefined;
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const load = () =>
  os
    .loadavg()
    .map((x) => x.toFixed(1))
    .join(' ');

/** One measurement in this (fresh) process; prints {seconds, …} as JSON. */
async function child(what: string, root: string): Promise<void> {
  const { Project } = await import('../core/project');
  const { scanWorkspace } = await import('../core/dataset');
  const out: Record<string, number> = {};
  const t0 = process.hrtime.bigint();
  const secs = () => Number(process.hrtime.bigint() - t0) / 1e9;
  if (what === 'scan') {
    const cacheFile = path.join(root, '.selflabel', 'cache', `scan-bench-${process.pid}.json`);
    const r = await scanWorkspace(root, { cacheFile });
    out.seconds = secs();
    out.items = r.items.length;
    await fs.rm(cacheFile, { force: true });
  } else if (what === 'parse') {
    const text = await fs.readFile(path.join(root, '.selflabel', 'labels.jsonl'), 'utf8');
    let n = 0;
    for (const line of text.split('\n')) {
      if (line.trim() === '') continue;
      JSON.parse(line);
      n++;
    }
    out.seconds = secs();
    out.lines = n;
  } else if (what === 'status') {
    const p = await Project.open(root);
    const s = await p.status();
    out.seconds = secs();
    out.labels = Object.values(s.counts).reduce((a, b) => a + b, 0);
    out.events = p.store.events().length;
    await p.dispose();
  }
  out.maxRssMB = process.resourceUsage().maxRSS / 1024;
  process.stdout.write(JSON.stringify(out) + '\n');
}

function runChild(what: string, root: string): Record<string, number> {
  const r = spawnSync(process.execPath, ['--import', 'tsx', __filename, '--child', what, root], {
    encoding: 'utf8',
    timeout: 1_800_000,
    maxBuffer: 1 << 20,
  });
  if (r.status !== 0) throw new Error(`${what} failed: ${r.stderr.slice(-2000)}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as Record<string, number>;
}

function timeFindCat(root: string): number {
  const t0 = process.hrtime.bigint();
  const r = spawnSync('sh', ['-c', `find "${root}/files" -type f -exec cat {} + > /dev/null`], { stdio: 'ignore' });
  if (r.status !== 0) throw new Error(`find -exec cat failed (exit ${r.status})`);
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

async function makeFiles(root: string, n: number): Promise<void> {
  const old = new Date(Date.now() - 3600_000);
  for (let d = 0; d * 1000 < n; d++) {
    const dir = path.join(root, 'files', `d${String(d).padStart(3, '0')}`);
    await fs.mkdir(dir, { recursive: true });
    const batch: Promise<void>[] = [];
    for (let i = d * 1000; i < Math.min(n, (d + 1) * 1000); i++) {
      const f = path.join(dir, `f${i}.txt`);
      batch.push(fs.writeFile(f, `file ${i}: ${'some small text '.repeat(1 + (i % 8))}\n`).then(() => fs.utimes(f, old, old)));
    }
    await Promise.all(batch);
  }
}

/** A journal of `n` events over n/10 items (10 per item: labels, corrections, rejections), as the store writes them. */
export async function makeJournal(root: string, n: number): Promise<void> {
  const dir = path.join(root, '.selflabel');
  await fs.mkdir(dir, { recursive: true });
  await fs.writeFile(path.join(dir, 'classes.json'), JSON.stringify({ version: 1, classes: ['alpha', 'beta', 'gamma', 'delta'] }) + '\n');
  const fh = await fs.open(path.join(dir, 'labels.jsonl'), 'w');
  const classes = ['alpha', 'beta', 'gamma', 'delta'];
  const items = Math.max(1, Math.floor(n / 10));
  const t = Date.parse('2026-01-01T00:00:00Z');
  let chunk: string[] = [];
  for (let i = 0; i < n; i++) {
    const item = `files/d${String(Math.floor((i % items) / 1000)).padStart(3, '0')}/f${i % items}.txt`;
    const source = i % 7 === 3 ? 'rejected' : i % 5 === 0 ? 'corrected' : i % 3 === 0 ? 'accepted' : 'human';
    const e: Record<string, unknown> = {
      id: `${(t + i).toString(36)}-${(i % 1679616).toString(36).padStart(4, '0')}a1b2c3d4e5f6`,
      time: new Date(t + i).toISOString(),
      item,
      label: classes[(i * 7) % 4],
      source,
    };
    if (source === 'accepted' || source === 'rejected') {
      e.model = 'm1';
      e.confidence = 0.5 + (i % 50) / 100;
    }
    e.hash = ((i * 2654435761) >>> 0).toString(16).padStart(8, '0');
    chunk.push('\n' + JSON.stringify(e) + '\n');
    if (chunk.length >= 10_000) {
      await fh.write(chunk.join(''));
      chunk = [];
    }
  }
  await fh.write(chunk.join(''));
  await fh.close();
}

export interface ScaleTarget {
  name: string;
  op: '<=';
  value: number;
  actual: number | null;
  pass: boolean;
}

async function main(argv: string[]): Promise<number> {
  if (argv[0] === '--child') {
    await child(argv[1], argv[2]);
    return 0;
  }
  const quick = argv.includes('--quick');
  const nFiles = Number(flag(argv, 'files') ?? (quick ? 10_000 : 100_000));
  const nEvents = Number(flag(argv, 'events') ?? (quick ? 100_000 : 1_000_000));
  const runs = Number(flag(argv, 'runs') ?? 3);
  const jsonOut = flag(argv, 'json');
  const tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'selflabel-scale-'));
  const log = (s: string) => process.stderr.write(`[scale] ${s}\n`);
  const result: Record<string, unknown> = { files: nFiles, events: nEvents, runs, loadBefore: load() };
  try {
    const root = path.join(tmp, 'ws');
    let t = Date.now();
    await makeFiles(root, nFiles);
    log(`wrote ${nFiles} files in ${((Date.now() - t) / 1000).toFixed(1)} s`);
    t = Date.now();
    await makeJournal(root, nEvents);
    log(`wrote a ${nEvents}-event journal in ${((Date.now() - t) / 1000).toFixed(1)} s`);
    // Warm the page cache for both sides alike (every measurement below reads warm files).
    timeFindCat(root);
    const cat: number[] = [];
    const scan: number[] = [];
    const parse: number[] = [];
    const status: number[] = [];
    let items = 0;
    let events = 0;
    // Interleaved, so a change in the machine's load hits baseline and measurement alike.
    for (let r = 0; r < runs; r++) {
      cat.push(timeFindCat(root));
      const s = runChild('scan', root);
      scan.push(s.seconds);
      items = s.items;
      parse.push(runChild('parse', root).seconds);
      const st = runChild('status', root);
      status.push(st.seconds);
      events = st.events;
      log(
        `run ${r + 1}/${runs}: find+cat ${cat[r].toFixed(2)} s, scan ${scan[r].toFixed(2)} s; JSON.parse ${parse[r].toFixed(2)} s, status ${status[r].toFixed(2)} s (load ${load()})`,
      );
    }
    if (items !== nFiles) throw new Error(`the scan found ${items} of ${nFiles} files`);
    const scanRatio = median(scan) / median(cat);
    const statusRatio = median(status) / median(parse);
    const targets: ScaleTarget[] = [
      {
        name: `first scan of ${nFiles.toLocaleString('en')} small files, × \`find -exec cat\``,
        op: '<=',
        value: TARGET_RATIO,
        actual: scanRatio,
        pass: scanRatio <= TARGET_RATIO,
      },
      {
        name: `status on a ${nEvents.toLocaleString('en')}-event journal, × JSON.parse of its lines`,
        op: '<=',
        value: TARGET_RATIO,
        actual: statusRatio,
        pass: statusRatio <= TARGET_RATIO,
      },
    ];
    Object.assign(result, { loadAfter: load(), cat, scan, parse, status, events, targets });
    const f = (xs: number[]) => `${median(xs).toFixed(2)} s (${xs.map((x) => x.toFixed(2)).join(', ')})`;
    console.log(
      `\n## scale (${quick ? 'quick' : 'full'} setting; medians of ${runs}; load average ${result.loadBefore as string} → ${result.loadAfter as string})\n`,
    );
    console.log('| measurement | median (runs) | baseline, same run | ratio | target | |');
    console.log('|---|---:|---:|---:|---:|---|');
    console.log(
      `| first scan, ${nFiles.toLocaleString('en')} files | ${f(scan)} | find -exec cat: ${f(cat)} | ${scanRatio.toFixed(2)}× | ≤ ${TARGET_RATIO}× | ${targets[0].pass ? 'PASS' : 'MISS'} |`,
    );
    console.log(
      `| status, ${events.toLocaleString('en')}-event journal | ${f(status)} | JSON.parse of the lines: ${f(parse)} | ${statusRatio.toFixed(2)}× | ≤ ${TARGET_RATIO}× | ${targets[1].pass ? 'PASS' : 'MISS'} |`,
    );
    if (jsonOut) await fs.writeFile(jsonOut, JSON.stringify(result, null, 2) + '\n');
    return 0;
  } finally {
    if (!argv.includes('--keep')) await fs.rm(tmp, { recursive: true, force: true });
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => (process.exitCode = code),
    (e) => {
      process.stderr.write(`scale: ${(e as Error).message}\n`);
      process.exitCode = 1;
    },
  );
}
