/**
 * How the pretrain stage spreads its pretext tasks over the workers (src/core/project/training.ts `pretrain` runs
 * them): which plan, which workers each task gets, a task trained data-parallel on several workers, and the 'join'
 * plan, where a worker whose task is done takes over part of a task still running.
 */
import { dataParallelProblem, type JobParams, type PretrainPlan, type PretrainStats } from '../../protocol/jobs';
import type { Progress } from '../types';
import { allocateExchange } from '../backend/exchange';
import type { ProjectContext } from './context';

/**
 * How the pretrain stage uses `workers` workers for `tasks` pretext tasks ('auto': the project's choice).
 * 'per-task': the tasks side by side, each on its share of the workers — one worker each when there are at least as
 * many tasks as workers (one after another on one worker), and data-parallel on a group of workers when there are
 * more workers than tasks (one task on two workers: both), so no worker idles for the whole stage.
 * 'data-parallel': the tasks one after another, each on all workers (no worker idles when one task of an uneven pair
 * finishes first). 'join': as 'per-task', and a worker with no task left to start joins the running task with the
 * most time left, which resumes from its checkpoint data-parallel on both (`joinedTasks`).
 * 'auto' is 'join' when there are at least as many tasks as workers (every modality's pair on two workers), else
 * 'per-task' (its groups already use every worker). Idle 2-core machine, the pair's stage time, per-task → join: MNIST
 * 60,000 at 2 epochs 185 → 146 s (test 96.02 → 95.99%), audio words at 8 epochs 153 → 122 s (test 81.10% both);
 * BENCHMARKS.md "Session 23". The pairs one after another on both workers ('data-parallel') were not faster than side
 * by side (images 1.01×, text 1.20× the wall time, loaded; "Speed, session 6: both cores"). The step at which a
 * task yields depends on the machine's speed, so 'join' does not repeat a run to the decimal: 'per-task' does.
 */
export function pretrainPlan(tasks: number, workers: number, requested: PretrainPlan | 'auto' = 'auto'): PretrainPlan {
  if (workers < 2 || tasks < 1) return 'per-task';
  if (requested !== 'auto') return requested;
  return tasks >= 2 && tasks >= workers ? 'join' : 'per-task';
}

/**
 * The workers of each task under `plan`: one group per task, run side by side ('per-task' and the start of 'join':
 * task i takes workers i, i + tasks, i + 2·tasks… — or worker i % workers, one task after another on it, when
 * tasks ≥ workers), or all workers for every task in turn ('data-parallel').
 */
export function pretrainGroups(tasks: number, workers: number, plan: PretrainPlan): number[][] {
  const all = Array.from({ length: workers }, (_, k) => k);
  if (plan === 'data-parallel') return Array.from({ length: tasks }, () => all);
  if (tasks >= workers) return Array.from({ length: tasks }, (_, i) => [i % workers]);
  return Array.from({ length: tasks }, (_, i) => all.filter((k) => k % tasks === i));
}

/**
 * One pretext task on the workers `on` at once: the same job on each with its rank and one shared gradient exchange.
 * Rank 0 reports progress and writes the checkpoint; its stats are the task's. If one rank fails, the others are
 * cancelled (a rank waiting for a peer that is gone would otherwise hold its worker until the exchange times out).
 */
export async function dataParallelTask(
  p: ProjectContext,
  params: JobParams<'pretrain'>,
  on: readonly number[],
  signal: AbortSignal | undefined,
  onProgress: (q: Progress) => void,
): Promise<PretrainStats> {
  const world = on.length;
  const buffer = allocateExchange(world);
  // One failing rank cancels the others; the caller's cancel reaches them all.
  const stop = new AbortController();
  const cancel = signal ? AbortSignal.any([signal, stop.signal]) : stop.signal;
  const plans = on.map((_, rank) => ({ buffer, rank, world }));
  for (const d of plans) {
    const problem = dataParallelProblem(d);
    if (problem) throw new Error(`pretrain ${params.task}: ${problem}`);
  }
  const ranks = plans.map((dataParallel) =>
    p.workers.run(
      'pretrain',
      { ...params, dataParallel },
      { signal: cancel, onProgress: dataParallel.rank === 0 ? onProgress : undefined, worker: on[dataParallel.rank] },
    ),
  );
  let results: PretrainStats[];
  try {
    results = await Promise.all(ranks);
  } catch (e) {
    stop.abort();
    await Promise.allSettled(ranks);
    throw e;
  }
  return { ...results[0], workers: world };
}

/** A task with less than this many seconds left (by its progress's estimate) is not worth a join: it finishes alone. */
export const JOIN_MIN_SECONDS = 15;

/**
 * The 'join' plan: the tasks start side by side, one worker each, in order (as 'per-task' with tasks ≥ workers).
 * When a worker has nothing left to start, the running single-worker task with the most time left (its progress's
 * estimate; unknown counts as most) is asked to yield (`yieldFlag`: it stops after its current step, checkpointed);
 * it then resumes from that checkpoint data-parallel on its worker and every free one. So the last task of an uneven
 * pair finishes on both cores instead of one. A task's stats add its parts: seconds summed, the rate over all of
 * them, `workers` the most it had at once, and each part as it ran (`parts`). One failing job cancels the rest.
 */
export async function joinedTasks(
  p: ProjectContext,
  params: readonly JobParams<'pretrain'>[],
  workers: number,
  signal: AbortSignal | undefined,
  progressOf: (i: number) => (q: Progress) => void,
  minJoinSeconds = JOIN_MIN_SECONDS,
): Promise<PretrainStats[]> {
  interface Running {
    on: number[];
    flag?: Int32Array;
    yielding: boolean;
    done: Promise<{ i: number; stats: PretrainStats }>;
  }
  // One failing job cancels the rest; the caller's cancel reaches them all.
  const stop = new AbortController();
  const cancel = signal ? AbortSignal.any([signal, stop.signal]) : stop.signal;
  const parts: { stats: PretrainStats; on: number[] }[][] = params.map(() => []);
  const eta: (number | undefined)[] = params.map(() => undefined);
  const running = new Map<number, Running>();
  const free = Array.from({ length: workers }, (_, k) => k);
  let next = 0;
  const secondsLeft = (i: number): number | undefined => {
    const budget = params[i].maxSeconds;
    return budget === undefined ? undefined : budget - parts[i].reduce((s, q) => s + q.stats.seconds, 0);
  };
  const launch = (i: number, on: number[]) => {
    const onProgress = (q: Progress) => {
      eta[i] = q.etaSeconds;
      progressOf(i)(q);
    };
    const job: JobParams<'pretrain'> = { ...params[i], maxSeconds: secondsLeft(i) };
    let flag: Int32Array | undefined;
    let done: Promise<PretrainStats>;
    if (on.length > 1) done = dataParallelTask(p, { ...job, resume: true }, on, cancel, onProgress);
    else {
      const yieldFlag = new SharedArrayBuffer(4);
      flag = new Int32Array(yieldFlag);
      done = p.workers.run('pretrain', { ...job, yieldFlag }, { signal: cancel, onProgress, worker: on[0] });
    }
    eta[i] = undefined;
    running.set(i, { on, flag, yielding: false, done: done.then((stats) => ({ i, stats })) });
  };
  try {
    for (;;) {
      while (free.length && next < params.length) launch(next++, [free.shift() as number]);
      if (!running.size) break;
      if (free.length) {
        let pick: Running | undefined;
        let most = -1;
        for (const [i, r] of running) {
          const left = eta[i] ?? Infinity;
          if (r.flag && !r.yielding && left > minJoinSeconds && left > most) {
            pick = r;
            most = left;
          }
        }
        if (pick?.flag) {
          Atomics.store(pick.flag, 0, 1);
          pick.yielding = true;
        }
      }
      const { i, stats } = await Promise.race([...running.values()].map((r) => r.done));
      const r = running.get(i) as Running;
      running.delete(i);
      parts[i].push({ stats, on: r.on });
      const left = secondsLeft(i);
      if (r.yielding && stats.epochs < params[i].epochs && (left === undefined || left > 0)) {
        launch(
          i,
          [...r.on, ...free.splice(0)].sort((a, b) => a - b),
        );
      } else free.push(...r.on);
    }
  } catch (e) {
    stop.abort();
    await Promise.allSettled([...running.values()].map((r) => r.done));
    throw e;
  }
  return parts.map((ps) => {
    const last = ps[ps.length - 1].stats;
    const seconds = ps.reduce((s, q) => s + q.stats.seconds, 0);
    const items = ps.reduce((s, q) => s + q.stats.itemsPerSecond * q.stats.seconds, 0);
    return {
      ...last,
      seconds,
      itemsPerSecond: seconds > 0 ? items / seconds : last.itemsPerSecond,
      workers: Math.max(...ps.map((q) => q.on.length)),
      parts: ps.map((q) => ({ seconds: q.stats.seconds, itemsPerSecond: q.stats.itemsPerSecond, workers: q.on })),
    };
  });
}
