/**
 * How the pretrain stage uses the workers (src/core/project/training.ts: pretrainPlan, pretrain) and the rates it
 * reports, through the real Project with a recording job runner (no tfjs): one task or several on two workers train
 * data-parallel (every rank's job carries the same exchange buffer, pinned to its worker, the tasks one after
 * another); 'per-task' keeps one task per worker; the stage's rate is wall-clock (tasks one after another do not add
 * up); a failing rank cancels its peers; a malformed dataParallel option is refused by the worker's handler.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Project } from '../../src/core/project';
import { pretrainGroups, pretrainPlan } from '../../src/core/project/training';
import { dataParallelProblem, yieldFlagProblem, type JobRunner, type JobRunnerFactory, type PretrainStats } from '../../src/protocol/jobs';
import { allocateExchange } from '../../src/core/backend/exchange';
import { loadProductJobs } from '../../src/worker/jobs';
import { pretrainReport } from '../../src/cli/rates';
import { pretrainRates } from '../../src/bench/run';
import { AbortError } from '../../src/core/util/progress';
import type { Progress } from '../../src/core/types';

test('pretrainPlan and pretrainGroups: no worker idles for the whole stage; one task takes every worker', () => {
  assert.equal(pretrainPlan(2, 1), 'per-task');
  assert.equal(pretrainPlan(2, 2), 'join', 'a pair on two workers: side by side, the first worker done joins the other');
  assert.equal(pretrainPlan(3, 2), 'join');
  assert.equal(pretrainPlan(2, 4), 'per-task', 'more workers than tasks: each task data-parallel on its group from the start');
  assert.equal(pretrainPlan(1, 2), 'per-task');
  assert.equal(pretrainPlan(2, 2, 'per-task'), 'per-task');
  assert.equal(pretrainPlan(2, 2, 'data-parallel'), 'data-parallel');
  assert.equal(pretrainPlan(2, 1, 'data-parallel'), 'per-task', 'one worker cannot be data-parallel');
  assert.deepEqual(pretrainGroups(1, 2, pretrainPlan(1, 2)), [[0, 1]], 'one task on two workers: both, data-parallel');
  assert.deepEqual(pretrainGroups(2, 2, 'per-task'), [[0], [1]]);
  assert.deepEqual(pretrainGroups(2, 4, 'per-task'), [
    [0, 2],
    [1, 3],
  ]);
  assert.deepEqual(pretrainGroups(3, 2, 'per-task'), [[0], [1], [0]]);
  assert.deepEqual(pretrainGroups(2, 2, 'data-parallel'), [
    [0, 1],
    [0, 1],
  ]);
  assert.deepEqual(pretrainGroups(2, 1, 'per-task'), [[0], [0]]);
});

test('dataParallelProblem refuses what is not a rank of a shared exchange, and accepts what the project sends', () => {
  const buffer = allocateExchange(2, 16);
  assert.equal(dataParallelProblem({ buffer, rank: 1, world: 2 }), undefined);
  assert.match(dataParallelProblem(null) ?? '', /object/);
  assert.match(dataParallelProblem({ buffer: new ArrayBuffer(8), rank: 0, world: 2 }) ?? '', /SharedArrayBuffer/);
  assert.match(dataParallelProblem({ buffer, rank: 2, world: 2 }) ?? '', /rank/);
  assert.match(dataParallelProblem({ buffer, rank: 0, world: 1 }) ?? '', /world/);
  assert.match(dataParallelProblem({ buffer, rank: 0.5, world: 2 }) ?? '', /rank/);
});

test('the worker refuses a pretrain job whose dataParallel option is malformed, before any training', async () => {
  const data = { kind: 'text' as const, texts: ['a b c', 'd e f'] };
  const params = { modality: 'text' as const, task: 'masked', data, epochs: 1, seed: 1, checkpointDir: '/nonexistent', resume: false };
  const ctx = { signal: new AbortController().signal, progress: () => undefined, backend: 'cpu' };
  await assert.rejects(
    (await loadProductJobs()).pretrain({ ...params, dataParallel: { buffer: new SharedArrayBuffer(64), rank: 3, world: 2 } }, ctx),
    /pretrain masked: dataParallel.rank must be an integer in \[0, 2\), got 3/,
  );
});

interface Call {
  task: string;
  worker?: number;
  dp?: { buffer: SharedArrayBuffer; rank: number; world: number };
  resume?: boolean;
  /** The job was asked to yield (its yieldFlag set) and stopped early. */
  yielded?: boolean;
  start: number;
  end?: number;
}

/**
 * A JobRunner that records pretrain jobs and answers each after `ms` with a task rate of `rate` items/s. A job with a
 * yieldFlag stops within 5 ms of the flag being set, with the epochs it got through (a share of `ms`'s), as the loop does.
 */
function recordingRunner(o: { ms: number | ((c: Call) => number); rate: number; fail?: (c: Call) => boolean }): {
  factory: JobRunnerFactory;
  calls: Call[];
} {
  const calls: Call[] = [];
  const factory: JobRunnerFactory = ({ size }) => {
    const runner: JobRunner = {
      size,
      start: async () => ({ name: 'fake' }),
      dispose: async () => undefined,
      run: ((
        job: string,
        params: { task: string; epochs: number; resume: boolean; dataParallel?: Call['dp']; yieldFlag?: SharedArrayBuffer },
        opts: { worker?: number; signal?: AbortSignal; onProgress?: (q: Progress) => void } = {},
      ) => {
        if (job !== 'pretrain') return Promise.reject(new Error(`unexpected job ${job}`));
        const call: Call = { task: params.task, worker: opts.worker, dp: params.dataParallel, resume: params.resume, start: Date.now() };
        calls.push(call);
        const ms = typeof o.ms === 'number' ? o.ms : o.ms(call);
        opts.onProgress?.({ stage: 'pretrain', done: 0, total: 1, etaSeconds: ms / 1000 });
        return new Promise<PretrainStats>((resolve, reject) => {
          const stats = (share: number): PretrainStats => ({
            task: params.task,
            epochs: params.epochs * share,
            seconds: (ms * share) / 1000,
            itemsPerSecond: o.rate,
            finalLoss: 1,
          });
          const flag = params.yieldFlag && new Int32Array(params.yieldFlag);
          const poll =
            flag &&
            setInterval(() => {
              if (Atomics.load(flag, 0) === 0) return;
              finish();
              call.yielded = true;
              resolve(stats(Math.min(0.99, (Date.now() - call.start) / ms)));
            }, 5);
          const finish = () => {
            clearTimeout(t);
            if (poll) clearInterval(poll);
            call.end = Date.now();
          };
          const t = setTimeout(() => {
            finish();
            if (o.fail?.(call)) reject(new Error(`rank ${call.dp?.rank} failed`));
            else resolve(stats(1));
          }, ms);
          opts.signal?.addEventListener('abort', () => {
            finish();
            reject(new AbortError());
          });
        });
      }) as JobRunner['run'],
    };
    return runner;
  };
  return { factory, calls };
}

async function textProject(t: { after: (f: () => void) => void }, workers: number, factory: JobRunnerFactory): Promise<Project> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'selflabel-plan-'));
  t.after(() => fs.rmSync(root, { recursive: true, force: true }));
  for (let i = 0; i < 6; i++) fs.writeFileSync(path.join(root, `t${i}.txt`), `text number ${i} about ${i % 2 ? 'cats' : 'dogs'}`);
  const p = await Project.init(root, ['x', 'y'], { workers }, { runner: factory });
  t.after(() => void p.dispose());
  await p.scan();
  return p;
}

test('data-parallel on two workers: each task on both at once (one buffer, ranks 0 and 1 on workers 0 and 1), tasks in turn', async (t) => {
  const { factory, calls } = recordingRunner({ ms: 150, rate: 1000 });
  const p = await textProject(t, 2, factory);
  const r = await p.pretrain({ epochs: 1, plan: 'data-parallel' });
  assert.equal(r.plan, 'data-parallel');
  assert.equal(r.workers, 2);
  assert.deepEqual(
    calls.map((c) => [c.task, c.worker, c.dp?.rank, c.dp?.world]),
    [
      ['masked', 0, 0, 2],
      ['masked', 1, 1, 2],
      ['contrastive', 0, 0, 2],
      ['contrastive', 1, 1, 2],
    ],
  );
  assert.equal(calls[0].dp?.buffer, calls[1].dp?.buffer, 'the ranks of a task share one exchange');
  assert.ok(calls[0].dp?.buffer instanceof SharedArrayBuffer);
  assert.notEqual(calls[0].dp?.buffer, calls[2].dp?.buffer, 'each task its own exchange');
  assert.ok(calls[2].start >= Math.max(calls[0].end ?? Infinity, calls[1].end ?? Infinity), 'the second task starts after the first');
  assert.deepEqual(
    r.tasks.map((s) => [s.task, s.workers]),
    [
      ['masked', 2],
      ['contrastive', 2],
    ],
  );
  // One after the other at 1,000 items/s each: the stage did 1,000 items per second, not 2,000.
  assert.ok(r.itemsPerSecond > 500 && r.itemsPerSecond <= 1000 * 1.05, `stage rate ${r.itemsPerSecond}`);
  const lines = pretrainReport(r, 2);
  assert.match(lines[1], /masked: 1 epoch\(s\), loss 1\.0000; this task's own rate 1000 items\/s on 2 workers/);
  assert.match(lines[3], /items\/s wall clock for the stage, 2 tasks one after another, each on 2 workers \(data-parallel\)/);
  assert.doesNotMatch(lines[1], / inputs/, 'no input named when the worker names none');
  const image = pretrainReport({ ...r, tasks: [{ ...r.tasks[0], task: 'simclr', input: '32×32×3' }] }, 2);
  assert.match(image[1], /simclr: 1 epoch\(s\) on 32×32×3 inputs, loss/);
});

test('per-task on two workers runs the tasks side by side; on one worker one after the other, and the rate is not summed', async (t) => {
  const side = recordingRunner({ ms: 200, rate: 1000 });
  const p2 = await textProject(t, 2, side.factory);
  const r2 = await p2.pretrain({ epochs: 1, plan: 'per-task' });
  assert.equal(r2.plan, 'per-task');
  assert.deepEqual(
    side.calls.map((c) => [c.task, c.worker, c.dp]),
    [
      ['masked', 0, undefined],
      ['contrastive', 1, undefined],
    ],
  );
  // Side by side for the whole stage: the rates add up (at most 2,000 items/s).
  assert.ok(r2.itemsPerSecond > 1000 && r2.itemsPerSecond <= 2000 * 1.05, `side by side ${r2.itemsPerSecond}`);

  const seq = recordingRunner({ ms: 200, rate: 1000 });
  const p1 = await textProject(t, 1, seq.factory);
  const r1 = await p1.pretrain({ epochs: 1 });
  assert.equal(r1.plan, 'per-task');
  assert.ok(seq.calls[1].start >= (seq.calls[0].end ?? Infinity), 'one worker: one task after the other');
  // The old figure summed the tasks' rates (2,000 items/s); the stage did 1,000 items per second of its wall time.
  assert.ok(r1.itemsPerSecond <= 1000 * 1.05, `one after the other: ${r1.itemsPerSecond} items/s is not the sum of the tasks' rates`);
  assert.ok(r1.itemsPerSecond > 400, `${r1.itemsPerSecond}`);
  assert.match(pretrainReport(r1, 1)[3], /2 tasks one after another on 1 worker/);
});

test('a data-parallel rank that fails cancels its peer, and the stage fails with that rank’s error', async (t) => {
  // Rank 1 fails after 20 ms; rank 0 would run for 5 s (a real rank would wait for its peer at the exchange).
  const { factory, calls } = recordingRunner({ ms: (c) => (c.dp?.rank === 1 ? 20 : 5000), rate: 1000, fail: (c) => c.dp?.rank === 1 });
  const p = await textProject(t, 2, factory);
  await assert.rejects(p.pretrain({ epochs: 1, plan: 'data-parallel' }), /rank 1 failed/);
  assert.equal(calls.length, 2, 'the second task never starts');
  assert.ok((calls[0].end ?? Infinity) - calls[0].start < 2500, 'rank 0 was cancelled, not left to run');
});

test('four workers, two tasks: side by side, each data-parallel on two workers with its own exchange', async (t) => {
  const { factory, calls } = recordingRunner({ ms: 150, rate: 1000 });
  const p = await textProject(t, 4, factory);
  const r = await p.pretrain({ epochs: 1 });
  assert.equal(r.plan, 'per-task');
  assert.equal(r.workers, 4);
  assert.deepEqual(
    calls.map((c) => [c.task, c.worker, c.dp?.rank, c.dp?.world]),
    [
      ['masked', 0, 0, 2],
      ['masked', 2, 1, 2],
      ['contrastive', 1, 0, 2],
      ['contrastive', 3, 1, 2],
    ],
  );
  assert.equal(calls[0].dp?.buffer, calls[1].dp?.buffer);
  assert.notEqual(calls[0].dp?.buffer, calls[2].dp?.buffer);
  assert.ok(calls[2].start < (calls[0].end ?? 0), 'the tasks run side by side');
  assert.match(pretrainReport(r, 4)[3], /2 tasks side by side on 4 workers \(data-parallel within a task\)/);
  // Side by side for the whole stage, each task at 1,000 items/s: the stage did up to 2,000 items/s.
  assert.ok(r.itemsPerSecond > 1000 && r.itemsPerSecond <= 2000 * 1.05, `${r.itemsPerSecond}`);
});

test('join: the worker whose task is done joins the other, which yields and resumes data-parallel on both', async (t) => {
  // masked takes 100 ms, contrastive 600 ms on one worker (and 600 ms again once resumed: the fake does not speed up).
  const { factory, calls } = recordingRunner({ ms: (c) => (c.task === 'masked' ? 100 : 600), rate: 1000 });
  const p = await textProject(t, 2, factory);
  // Each fake job's progress says it has under a second left: joinMinSeconds 0 lets it be joined anyway.
  const r = await p.pretrain({ epochs: 2, plan: 'join', joinMinSeconds: 0 });
  assert.equal(r.plan, 'join');
  assert.deepEqual(
    calls.map((c) => [c.task, c.worker, c.dp?.rank, c.dp?.world, c.resume, c.yielded ?? false]),
    [
      ['masked', 0, undefined, undefined, true, false],
      ['contrastive', 1, undefined, undefined, true, true],
      ['contrastive', 0, 0, 2, true, false],
      ['contrastive', 1, 1, 2, true, false],
    ],
  );
  const yielded = calls[1];
  assert.ok((yielded.end ?? Infinity) < yielded.start + 400, 'contrastive yielded soon after masked finished');
  assert.ok(calls[2].start >= (yielded.end ?? Infinity), 'it resumes on both workers once its single-worker run has stopped');
  assert.equal(calls[2].dp?.buffer, calls[3].dp?.buffer);
  // The task's stats add its two parts: its seconds summed, the most workers it had.
  const c = r.tasks.find((s) => s.task === 'contrastive');
  assert.equal(c?.workers, 2);
  assert.equal(c?.epochs, 2);
  assert.ok(c && c.seconds > 0.6 && c.seconds < 1.2, `contrastive seconds ${c?.seconds}`);
  assert.equal(r.tasks.find((s) => s.task === 'masked')?.workers, 1);
  assert.deepEqual(
    c?.parts?.map((q) => q.workers),
    [[1], [0, 1]],
    'its parts: alone on worker 1, then on both',
  );
  const lines = pretrainReport(r, 2);
  assert.match(lines[1], /masked: 2 epoch\(s\), .* items\/s on 1 worker$/);
  assert.match(lines[2], /contrastive: 2 epoch\(s\), .* items\/s on 1 then 2 workers$/);
  assert.match(lines[3], /2 tasks side by side on 2 workers, a worker done early joining a task still running \(data-parallel\)/);
});

test('join: a task about to finish is left alone, and a cancel during the joined part stops both ranks', async (t) => {
  // contrastive's progress says 0.08 s left, under the 15 s a join must at least save: it finishes alone…
  const near = recordingRunner({ ms: (c) => (c.task === 'masked' ? 50 : 80), rate: 1000 });
  const p = await textProject(t, 2, near.factory);
  const r = await p.pretrain({ epochs: 1, plan: 'join' });
  assert.deepEqual(
    near.calls.map((c) => [c.task, c.worker, c.yielded ?? false]),
    [
      ['masked', 0, false],
      ['contrastive', 1, false],
    ],
  );
  assert.deepEqual(
    r.tasks.map((s) => [s.task, s.epochs, s.workers]),
    [
      ['masked', 1, 1],
      ['contrastive', 1, 1],
    ],
  );
  // …and a cancel while the joined ranks run rejects the stage and stops both.
  const long = recordingRunner({ ms: (c) => (c.task === 'masked' ? 30 : c.dp ? 5000 : 3000), rate: 1000 });
  const q = await textProject(t, 2, long.factory);
  const ac = new AbortController();
  const run = q.pretrain({ epochs: 1, plan: 'join', signal: ac.signal, joinMinSeconds: 0 });
  const t0 = Date.now();
  while (long.calls.length < 4 && Date.now() - t0 < 3000) await new Promise((res) => setTimeout(res, 10));
  assert.equal(long.calls.length, 4, 'the joined ranks started');
  ac.abort();
  await assert.rejects(run, (e: Error) => e.name === 'AbortError');
  for (const c of long.calls.slice(2)) assert.ok((c.end ?? Infinity) - c.start < 2000, 'each rank was cancelled');
});

test('the worker refuses a yieldFlag it cannot use: not shared, too small, or on a data-parallel rank', async () => {
  assert.equal(yieldFlagProblem(new SharedArrayBuffer(4), undefined), undefined);
  assert.match(yieldFlagProblem(new ArrayBuffer(4), undefined) ?? '', /SharedArrayBuffer/);
  assert.match(yieldFlagProblem(new SharedArrayBuffer(2), undefined) ?? '', /one Int32/);
  assert.match(yieldFlagProblem(new SharedArrayBuffer(4), { rank: 0 }) ?? '', /data-parallel/);
  const data = { kind: 'text' as const, texts: ['a b c', 'd e f'] };
  const params = { modality: 'text' as const, task: 'masked', data, epochs: 1, seed: 1, checkpointDir: '/nonexistent', resume: false };
  const ctx = { signal: new AbortController().signal, progress: () => undefined, backend: 'cpu' };
  await assert.rejects(
    (await loadProductJobs()).pretrain({ ...params, yieldFlag: new ArrayBuffer(4) as unknown as SharedArrayBuffer }, ctx),
    /pretrain masked: yieldFlag must be a SharedArrayBuffer/,
  );
});

test('pretrainRates: a joined task counts each part on the workers it ran on', () => {
  const r = pretrainRates(
    [
      { task: 'masked', epochs: 1, seconds: 1, itemsPerSecond: 1000, workers: 1 },
      {
        task: 'contrastive',
        epochs: 1,
        seconds: 2,
        itemsPerSecond: 650,
        workers: 2,
        parts: [
          { seconds: 1, itemsPerSecond: 500, workers: [1] },
          { seconds: 1, itemsPerSecond: 800, workers: [0, 1] },
        ],
      },
    ],
    1000,
    2,
    2,
    1150,
    'join',
  );
  // Worker 0: 1,000 items of masked + half of the joined part's 800, in 2 s; worker 1: 500 + 400 in 2 s.
  assert.deepEqual(r.perWorker, [700, 450]);
  assert.deepEqual(r.perTaskWorkers, { masked: 1, contrastive: 2 });
});

test('pretrainRates: a data-parallel task keeps every worker busy for its time; per-task rates are labelled with their workers', () => {
  const tasks = [
    { task: 'simclr', epochs: 2, seconds: 10, itemsPerSecond: 400, workers: 2 }, // 4,000 items on both workers
    { task: 'rotation', epochs: 2, seconds: 5, itemsPerSecond: 800, workers: 2 }, // 4,000 items on both workers
  ];
  const r = pretrainRates(tasks, 2000, 16, 2, 8000 / 15, 'data-parallel');
  // Each worker: 4,000 items in 15 s of training.
  r.perWorker.forEach((x) => assert.ok(Math.abs(x - 4000 / 15) < 1e-9, `${x}`));
  assert.deepEqual(r.perTaskWorkers, { simclr: 2, rotation: 2 });
  assert.equal(r.plan, 'data-parallel');
  assert.equal(r.wall, 8000 / 16);
});
