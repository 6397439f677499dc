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
import { dataParallelProblem, type JobRunner, type JobRunnerFactory, type PretrainStats } from '../../src/protocol/jobs';
import { allocateExchange } from '../../src/core/backend/exchange';
import { loadProductJobs } from '../../src/worker/jobs';
import { pretrainReport } from '../../src/cli/rates';
import { pretrainRates } from '../../src/bench/run';
import { AbortError } from '../../src/core/util/progress';

test('pretrainPlan and pretrainGroups: no worker idles for the whole stage; one task takes every worker', () => {
  assert.equal(pretrainPlan(2, 1), 'per-task');
  assert.equal(pretrainPlan(2, 2), 'per-task');
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
  start: number;
  end?: number;
}

/** A JobRunner that records pretrain jobs and answers each after `ms` with a task rate of `rate` items/s. */
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
        params: { task: string; epochs: number; dataParallel?: Call['dp'] },
        opts: { worker?: number; signal?: AbortSignal } = {},
      ) => {
        if (job !== 'pretrain') return Promise.reject(new Error(`unexpected job ${job}`));
        const call: Call = { task: params.task, worker: opts.worker, dp: params.dataParallel, start: Date.now() };
        calls.push(call);
        const ms = typeof o.ms === 'number' ? o.ms : o.ms(call);
        return new Promise<PretrainStats>((resolve, reject) => {
          const t = setTimeout(() => {
            call.end = Date.now();
            if (o.fail?.(call)) reject(new Error(`rank ${call.dp?.rank} failed`));
            else resolve({ task: params.task, epochs: params.epochs, seconds: ms / 1000, itemsPerSecond: o.rate, finalLoss: 1 });
          }, ms);
          opts.signal?.addEventListener('abort', () => {
            clearTimeout(t);
            call.end = Date.now();
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
});

test('per-task on two workers runs the tasks side by side; on one worker one after the other, and the rate is not summed', async (t) => {
  const side = recordingRunner({ ms: 200, rate: 1000 });
  const p2 = await textProject(t, 2, side.factory);
  const r2 = await p2.pretrain({ epochs: 1 });
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
