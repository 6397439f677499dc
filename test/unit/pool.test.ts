/**
 * The worker pool with real worker threads running real tfjs (the 'selfTest' job trains a tiny conv net), and the
 * host↔worker protocol: concurrency on two workers, progress, cancellation (cooperative, queued, and a job that
 * ignores it and gets its thread terminated), crash recovery (exit, uncaught error, unhandled rejection), malformed
 * messages dropped at both ends, SharedArrayBuffer sharing, transfers, and a responsive main event loop.
 */
import { after, before, test as nodeTest } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import type { Progress } from '../../src/core/types';
import { deserializeError, isFromWorkerMessage, isToWorkerMessage, isWorkerMessage, serializeError } from '../../src/protocol/worker';
import { hasShape, isArrayOf, isFiniteNumber, isNullable, isOneOf, isOptional, isString } from '../../src/protocol/validate';
import { WorkerCrashedError, WorkerPool } from '../../src/worker/pool';
import { resolveWorkerScript } from '../../src/worker/workerPath';
import type { JobMap } from '../../src/protocol/jobs';
import type { SleepResult } from '../fixtures/worker';
import { testPool, testWorkerScript, type TestPoolJobs } from '../fixtures/worker';

/**
 * Every test gets a timeout: a pool bug must fail the test, not hang the suite. Generous, because worker start-up
 * (tsx + tfjs + wasm, ~2 s idle) can take many times longer on a loaded CI machine. For the same reason the timing
 * assertions below only bound what they prove (e.g. "stopped by itself, before the kill timeout"), not speed.
 */
const test = (name: string, fn: () => void | Promise<void>) => nodeTest(name, { timeout: 180_000 }, fn);

const logs: string[] = [];
let pool: WorkerPool<TestPoolJobs>;

before(async () => {
  pool = testPool({ size: 2, backend: 'auto', log: (m) => logs.push(m) });
});

after(async () => {
  await pool.dispose();
});

const overlap = (a: { startedAt: number; endedAt: number }, b: { startedAt: number; endedAt: number }) =>
  a.startedAt < b.endedAt && b.startedAt < a.endedAt;

// ------------------------------------------------------------------------------------------------ protocol

test('isWorkerMessage accepts every well-formed message and rejects malformed ones', () => {
  const good = [
    { type: 'run', id: 1, job: 'selfTest', params: { steps: 2 } },
    { type: 'run', id: 0, job: 'x', params: undefined },
    { type: 'cancel', id: 3 },
    { type: 'ready', backend: { name: 'wasm', simd: true, reason: 'tensorflow: not installed' } },
    { type: 'progress', id: 2, progress: { stage: 'pretrain', done: 3, total: 10, loss: 0.5 } },
    { type: 'result', id: 2, result: null },
    { type: 'error', id: 2, error: { message: 'boom', name: 'Error', stack: 'at x' } },
    { type: 'error', id: null, error: { message: 'init failed', name: 'Error' } },
  ];
  for (const m of good) assert.ok(isWorkerMessage(m), JSON.stringify(m));
  assert.ok(isToWorkerMessage(good[0]) && !isFromWorkerMessage(good[0]));
  assert.ok(isFromWorkerMessage(good[3]) && !isToWorkerMessage(good[3]));
  const bad = [
    null,
    42,
    'run',
    [],
    {},
    { type: 'run', id: 1, job: 'x' }, // no params key
    { type: 'run', id: -1, job: 'x', params: 1 },
    { type: 'run', id: 1.5, job: 'x', params: 1 },
    { type: 'run', id: 1, job: '', params: 1 },
    { type: 'cancel', id: '1' },
    { type: 'ready', backend: { name: 'gpu' } },
    { type: 'ready' },
    { type: 'progress', id: 1, progress: { stage: 'dance', done: 1 } },
    { type: 'progress', id: 1, progress: { stage: 'train', done: NaN } },
    { type: 'result', id: 1 },
    { type: 'error', id: 1, error: 'boom' },
    { type: 'error', id: 1, error: { message: 'x' } },
    { type: 'nope', id: 1 },
  ];
  for (const m of bad) assert.ok(!isWorkerMessage(m), `should reject ${JSON.stringify(m)}`);
});

test('errors survive serialisation (name, message, code, stack)', () => {
  const e = Object.assign(new RangeError('too big'), { code: 'E_BIG' });
  const back = deserializeError(serializeError(e));
  assert.equal(back.name, 'RangeError');
  assert.equal(back.message, 'too big');
  assert.equal((back as Error & { code?: string }).code, 'E_BIG');
  assert.equal(back.stack, e.stack);
  assert.deepEqual(serializeError('plain'), { message: 'plain', name: 'Error' });
  assert.equal(serializeError({ message: 'obj', name: 'X' }).name, 'X');
});

test('validate helpers compose into shape guards', () => {
  const isPoint = hasShape<{ x: number; tag?: string; kind: 'a' | 'b'; next: number[] | null }>({
    x: isFiniteNumber,
    tag: isOptional(isString),
    kind: isOneOf(['a', 'b'] as const),
    next: isNullable(isArrayOf(isFiniteNumber, 3)),
  });
  assert.ok(isPoint({ x: 1, kind: 'a', next: null }));
  assert.ok(isPoint({ x: 1, kind: 'b', tag: 't', next: [1, 2], extra: true }));
  assert.ok(!isPoint({ x: Infinity, kind: 'a', next: null }));
  assert.ok(!isPoint({ x: 1, kind: 'c', next: null }));
  assert.ok(!isPoint({ x: 1, kind: 'a', next: [1, 2, 3, 4] }));
  assert.ok(!isPoint({ x: 1, kind: 'a', tag: 5, next: null }));
  assert.ok(!isPoint([1]));
});

test('resolveWorkerScript: source (.ts with tsx), bundle (worker.js) and tsc output (trainWorker.js)', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'selflabel-workerpath-'));
  try {
    const src = resolveWorkerScript(dir, path.join(dir, 'workerPath.ts'));
    assert.equal(src.file, path.join(dir, 'trainWorker.ts'));
    assert.ok(src.execArgv.join(' ').includes('tsx'), 'TypeScript needs tsx in the worker');
    fs.writeFileSync(path.join(dir, 'trainWorker.js'), '');
    assert.deepEqual(resolveWorkerScript(dir, path.join(dir, 'workerPath.js')), { file: path.join(dir, 'trainWorker.js'), execArgv: [] });
    fs.writeFileSync(path.join(dir, 'worker.js'), '');
    assert.deepEqual(resolveWorkerScript(dir, path.join(dir, 'extension.js')), { file: path.join(dir, 'worker.js'), execArgv: [] });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

// ------------------------------------------------------------------------------------------------ the pool

test('start() starts both workers and reports the backend they run', async () => {
  const info = await pool.start();
  assert.equal(info.name, 'wasm');
  assert.deepEqual(pool.backend, info);
});

test('selfTest trains a tiny model on a worker; two jobs at once run concurrently on two workers', async () => {
  const progress: Progress[] = [];
  const [a, b] = await Promise.all([
    pool.run('selfTest', { steps: 40, seed: 1 }, { onProgress: (p) => progress.push(p) }),
    pool.run('selfTest', { steps: 40, seed: 1 }),
  ]);
  for (const r of [a, b]) {
    assert.equal(r.backend, 'wasm');
    assert.equal(r.losses.length, 40);
    assert.ok(r.losses.every(Number.isFinite));
    assert.ok(r.losses[39] < r.losses[0], `loss goes down: ${r.losses[0]} → ${r.losses[39]}`);
    assert.ok(r.tensors < 10, `the job freed its tensors (${r.tensors} left)`);
  }
  assert.deepEqual(a.losses, b.losses, 'same seed, same backend: same losses');
  assert.notEqual(a.threadId, b.threadId, 'two different worker threads');
  assert.ok(overlap(a, b), `both ran at the same time: [${a.startedAt}, ${a.endedAt}] and [${b.startedAt}, ${b.endedAt}]`);
  assert.equal(progress.length, 40);
  assert.deepEqual(
    progress.map((p) => p.done),
    Array.from({ length: 40 }, (_, i) => i + 1),
  );
  assert.ok(progress.every((p) => p.stage === 'pretrain' && p.total === 40 && Number.isFinite(p.loss)));
});

test('the main event loop stays responsive while a worker trains', async () => {
  const h = monitorEventLoopDelay({ resolution: 5 });
  let ticks = 0;
  const timer = setInterval(() => ticks++, 10);
  h.enable();
  const started = Date.now();
  const r = await pool.run('selfTest', { steps: 120, batch: 32 });
  const ms = Date.now() - started;
  h.disable();
  clearInterval(timer);
  assert.equal(r.losses.length, 120);
  const maxLagMs = h.max / 1e6;
  assert.ok(maxLagMs < 200, `max event-loop delay ${maxLagMs.toFixed(1)} ms while training`);
  assert.ok(ticks >= ms / 10 / 4, `a 10 ms timer kept firing (${ticks} ticks in ${ms} ms)`);
});

test('more jobs than workers queue up and never run more than two at a time', async () => {
  const results = await Promise.all(Array.from({ length: 5 }, (_, i) => pool.run('sleep', { ms: 120, value: i })));
  assert.deepEqual(
    results.map((r) => r.value),
    [0, 1, 2, 3, 4],
  );
  for (const r of results) {
    // Jobs running at the moment r started (r included).
    const concurrent = results.filter((o) => o.startedAt <= r.startedAt && r.startedAt < o.endedAt).length;
    assert.ok(concurrent <= 2, `at most 2 jobs at once, saw ${concurrent}`);
  }
  assert.equal(new Set(results.map((r) => r.threadId)).size, 2);
  assert.equal(pool.pending, 0);
});

test('runOnAll runs a job once on every worker', async () => {
  const rs = await pool.runOnAll('sleep', { ms: 1, value: 'x' });
  assert.equal(rs.length, 2);
  assert.equal(new Set(rs.map((r) => r.threadId)).size, 2);
});

test('cancel: the job rejects with an AbortError and the worker stops it promptly (same thread, next job runs)', async () => {
  const first = await pool.run('sleep', { ms: 1 }, { worker: 0 });
  const ac = new AbortController();
  const started = Date.now();
  const p = pool.run('sleep', { ms: 10_000 }, { signal: ac.signal, worker: 0 });
  setTimeout(() => ac.abort(), 100);
  await assert.rejects(p, (e: Error) => e.name === 'AbortError');
  assert.ok(Date.now() - started < 3000, 'rejected soon after the abort, long before the 10 s job would end');
  // The worker noticed the signal between "batches": the next job on it starts before the kill timeout (3 s)
  // and on the same thread (a worker that had to be killed would have been replaced).
  const queuedAt = Date.now();
  const next = await pool.run('sleep', { ms: 1 }, { worker: 0 });
  assert.ok(next.startedAt - queuedAt < 3000, `next job started ${next.startedAt - queuedAt} ms later`);
  assert.equal(next.threadId, first.threadId, 'the worker was not replaced');
});

test('cancel of a queued job rejects at once; an already-aborted signal rejects before anything runs', async () => {
  let busyDone = false;
  const busy = pool.run('sleep', { ms: 300, value: 'busy' }, { worker: 1 }).finally(() => (busyDone = true));
  const ac = new AbortController();
  const queued = pool.run('sleep', { ms: 1 }, { signal: ac.signal, worker: 1 });
  ac.abort();
  await assert.rejects(queued, (e: Error) => e.name === 'AbortError' && /before it started/.test(e.message));
  assert.equal(busyDone, false, 'rejected at once, not after the job ahead of it');
  assert.equal((await busy).value, 'busy');
  await assert.rejects(pool.run('sleep', { ms: 1 }, { signal: AbortSignal.abort() }), { name: 'AbortError' });
});

test('a crashed worker rejects its job with the reason and is replaced', async () => {
  const crash = async (mode: 'exit' | 'throw' | 'reject', worker: number, expected: RegExp) => {
    const before = await pool.run('sleep', { ms: 1 }, { worker });
    await assert.rejects(pool.run('crash', { mode }, { worker }), (e: Error) => {
      assert.ok(e instanceof WorkerCrashedError, `${mode}: ${e.name}`);
      assert.match(e.message, expected);
      return true;
    });
    const after = await pool.run('selfTest', { steps: 2 }, { worker });
    assert.notEqual(after.threadId, before.threadId, `${mode}: a fresh worker`);
    assert.equal(after.losses.length, 2);
  };
  await Promise.all([
    crash('exit', 0, /exited with code 3 while running job "crash"/),
    crash('throw', 1, /exited with code 1 while running job "crash": uncaught test error/),
  ]);
  await crash('reject', 0, /unhandled test rejection/);
  assert.ok(logs.some((l) => /exited with code/.test(l)));
});

test('malformed messages from a worker are dropped and logged; the job still completes', async () => {
  const n = logs.length;
  assert.equal(await pool.run('malformed', {}), 'ok');
  const dropped = logs.slice(n).filter((l) => /dropped a malformed message/.test(l));
  assert.equal(dropped.length, 7, logs.slice(n).join('\n'));
});

test('bad job names and unsendable params fail clearly, and the pool keeps working', async () => {
  const untyped = pool as unknown as WorkerPool<JobMap>;
  await assert.rejects(untyped.run('noSuchJob', {}), /unknown job "noSuchJob"/);
  await assert.rejects(pool.run('sleep', { ms: 1, value: () => 1 }), /params cannot be sent to a worker/);
  await assert.rejects(untyped.run('', {}), TypeError);
  await assert.rejects(pool.run('sleep', {}, { worker: -1 }), RangeError);
  assert.equal((await pool.run('sleep', { ms: 1, value: 7 })).value, 7);
});

test('SharedArrayBuffer params are shared, not copied; transfer lists move buffers both ways', async () => {
  const sab = new SharedArrayBuffer(1000);
  const n = await pool.run('sharedWrite', { buffer: sab, value: 7 });
  assert.equal(n, 1000);
  assert.ok(
    new Uint8Array(sab).every((b) => b === 7),
    'the worker wrote into our memory',
  );

  const out = await pool.run('transferOut', { n: 5 });
  assert.ok(out instanceof Float32Array);
  assert.deepEqual(Array.from(out), [0, 1, 2, 3, 4]);

  const buf = new ArrayBuffer(64);
  const r = await pool.run('sleep', { ms: 1, value: buf }, { transfer: [buf] });
  assert.equal(buf.byteLength, 0, 'moved, not copied');
  assert.ok(r.value instanceof ArrayBuffer);
});

test('a job that ignores cancellation gets its worker terminated after stopTimeoutMs and replaced', async () => {
  const own: string[] = [];
  const p2 = testPool({ size: 1, stopTimeoutMs: 300, log: (m) => own.push(m) });
  try {
    const first = await p2.run('sleep', { ms: 1 });
    const ac = new AbortController();
    const hang = p2.run('hang', { ms: 30_000 }, { signal: ac.signal });
    setTimeout(() => ac.abort(), 200);
    await assert.rejects(hang, { name: 'AbortError' });
    const next = await p2.run('sleep', { ms: 1 });
    assert.notEqual(next.threadId, first.threadId, 'replaced');
    assert.ok(
      own.some((l) => /did not stop job "hang" within 300 ms/.test(l)),
      own.join('\n'),
    );
  } finally {
    await p2.dispose();
  }
});

test('a worker that cannot start rejects the waiting jobs with the reason instead of hanging', async () => {
  const own: string[] = [];
  const bad = new WorkerPool<JobMap>({
    size: 2,
    script: { file: path.join(os.tmpdir(), 'no-such-selflabel-worker.js'), execArgv: [] },
    log: (m) => own.push(m),
  });
  try {
    await assert.rejects(bad.run('sleep', { ms: 1 }), (e: Error) => e instanceof WorkerCrashedError && /while starting/.test(e.message));
    await assert.rejects(bad.start(), WorkerCrashedError);
  } finally {
    await bad.dispose();
  }
});

test('a worker that runs out of memory rejects its job with that reason', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'selflabel-oom-'));
  const file = path.join(dir, 'oomWorker.js');
  // A minimal worker speaking the protocol, whose job allocates until the heap limit.
  fs.writeFileSync(
    file,
    `const { parentPort } = require('node:worker_threads');
     parentPort.postMessage({ type: 'ready', backend: { name: 'cpu' } });
     parentPort.on('message', (m) => { if (m.type === 'run') { const keep = []; for (;;) keep.push(new Array(1e5).fill(Math.random())); } });`,
  );
  const own: string[] = [];
  const p4 = new WorkerPool<JobMap>({
    size: 1,
    script: { file, execArgv: [] },
    resourceLimits: { maxOldGenerationSizeMb: 32 },
    log: (m) => own.push(m),
  });
  try {
    await assert.rejects(
      p4.run('grow', {}),
      (e: Error) => e instanceof WorkerCrashedError && /memory limit/.test(e.message) && /job "grow"/.test(e.message),
    );
  } finally {
    await p4.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('the product worker serves the product jobs only: test jobs are unknown there', async () => {
  const product = new WorkerPool<JobMap>({ size: 1, backend: 'cpu', log: () => undefined });
  try {
    await assert.rejects(product.run('sleep', { ms: 1 }), /unknown job "sleep"/);
    const known =
      /known: ([^)]*)\)/.exec(
        await product.run('noSuchJob', {}).then(
          () => '',
          (e: Error) => e.message,
        ),
      )?.[1] ?? '';
    assert.ok(known.includes('pretrain') && known.includes('embed') && !known.includes('selfTest'), known);
  } finally {
    await product.dispose();
  }
});

test('the worker drops malformed host messages, honours its backend preference, and keeps serving', async () => {
  const script = testWorkerScript;
  const w = new Worker(script.file, { execArgv: script.execArgv, workerData: { backend: 'cpu' }, stderr: true });
  let stderr = '';
  w.stderr.on('data', (d) => (stderr += String(d)));
  const messages: unknown[] = [];
  const waitFor = (pred: (m: unknown) => boolean) =>
    new Promise<unknown>((resolve, reject) => {
      const found = messages.find(pred);
      if (found) return resolve(found);
      const onMessage = (m: unknown) => {
        if (pred(m)) {
          w.off('message', onMessage);
          resolve(m);
        }
      };
      w.on('message', onMessage);
      w.once('exit', (code) => reject(new Error(`worker exited (${code}); stderr: ${stderr}`)));
    });
  w.on('message', (m) => messages.push(m));
  try {
    const ready = (await waitFor((m) => (m as { type?: string }).type === 'ready')) as { backend: { name: string } };
    assert.equal(ready.backend.name, 'cpu');
    for (const m of [
      null,
      'run',
      { type: 'run', id: 1, job: 'sleep' },
      { type: 'run', id: -2, job: 'sleep', params: {} },
      { type: 'explode' },
    ]) {
      w.postMessage(m);
    }
    w.postMessage({ type: 'run', id: 9, job: 'sleep', params: { ms: 1, value: 'alive' } });
    const result = (await waitFor((m) => (m as { type?: string }).type === 'result')) as { id: number; result: SleepResult };
    assert.equal(result.id, 9);
    assert.equal(result.result.value, 'alive');
    assert.equal(
      messages.filter((m) => (m as { type?: string }).type === 'result' || (m as { type?: string }).type === 'error').length,
      1,
      'malformed runs were not run',
    );
    await new Promise((r) => setTimeout(r, 50));
    assert.equal((stderr.match(/dropped a malformed message/g) ?? []).length, 5, stderr);
  } finally {
    await w.terminate();
  }
});

test('dispose() cancels running and queued jobs, and the pool refuses new ones (last test: uses the shared pool)', async () => {
  const running = assert.rejects(pool.run('sleep', { ms: 10_000 }, { worker: 0 }), { name: 'AbortError' });
  const queued = assert.rejects(pool.run('sleep', { ms: 1 }, { worker: 0 }), /disposed before the job started/);
  await new Promise((r) => setTimeout(r, 50));
  const t = Date.now();
  await pool.dispose();
  assert.ok(Date.now() - t < 10_000, 'the threads stop without waiting for the 10 s job');
  await running;
  await queued;
  await assert.rejects(pool.run('sleep', {}), /disposed/);
  await assert.rejects(pool.start(), /disposed/);
});
