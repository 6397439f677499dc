/**
 * Crash safety of the label store: child processes (test/fixtures/storeWriter.ts) record labels in a loop and print
 * each acknowledged event id; we SIGKILL them at random moments (some during a compaction, some while two of them
 * write at once), then reopen the store: it opens, every acknowledged id is there, and at most the one in-flight
 * event per child beyond those is present.
 *
 * The fixture is bundled once with esbuild so each child starts in ~0.1 s instead of ~1 s under tsx; the code that
 * runs is the same TypeScript source.
 */
import { test, before, after } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { build } from 'esbuild';
import { LabelStore } from '../../src/core/store';

const FIXTURE = path.join(__dirname, '..', 'fixtures', 'storeWriter.ts');
let tmp: string;
let runner: { cmd: string; args: string[] };

before(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'selflabel-crash-'));
  const bundle = path.join(tmp, 'storeWriter.js');
  try {
    await build({
      entryPoints: [FIXTURE],
      bundle: true,
      platform: 'node',
      format: 'cjs',
      target: 'node20',
      outfile: bundle,
      logLevel: 'silent',
    });
    runner = { cmd: process.execPath, args: [bundle] };
  } catch {
    runner = { cmd: process.execPath, args: ['--import', 'tsx', FIXTURE] };
  }
});
after(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

interface Child {
  proc: ChildProcess;
  tag: string;
  acked: string[];
  /** markers seen: 'C' compaction started, 'c' finished */
  markers: string[];
  ready: Promise<void>;
  exited: Promise<void>;
  stderr: string[];
}

function startWriter(root: string, tag: string, compactEvery: number): Child {
  const proc = spawn(runner.cmd, [...runner.args, root, tag, String(compactEvery)], { stdio: ['ignore', 'pipe', 'pipe'] });
  const child: Child = { proc, tag, acked: [], markers: [], stderr: [], ready: undefined!, exited: undefined! };
  let buf = '';
  let onReady: () => void;
  child.ready = new Promise((r) => (onReady = r));
  proc.stdout!.on('data', (d: Buffer) => {
    buf += d.toString();
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      if (line === 'ready') onReady();
      else if (line === 'C' || line === 'c') child.markers.push(line);
      else if (line) child.acked.push(line);
    }
  });
  proc.stderr!.on('data', (d: Buffer) => child.stderr.push(d.toString()));
  child.exited = new Promise((r) => proc.on('exit', () => r()));
  return child;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Waits until the child printed `n` more acknowledgements or a given marker, with a timeout. */
async function waitFor(pred: () => boolean, timeoutMs = 10_000): Promise<void> {
  const t0 = Date.now();
  while (!pred()) {
    if (Date.now() - t0 > timeoutMs) throw new Error('timed out waiting for the writer');
    await sleep(2);
  }
}

async function check(root: string, children: Child[]): Promise<void> {
  const store = await LabelStore.open(root); // must not throw
  assert.deepEqual(store.warnings, [], 'no unreadable lines after SIGKILL');
  const ids = new Set(store.events().map((e) => e.id));
  for (const c of children) {
    const missing = c.acked.filter((id) => !ids.has(id));
    assert.deepEqual(missing, [], `writer ${c.tag}: acknowledged events missing (stderr: ${c.stderr.join('')})`);
    const mine = store.events().filter((e) => e.item.startsWith(`${c.tag}-`)).length;
    assert.ok(mine >= c.acked.length && mine <= c.acked.length + 1, `writer ${c.tag}: ${mine} events for ${c.acked.length} acknowledged`);
  }
}

test('SIGKILL at random moments (also during compaction) never loses an acknowledged label', async (t) => {
  const root = path.join(tmp, 'single');
  await fs.mkdir(root);
  const s = await LabelStore.open(root, { create: true });
  await s.setClasses(['a', 'b']);
  let duringCompaction = 0;
  let totalAcked = 0;
  for (let round = 0; round < 20; round++) {
    const aimAtCompaction = round % 3 === 2;
    const child = startWriter(root, `r${round}`, aimAtCompaction ? 4 : round % 3 === 1 ? 9 : 0);
    await child.ready;
    if (aimAtCompaction) {
      await waitFor(() => child.markers.includes('C'));
      await sleep(Math.random() * 4);
    } else {
      await sleep(5 + Math.random() * 120);
    }
    child.proc.kill('SIGKILL');
    await child.exited;
    if (child.markers.at(-1) === 'C') duringCompaction++;
    totalAcked += child.acked.length;
    await check(root, [child]);
  }
  t.diagnostic(`20 kills, ${duringCompaction} of them inside a compaction, ${totalAcked} acknowledged events checked`);
  assert.ok(totalAcked > 20, 'the writers made progress');
  // The next compaction cleans up what killed compactions left behind.
  const final = await LabelStore.open(root);
  await final.compact();
  const left = (await fs.readdir(path.join(root, '.selflabel'))).filter((f) => f.endsWith('.tmp') || f.startsWith('labels.lock'));
  assert.deepEqual(left, []);
  await check(root, []);
});

test('two writers at once, both compacting, killed together: nothing acknowledged is lost', async (t) => {
  const root = path.join(tmp, 'double');
  await fs.mkdir(root);
  const s = await LabelStore.open(root, { create: true });
  await s.setClasses(['a', 'b']);
  let acked = 0;
  const all: Child[] = [];
  for (let round = 0; round < 4; round++) {
    const kids = [startWriter(root, `x${round}`, 6), startWriter(root, `y${round}`, 7)];
    await Promise.all(kids.map((k) => k.ready));
    await sleep(80 + Math.random() * 200);
    for (const k of kids) k.proc.kill('SIGKILL');
    await Promise.all(kids.map((k) => k.exited));
    all.push(...kids);
    acked += kids.reduce((n, k) => n + k.acked.length, 0);
    await check(root, all);
  }
  t.diagnostic(`${acked} acknowledged events from 8 writers checked`);
});
