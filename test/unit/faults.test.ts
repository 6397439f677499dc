/**
 * Fault injection (a bounded subset of scripts/stress/faults.mjs, which runs ≥ 1,000 trials):
 *
 *  - the real CLI killed with SIGKILL while labelling, compacting, accepting a batch and exporting (csv and folders),
 *    at random moments and right after its k-th file-system mutation; after each kill the store opens, every
 *    acknowledged label is there, nothing else changed but the one operation in flight, no export is half-written;
 *  - a training worker thread killed mid-job: the job rejects with a clear error, the pool runs the next job, the
 *    labels are untouched;
 *  - two processes (two VS Code windows) labelling the same items at once for a few seconds;
 *  - a full disk (a tiny tmpfs) and a read-only file system: clear errors, nothing acknowledged is lost, and the
 *    store works again once there is space.
 *
 * The tmpfs tests need root and mount(2) (they are skipped, with the reason, elsewhere).
 *
 * Last, a static check that the extension cannot be turned into a network client: no network API in src/ or
 * webview/, and none in a fresh bundle of the extension (built here with the options of scripts/build.mjs).
 */
import { test, before, after } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { build } from 'esbuild';
import { LabelStore, exportLabels, recoverInterruptedExport } from '../../src/core/store';
import { Project } from '../../src/core/project';
import { WorkerCrashedError } from '../../src/worker/pool';
import { testPool } from '../fixtures/worker';
import {
  buildRunner,
  makeSlot,
  runTrial,
  summarize,
  Timing,
  PHASES,
  type KillMode,
  type Runner,
  type TrialResult,
} from '../fixtures/stress/faultLib';
import { workerRunner } from '../../src/worker/runner';

let tmp: string;
let runner: Runner;

before(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'selflabel-faults-'));
  runner = await buildRunner(tmp);
});
after(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

test(
  'SIGKILL of the CLI while labelling, compacting, accepting and exporting loses nothing acknowledged',
  { timeout: 180_000 },
  async (t) => {
    const timing = new Timing();
    const slots = await Promise.all(
      [0, 1].map(async (j) => {
        const dir = path.join(tmp, `slot${j}`);
        await fs.mkdir(dir);
        return makeSlot(dir, 60);
      }),
    );
    // 30 trials: per phase one run to completion (it measures the run), three crash points, two timed kills.
    const plan: { phase: (typeof PHASES)[number]; mode: KillMode }[] = [];
    for (const mode of ['none', 'crashpoint', 'timed', 'crashpoint', 'timed', 'crashpoint'] as KillMode[])
      for (const phase of PHASES) plan.push({ phase, mode });
    const results: TrialResult[] = [];
    let next = 0;
    await Promise.all(
      slots.map(async (slot) => {
        while (next < plan.length) {
          const { phase, mode } = plan[next++];
          results.push(await runTrial(runner, slot, phase, mode, timing));
        }
      }),
    );
    const s = summarize(results);
    t.diagnostic(
      `${s.trials} trials, ${s.killed} SIGKILLs, ${s.acked} acknowledged operations checked, ${s.torn} torn lines, ${s.litter} temp files left beside exports`,
    );
    // A kill between the two renames of a folders swap leaves `out` missing until the next export (or
    // recoverInterruptedExport) puts the newest complete export back — tested exactly below; here it is reported.
    const known = /previous folders export is gone/;
    const knownHits = s.failures.filter((f) => f.failures.every((m) => known.test(m)));
    if (knownHits.length) t.diagnostic(`${knownHits.length} kill(s) landed inside a folders swap (restored by the next export)`);
    assert.deepEqual(
      s.failures.filter((f) => !knownHits.includes(f)),
      [],
    );
    assert.ok(s.killed >= 10, `only ${s.killed} of the trials were killed mid-run`);
    assert.ok(s.acked >= 20, 'the CLI made progress between kills');
  },
);

test(
  'SIGKILL between the two renames that swap in a new folders export loses nothing, and the next export puts a complete one back',
  { timeout: 120_000 },
  async () => {
    const dir = path.join(tmp, 'swap');
    await fs.mkdir(dir);
    const slot = await makeSlot(dir, 8);
    const store = await LabelStore.open(slot.root);
    for (const [i, item] of slot.items.entries()) await store.record({ item, label: slot.classes[i % 3], source: 'human' });
    const out = path.join(dir, 'export');
    const run = (crashAt?: number) => {
      const spec = { mode: 'once', argv: ['export', '--workspace', slot.root, '--json', '--quiet', '--format', 'folders', '--out', out] };
      const env = { ...process.env, SELFLABEL_CRASH_AT: crashAt ? String(crashAt) : '' };
      const r = spawnSync(runner.cmd, [...runner.args, JSON.stringify(spec)], { encoding: 'utf8', env, timeout: 60_000 });
      return { signal: r.signal, ops: Number(/^OPS (\d+)$/m.exec(r.stdout)?.[1] ?? 0) };
    };
    run(); // the first export
    const { ops } = run(); // a second one replaces it: count its file-system mutations
    const before = (await fs.readdir(out)).sort();
    const r = run(ops - 3);
    assert.equal(r.signal, 'SIGKILL');
    // Killed between rename(out → old) and rename(staging → out): both complete folders are still on disk.
    const siblings = (await fs.readdir(dir)).filter((n) => n.startsWith('export.') && n.endsWith('.tmp'));
    const complete = [];
    for (const n of siblings) if ((await fs.readdir(path.join(dir, n))).sort().join() === before.join()) complete.push(n);
    assert.ok(complete.length >= 1, `a complete export survives the kill (found ${siblings.join(', ')})`);
    // The next export (any process) restores a complete export at out and removes the leftovers.
    const again = run();
    assert.equal(again.signal, null);
    assert.deepEqual((await fs.readdir(out)).sort(), before, 'a complete export is back at its place');
    assert.deepEqual(
      (await fs.readdir(dir)).filter((n) => n.endsWith('.tmp')),
      [],
      'no temp folders left behind',
    );
    // And recovery alone (no new export) also puts the newest complete export back.
    const r2 = run(ops - 3);
    assert.equal(r2.signal, 'SIGKILL');
    await recoverInterruptedExport(out);
    assert.deepEqual((await fs.readdir(out)).sort(), before);
    assert.deepEqual(
      (await fs.readdir(dir)).filter((n) => n.endsWith('.tmp')),
      [],
    );
  },
);

test(
  'a training worker killed mid-job: the job fails with a clear error, the pool recovers, labels untouched',
  { timeout: 120_000 },
  async () => {
    const root = path.join(tmp, 'worker');
    await fs.mkdir(root);
    const store = await LabelStore.open(root, { create: true });
    await store.setClasses(['a', 'b']);
    for (let i = 0; i < 5; i++) await store.record({ item: `x${i}.png`, label: i % 2 ? 'a' : 'b', source: 'human' });
    const journal = await fs.readFile(store.journalPath);
    const logs: string[] = [];
    const pool = testPool({ size: 1, backend: 'cpu', log: (m) => logs.push(m) });
    try {
      let killed = false;
      const job = pool.run(
        'selfTest',
        { steps: 1000, batch: 8 },
        {
          onProgress: (p) => {
            if (killed || p.done < 2) return;
            killed = true;
            // What an external kill of the thread looks like to the pool (no cooperation from the job).
            const slots = (pool as unknown as { slots: { worker?: { terminate(): Promise<number> } }[] }).slots;
            void slots[0].worker?.terminate();
          },
        },
      );
      await assert.rejects(job, (e: Error) => {
        assert.ok(e instanceof WorkerCrashedError, `${e.name}: ${e.message}`);
        assert.match(e.message, /worker 0 exited with code \d+ while running job "selfTest"/);
        return true;
      });
      assert.ok(killed);
      const again = await pool.run('selfTest', { steps: 2, batch: 4 });
      assert.equal(again.losses.length, 2);
    } finally {
      await pool.dispose();
    }
    assert.deepEqual(await fs.readFile(store.journalPath), journal, 'the journal did not change');
    const reopened = await LabelStore.open(root);
    assert.equal(reopened.current().size, 5);
    assert.deepEqual(reopened.warnings, []);
  },
);

test(
  'two processes labelling the same items at once: journal parses, every acknowledged event is there',
  { timeout: 120_000 },
  async (t) => {
    const dir = path.join(tmp, 'two');
    await fs.mkdir(dir);
    const slot = await makeSlot(dir, 20);
    const spawnLoop = () => {
      const child = spawn(
        runner.cmd,
        [...runner.args, JSON.stringify({ mode: 'label-loop', root: slot.root, items: slot.items, classes: slot.classes, max: 100_000 })],
        {
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      const lines: string[] = [];
      let buf = '';
      child.stdout.on('data', (d: Buffer) => {
        buf += d.toString();
        const parts = buf.split('\n');
        buf = parts.pop()!;
        lines.push(...parts);
      });
      const exited = new Promise<void>((r) => child.on('close', () => r()));
      return { child, lines, exited };
    };
    const a = spawnLoop();
    const b = spawnLoop();
    const t0 = Date.now();
    while (!(a.lines.includes('READY') && b.lines.includes('READY'))) {
      if (Date.now() - t0 > 60_000) throw new Error('writers did not start');
      await new Promise((r) => setTimeout(r, 20));
    }
    await new Promise((r) => setTimeout(r, 3000));
    a.child.kill('SIGKILL');
    b.child.kill('SIGKILL');
    await Promise.all([a.exited, b.exited]);
    const acks = [a, b].map((w) =>
      w.lines.filter((l) => l.startsWith('ACK ')).map((l) => JSON.parse(l.slice(4)) as { id: string; item: string; label: string }),
    );
    const fails = [a, b].flatMap((w) => w.lines.filter((l) => l.startsWith('FAIL ')));
    assert.deepEqual(fails, []);
    const store = await LabelStore.open(slot.root);
    assert.deepEqual(store.warnings, []);
    const ids = new Set(store.events().map((e) => e.id));
    for (const list of acks) for (const e of list) assert.ok(ids.has(e.id), `acknowledged ${e.id} missing`);
    const total = acks[0].length + acks[1].length;
    assert.ok(
      store.events().length >= total && store.events().length <= total + 2,
      `${store.events().length} events for ${total} acknowledged`,
    );
    // Each item's label is the one of its last event in the journal.
    const last = new Map<string, string>();
    for (const e of store.events()) last.set(e.item, e.id);
    for (const [item, id] of last) assert.equal(store.get(item)?.eventId, id);
    t.diagnostic(`${acks[0].length} + ${acks[1].length} labels acknowledged by two processes in 3 s`);
    assert.ok(acks[0].length > 0 && acks[1].length > 0, 'both writers made progress');
  },
);

// ───────────────────────────── full disk, read-only file system ─────────────────────────────

function mountTmpfs(dir: string, size: string): string | undefined {
  if (process.platform !== 'linux' || process.getuid?.() !== 0) return 'needs root on Linux to mount a tmpfs';
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir], { encoding: 'utf8' });
  return r.status === 0 ? undefined : `mount failed: ${r.stderr.trim()}`;
}
function umount(dir: string): void {
  spawnSync('umount', [dir]);
}

test(
  'disk full (a 256 KB tmpfs): a clear error, no acknowledged label lost, writes work again once there is space',
  { timeout: 60_000 },
  async (t) => {
    const mnt = path.join(tmp, 'full');
    await fs.mkdir(mnt);
    const why = mountTmpfs(mnt, '256k');
    if (why) return t.skip(why);
    try {
      const root = path.join(mnt, 'ws');
      await fs.mkdir(root);
      await fs.writeFile(path.join(root, 'a.txt'), 'hello');
      const store = await LabelStore.open(root, { create: true });
      await store.setClasses(['a', 'b']);
      const acked: string[] = [];
      for (let i = 0; i < 10; i++) acked.push((await store.record({ item: `i${i}.txt`, label: 'a', source: 'human' })).id);
      // Fill the file system.
      const filler = path.join(mnt, 'filler');
      const fh = await fs.open(filler, 'w');
      try {
        const chunk = Buffer.alloc(4096, 120);
        for (;;) await fh.write(chunk);
      } catch (e) {
        assert.equal((e as NodeJS.ErrnoException).code, 'ENOSPC');
      } finally {
        await fh.close();
      }
      // Keep labelling until the journal cannot grow any more: that write fails with a clear error.
      let error: Error | undefined;
      for (let i = 10; i < 400 && !error; i++) {
        try {
          acked.push((await store.record({ item: `i${i}.txt`, label: 'b', source: 'human', hash: 'f'.repeat(32) })).id);
        } catch (e) {
          error = e as Error;
        }
      }
      assert.ok(error, 'a write on a full disk fails');
      assert.match(error.message, /^cannot write label: disk full \(/);
      // Compaction and export on the full disk: clear errors, the journal and an earlier export are intact.
      const journalBefore = await fs.readFile(store.journalPath);
      await assert.rejects(store.compact(), /cannot compact labels: disk full/);
      assert.deepEqual(await fs.readFile(store.journalPath), journalBefore);
      await assert.rejects(exportLabels(store, { format: 'csv', out: path.join(mnt, 'out.csv'), root }), /cannot export labels: disk full/);
      await assert.rejects(fs.stat(path.join(mnt, 'out.csv')), /ENOENT/);
      const leftovers = (await fs.readdir(mnt)).filter((f) => f.endsWith('.tmp'));
      assert.deepEqual(leftovers, [], 'no temp files left behind');
      // Every acknowledged label is there (a torn unacknowledged line may be skipped with a warning).
      let reopened = await LabelStore.open(root);
      const ids = new Set(reopened.events().map((e) => e.id));
      assert.deepEqual(
        acked.filter((id) => !ids.has(id)),
        [],
      );
      for (const w of reopened.warnings) assert.match(w, /incomplete|not valid JSON/);
      // Free space: labelling works again, and nothing was lost.
      await fs.rm(filler);
      const after1 = await reopened.record({ item: 'after.txt', label: 'a', source: 'human' });
      await reopened.compact();
      reopened = await LabelStore.open(root);
      for (const id of [...acked, after1.id])
        assert.ok(
          reopened.events().some((e) => e.id === id),
          `event ${id} kept by compaction`,
        );
      assert.deepEqual(reopened.warnings, []);
      t.diagnostic(`${acked.length} labels acknowledged before the disk was full; error: ${error.message}`);
    } finally {
      umount(mnt);
    }
  },
);

test('read-only file system: the workspace opens, writes fail with a clear error, labels intact', { timeout: 60_000 }, async (t) => {
  const mnt = path.join(tmp, 'ro');
  await fs.mkdir(mnt);
  const why = mountTmpfs(mnt, '1m');
  if (why) return t.skip(why);
  try {
    const root = path.join(mnt, 'ws');
    await fs.mkdir(root);
    for (const n of ['a', 'b', 'c']) await fs.writeFile(path.join(root, `${n}.txt`), `text ${n}`);
    const p0 = await Project.init(root, ['pos', 'neg'], {}, { runner: workerRunner });
    await p0.scan();
    await p0.label('a.txt', 'pos');
    await p0.exportLabels({ format: 'csv', out: path.join(mnt, 'labels.csv') });
    await p0.dispose();
    const csv = await fs.readFile(path.join(mnt, 'labels.csv'), 'utf8');
    const journal = await fs.readFile(path.join(root, '.selflabel', 'labels.jsonl'));
    assert.equal(spawnSync('mount', ['-o', 'remount,ro', mnt]).status, 0);
    try {
      const p = await Project.open(root, {}, { runner: workerRunner });
      assert.equal(p.labelOf('a.txt')?.label, 'pos');
      await assert.rejects(p.label('b.txt', 'neg'), /^Error: cannot write label: read-only file system \(/);
      await assert.rejects(p.undo(), /read-only file system/);
      await assert.rejects(p.store.compact(), /read-only file system/);
      await assert.rejects(
        p.exportLabels({ format: 'csv', out: path.join(mnt, 'labels.csv') }),
        /cannot export labels: read-only file system/,
      );
      const st = await p.status();
      assert.equal(st.labelled, 1);
      await p.dispose();
    } finally {
      assert.equal(spawnSync('mount', ['-o', 'remount,rw', mnt]).status, 0);
    }
    assert.equal(await fs.readFile(path.join(mnt, 'labels.csv'), 'utf8'), csv);
    assert.deepEqual(await fs.readFile(path.join(root, '.selflabel', 'labels.jsonl')), journal);
    const p2 = await Project.open(root, {}, { runner: workerRunner });
    await p2.label('b.txt', 'neg');
    assert.equal(p2.store.current().size, 2);
    await p2.dispose();
  } finally {
    umount(mnt);
  }
});

test('read-only file system: a folders export says "read-only file system"', { timeout: 60_000 }, async (t) => {
  const mnt = path.join(tmp, 'ro2');
  await fs.mkdir(mnt);
  const why = mountTmpfs(mnt, '1m');
  if (why) return t.skip(why);
  try {
    const root = path.join(mnt, 'ws');
    await fs.mkdir(root);
    await fs.writeFile(path.join(root, 'a.txt'), 'text a');
    const store = await LabelStore.open(root, { create: true });
    await store.setClasses(['pos', 'neg']);
    await store.record({ item: 'a.txt', label: 'pos', source: 'human' });
    assert.equal(spawnSync('mount', ['-o', 'remount,ro', mnt]).status, 0);
    await assert.rejects(
      exportLabels(store, { format: 'folders', out: path.join(mnt, 'folders'), root }),
      /cannot export labels: read-only file system/,
    );
  } finally {
    umount(mnt);
  }
});

// ───────────────────────────── no network ─────────────────────────────

const NETWORK =
  /\brequire\(\s*["'](?:node:)?(?:http|https|http2|net|tls|dgram|dns)["']\s*\)|\bfrom\s+["'](?:node:)?(?:http|https|http2|net|tls|dgram|dns)["']|\bfetch\s*\(|\bnew\s+WebSocket\b|\bnew\s+XMLHttpRequest\b|\bnavigator\.sendBeacon\b|\bnew\s+EventSource\b/g;

async function sourceFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await fs.readdir(dir, { withFileTypes: true }).catch(() => [])) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...(await sourceFiles(p)));
    else if (/\.(ts|tsx|js|mjs|html)$/.test(e.name)) out.push(p);
  }
  return out;
}

test('no network API in the source, nor in the bundled extension', { timeout: 120_000 }, async (t) => {
  const repo = path.resolve(__dirname, '../..');
  const hits: string[] = [];
  for (const f of [...(await sourceFiles(path.join(repo, 'src'))), ...(await sourceFiles(path.join(repo, 'webview')))]) {
    const text = await fs.readFile(f, 'utf8');
    for (const m of text.matchAll(NETWORK)) hits.push(`${path.relative(repo, f)}: ${m[0]}`);
  }
  assert.deepEqual(hits, [], 'network APIs in src/ or webview/');
  const outfile = path.join(tmp, 'extension.js');
  await build({
    entryPoints: [path.join(repo, 'src/extension/extension.ts')],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    outfile,
    external: ['vscode', '@tensorflow/tfjs-node'],
    // As scripts/build.mjs: the modalities' worker faces (tfjs) are bundled into the training worker only.
    plugins: [(await import(path.join(repo, 'scripts', 'worker-faces.mjs'))).workerFacesInWorkerOnly],
    logLevel: 'silent',
  });
  const bundle = await fs.readFile(outfile, 'utf8');
  const found = [...bundle.matchAll(NETWORK)].map((m) => m[0]);
  // jpeg-js ships an unused browser helper, JpegImage.prototype.load(url), built on XMLHttpRequest: it is never
  // called (SelfLabel decodes bytes it read from disk), and XMLHttpRequest does not exist in the extension host.
  const xhr = bundle.match(/load: function load\(\w+\) \{\s*var xhr = new XMLHttpRequest\(\);/g)?.length ?? 0;
  assert.deepEqual(
    found.filter((f) => !/XMLHttpRequest/.test(f)),
    [],
    'network APIs in the extension bundle',
  );
  assert.equal(found.length, xhr, "the only XMLHttpRequest is jpeg-js's unused loader");
  t.diagnostic(
    `extension bundle: ${(bundle.length / 1024).toFixed(0)} KB, no network module; ${xhr} unused XMLHttpRequest loader (jpeg-js)`,
  );
});
