/**
 * WorkerPool: runs named jobs (src/worker/jobs.ts) on a small pool of worker_threads, so heavy compute never runs
 * on the calling thread (which may be the VS Code extension host).
 *
 * - Workers start lazily (or all at once with `start()`); each initialises its tfjs backend and says 'ready'.
 * - A job goes to a free worker, or to the worker it is pinned to (`opts.worker`); otherwise it waits in a FIFO
 *   queue. One job per worker at a time.
 * - Cancel with an AbortSignal: the job's promise rejects with an AbortError at once, the worker's job sees its
 *   signal fire; a worker that has not stopped within `stopTimeoutMs` is terminated and replaced.
 * - A worker that dies (process.exit, uncaught error, out of memory) rejects its job with a WorkerCrashedError
 *   that says what happened; the next job starts a fresh worker.
 * - Params and results are structured-cloned: SharedArrayBuffers are shared (no copy); list ArrayBuffers in
 *   `opts.transfer` to move instead of copy. Messages that fail validation are dropped and logged.
 * - Idle workers are unref'd: an idle pool does not keep Node alive. Call `dispose()` to stop the threads.
 */
import { Worker, type ResourceLimits, type TransferListItem } from 'node:worker_threads';
import type { BackendInfo, BackendPreference } from '../core/backend/info';
import type { Progress } from '../core/types';
import { AbortError } from '../core/util/progress';
import {
  deserializeError,
  isFromWorkerMessage,
  serializeError,
  type FromWorkerMessage,
  type ToWorkerMessage,
  type TrainWorkerData,
} from '../protocol/worker';
import { describe } from '../protocol/validate';
import { resolveWorkerScript, type WorkerScript } from './workerPath';
import type { JobMap, JobRunner, JobRunOptions, JobTypes } from '../protocol/jobs';

export { AbortError };

/** The worker running a job died (exit, uncaught error, out of memory) or could not start. */
export class WorkerCrashedError extends Error {
  override name = 'WorkerCrashedError';
  constructor(
    message: string,
    /** The worker's exit code, when it exited. */
    readonly exitCode?: number,
    override readonly cause?: Error,
  ) {
    super(message);
  }
}

export interface WorkerPoolOptions {
  /** Number of worker threads. Default 2. */
  size?: number;
  /** tfjs backend preference for every worker. Default 'auto'. */
  backend?: BackendPreference;
  /** How long a cancelled job may take to stop before its worker is terminated. Default 3000 ms. */
  stopTimeoutMs?: number;
  /** How long a worker may take to initialise and say 'ready'. Default 60 s. */
  startTimeoutMs?: number;
  /** Memory limits per worker (V8 heaps; the wasm heap is not counted). */
  resourceLimits?: ResourceLimits;
  /** Where the worker script is (default: resolveWorkerScript()). */
  script?: WorkerScript;
  /** Receives warnings (malformed messages, crashes). Default console.warn. */
  log?: (message: string) => void;
}

export type RunOptions = JobRunOptions;

interface Task {
  id: number;
  job: string;
  params: unknown;
  transfer?: readonly TransferListItem[];
  pinned?: number;
  onProgress?: (p: Progress) => void;
  signal?: AbortSignal;
  onAbort?: () => void;
  resolve(value: unknown): void;
  reject(error: Error): void;
  settled: boolean;
}

/** 'exiting': the worker reported a fatal error and is about to exit; it gets no more jobs. */
type SlotState = 'stopped' | 'starting' | 'idle' | 'busy' | 'exiting';

interface Slot {
  index: number;
  state: SlotState;
  worker?: Worker;
  task?: Task;
  /** The running task was cancelled: waiting for the worker to stop (or for the kill timer). */
  stopping?: NodeJS.Timeout;
  startTimer?: NodeJS.Timeout;
  /** Last error the worker reported or emitted, used to explain its exit. */
  lastError?: Error;
  ready?: { promise: Promise<BackendInfo>; resolve(b: BackendInfo): void; reject(e: Error): void };
  info?: BackendInfo;
}

/**
 * `J` is the set of jobs its workers run: the product's (JobTypes, src/worker/trainWorker.ts) by default; tests
 * start a pool on their own worker script with their own jobs (test/fixtures/worker/).
 */
export class WorkerPool<J extends JobMap = JobTypes> implements JobRunner<J> {
  readonly size: number;
  private readonly pref: BackendPreference;
  private readonly stopTimeoutMs: number;
  private readonly startTimeoutMs: number;
  private readonly resourceLimits?: ResourceLimits;
  private readonly script: WorkerScript;
  private readonly log: (message: string) => void;
  private readonly slots: Slot[];
  private readonly queue: Task[] = [];
  private nextId = 1;
  private disposed = false;
  private info: BackendInfo | undefined;

  constructor(opts: WorkerPoolOptions = {}) {
    const size = opts.size ?? 2;
    if (!Number.isSafeInteger(size) || size < 1) throw new RangeError(`WorkerPool size must be an integer ≥ 1, got ${size}`);
    this.size = size;
    this.pref = opts.backend ?? 'auto';
    this.stopTimeoutMs = opts.stopTimeoutMs ?? 3000;
    this.startTimeoutMs = opts.startTimeoutMs ?? 60_000;
    this.resourceLimits = opts.resourceLimits;
    this.script = opts.script ?? resolveWorkerScript();
    this.log = opts.log ?? ((m) => console.warn(`[selflabel pool] ${m}`));
    this.slots = Array.from({ length: size }, (_, index) => ({ index, state: 'stopped' as SlotState }));
  }

  /** The backend the workers run (known once one worker is ready). */
  get backend(): BackendInfo | undefined {
    return this.info;
  }

  /** Jobs waiting for a worker. */
  get pending(): number {
    return this.queue.length;
  }

  /** Starts every worker and resolves with the backend once all are ready. */
  async start(): Promise<BackendInfo> {
    this.assertOpen();
    const ready = this.slots.map((slot) => this.ensureStarted(slot));
    const infos = await Promise.all(ready);
    return infos[0];
  }

  /** Runs `job` with `params` on a worker and resolves with its result. */
  run<K extends keyof J & string>(job: K, params: J[K]['params'], opts: RunOptions = {}): Promise<J[K]['result']> {
    return new Promise<J[K]['result']>((resolve, reject) => {
      if (this.disposed) {
        reject(new Error('WorkerPool is disposed'));
        return;
      }
      if (typeof job !== 'string' || job.length === 0) {
        reject(new TypeError('WorkerPool.run: job must be a non-empty string'));
        return;
      }
      if (opts.worker !== undefined && !(Number.isSafeInteger(opts.worker) && opts.worker >= 0)) {
        reject(new RangeError(`WorkerPool.run: worker must be an integer ≥ 0, got ${opts.worker}`));
        return;
      }
      if (opts.signal?.aborted) {
        reject(new AbortError(`job "${job}" was cancelled before it started`));
        return;
      }
      const task: Task = {
        id: this.nextId++,
        job,
        params,
        transfer: opts.transfer,
        pinned: opts.worker === undefined ? undefined : opts.worker % this.size,
        onProgress: opts.onProgress,
        signal: opts.signal,
        resolve: resolve as (v: unknown) => void,
        reject,
        settled: false,
      };
      if (opts.signal) {
        task.onAbort = () => this.cancel(task);
        opts.signal.addEventListener('abort', task.onAbort, { once: true });
      }
      this.queue.push(task);
      this.dispatch();
    });
  }

  /** Runs `job` once on every worker (e.g. to load a model everywhere); results in worker order. */
  runOnAll<K extends keyof J & string>(
    job: K,
    params: J[K]['params'],
    opts: Omit<RunOptions, 'worker' | 'transfer'> = {},
  ): Promise<J[K]['result'][]> {
    return Promise.all(this.slots.map((slot) => this.run(job, params, { ...opts, worker: slot.index })));
  }

  /** Rejects queued and running jobs, terminates the workers and waits for them to stop. */
  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    for (const task of this.queue.splice(0)) this.settle(task, new Error('WorkerPool disposed before the job started'));
    const exits: Promise<unknown>[] = [];
    for (const slot of this.slots) {
      if (slot.task) this.settle(slot.task, new AbortError(`job "${slot.task.job}" was cancelled: the worker pool was disposed`));
      slot.ready?.reject(new Error('WorkerPool disposed while the worker was starting'));
      this.clearTimers(slot);
      const worker = slot.worker;
      slot.worker = undefined;
      slot.task = undefined;
      slot.state = 'stopped';
      if (worker) exits.push(worker.terminate().catch(() => undefined));
    }
    await Promise.all(exits);
  }

  // ─────────────────────────────── scheduling ───────────────────────────────

  private assertOpen(): void {
    if (this.disposed) throw new Error('WorkerPool is disposed');
  }

  private dispatch(): void {
    if (this.disposed) return;
    // Hand queued jobs (FIFO) to idle workers.
    for (const slot of this.slots) {
      while (slot.state === 'idle' && !slot.task) {
        const i = this.queue.findIndex((t) => t.pinned === undefined || t.pinned === slot.index);
        if (i < 0) break;
        const [task] = this.queue.splice(i, 1);
        this.send(slot, task);
      }
    }
    // Start stopped workers that have work: jobs pinned to them, or unpinned jobs no starting worker will take.
    let unpinned = this.queue.filter((t) => t.pinned === undefined).length;
    unpinned -= this.slots.filter((s) => s.state === 'starting' && !this.queue.some((t) => t.pinned === s.index)).length;
    for (const slot of this.slots) {
      if (slot.state !== 'stopped') continue;
      if (this.queue.some((t) => t.pinned === slot.index)) {
        void this.ensureStarted(slot).catch(() => undefined);
      } else if (unpinned > 0) {
        unpinned--;
        void this.ensureStarted(slot).catch(() => undefined);
      }
    }
  }

  private send(slot: Slot, task: Task): void {
    const worker = slot.worker as Worker;
    slot.task = task;
    slot.state = 'busy';
    worker.ref();
    const message: ToWorkerMessage = { type: 'run', id: task.id, job: task.job, params: task.params };
    try {
      worker.postMessage(message, task.transfer as TransferListItem[] | undefined);
    } catch (e) {
      slot.task = undefined;
      slot.state = 'idle';
      worker.unref();
      this.settle(task, new Error(`job "${task.job}": its params cannot be sent to a worker: ${serializeError(e).message}`));
    }
  }

  private cancel(task: Task): void {
    if (task.settled) return;
    const queued = this.queue.indexOf(task);
    if (queued >= 0) {
      this.queue.splice(queued, 1);
      this.settle(task, new AbortError(`job "${task.job}" was cancelled before it started`));
      return;
    }
    const slot = this.slots.find((s) => s.task === task);
    this.settle(task, new AbortError(`job "${task.job}" was cancelled`));
    if (!slot?.worker) return;
    const cancel: ToWorkerMessage = { type: 'cancel', id: task.id };
    slot.worker.postMessage(cancel);
    // The job checks its signal between batches; if it does not stop in time, stop the thread.
    slot.stopping = setTimeout(() => {
      if (slot.task !== task || !slot.worker) return;
      this.log(`worker ${slot.index} did not stop job "${task.job}" within ${this.stopTimeoutMs} ms of a cancel: terminating it`);
      slot.lastError = new Error(`terminated: job "${task.job}" did not stop within ${this.stopTimeoutMs} ms of a cancel`);
      void slot.worker.terminate();
    }, this.stopTimeoutMs);
    slot.stopping.unref();
  }

  private settle(task: Task, error: Error | undefined, result?: unknown): void {
    if (task.settled) return;
    task.settled = true;
    if (task.onAbort) task.signal?.removeEventListener('abort', task.onAbort);
    if (error) task.reject(error);
    else task.resolve(result);
  }

  private clearTimers(slot: Slot): void {
    if (slot.stopping) clearTimeout(slot.stopping);
    if (slot.startTimer) clearTimeout(slot.startTimer);
    slot.stopping = undefined;
    slot.startTimer = undefined;
  }

  /** The job on `slot` is over (result, error or crash): free the slot and give it more work. */
  private finish(slot: Slot): void {
    if (slot.stopping) clearTimeout(slot.stopping);
    slot.stopping = undefined;
    slot.task = undefined;
    if (slot.state === 'busy') {
      slot.state = 'idle';
      slot.worker?.unref();
    }
    this.dispatch();
  }

  // ─────────────────────────────── workers ───────────────────────────────

  private ensureStarted(slot: Slot): Promise<BackendInfo> {
    if (slot.state === 'idle' || slot.state === 'busy') return Promise.resolve(slot.info as BackendInfo);
    if ((slot.state === 'starting' || slot.state === 'exiting') && slot.ready) return slot.ready.promise;
    let resolve!: (b: BackendInfo) => void;
    let reject!: (e: Error) => void;
    const promise = new Promise<BackendInfo>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    slot.ready = { promise, resolve, reject };
    // A worker on its way out is replaced as soon as it has exited (onExit starts the new one).
    if (slot.state === 'exiting') return promise;
    return this.spawn(slot);
  }

  /** Starts the worker of a stopped slot; settles slot.ready when it is ready or failed. */
  private spawn(slot: Slot): Promise<BackendInfo> {
    const { promise, reject } = slot.ready as NonNullable<Slot['ready']>;
    slot.state = 'starting';
    slot.lastError = undefined;
    slot.info = undefined;
    const workerData: TrainWorkerData = { backend: this.pref };
    let worker: Worker;
    try {
      worker = new Worker(this.script.file, {
        execArgv: this.script.execArgv,
        workerData,
        resourceLimits: this.resourceLimits,
      });
    } catch (e) {
      slot.state = 'stopped';
      slot.ready = undefined;
      const error = new WorkerCrashedError(`could not start a worker from ${this.script.file}: ${serializeError(e).message}`);
      this.failStart(slot, error);
      reject(error);
      return promise;
    }
    slot.worker = worker;
    worker.on('message', (m: unknown) => this.onMessage(slot, worker, m));
    worker.on('messageerror', (e) => this.log(`worker ${slot.index}: a message could not be deserialised: ${serializeError(e).message}`));
    worker.on('error', (e: Error) => {
      if (slot.worker === worker) slot.lastError = e;
    });
    worker.on('exit', (code) => this.onExit(slot, worker, code));
    slot.startTimer = setTimeout(() => {
      if (slot.worker !== worker || slot.state !== 'starting') return;
      slot.lastError = new Error(`the worker did not become ready within ${this.startTimeoutMs} ms`);
      void worker.terminate();
    }, this.startTimeoutMs);
    slot.startTimer.unref();
    return promise;
  }

  private onMessage(slot: Slot, worker: Worker, raw: unknown): void {
    if (slot.worker !== worker) return;
    if (!isFromWorkerMessage(raw)) {
      this.log(`worker ${slot.index}: dropped a malformed message: ${describe(raw)}`);
      return;
    }
    const m: FromWorkerMessage = raw;
    switch (m.type) {
      case 'ready': {
        if (slot.state !== 'starting') return;
        if (slot.startTimer) clearTimeout(slot.startTimer);
        slot.startTimer = undefined;
        slot.state = 'idle';
        worker.unref(); // idle workers do not keep Node alive (busy ones do, see send)
        slot.info = m.backend;
        this.info ??= m.backend;
        slot.ready?.resolve(m.backend);
        this.dispatch();
        return;
      }
      case 'progress': {
        const task = slot.task;
        if (task?.id !== m.id || task.settled || !task.onProgress) return;
        try {
          task.onProgress(m.progress);
        } catch (e) {
          this.log(`onProgress of job "${task.job}" threw: ${serializeError(e).message}`);
        }
        return;
      }
      case 'result':
      case 'error': {
        if (m.type === 'error' && m.id === null) {
          // The worker itself failed and exits next: remember why (to explain the exit), give it no more jobs.
          slot.lastError = deserializeError(m.error);
          if (slot.state === 'idle' || slot.state === 'busy') {
            slot.state = 'exiting';
            slot.ready = undefined;
          }
          return;
        }
        const task = slot.task;
        if (task?.id !== m.id) return;
        if (m.type === 'result') this.settle(task, undefined, m.result);
        else this.settle(task, deserializeError(m.error));
        this.finish(slot);
        return;
      }
    }
  }

  private onExit(slot: Slot, worker: Worker, code: number): void {
    if (slot.worker !== worker) return;
    const wasStarting = slot.state === 'starting';
    const restart = slot.state === 'exiting' ? slot.ready : undefined;
    const task = slot.task;
    this.clearTimers(slot);
    slot.worker = undefined;
    slot.state = 'stopped';
    slot.task = undefined;
    if (this.disposed) return;
    const why = slot.lastError ? `: ${slot.lastError.name === 'Error' ? '' : `${slot.lastError.name}: `}${slot.lastError.message}` : '';
    if (wasStarting) {
      const error = new WorkerCrashedError(`worker ${slot.index} exited with code ${code} while starting${why}`, code, slot.lastError);
      slot.ready?.reject(error);
      slot.ready = undefined;
      this.failStart(slot, error);
      return;
    }
    slot.ready = undefined;
    if (task && !task.settled) {
      const error = new WorkerCrashedError(
        `worker ${slot.index} exited with code ${code} while running job "${task.job}"${why}`,
        code,
        slot.lastError,
      );
      this.log(error.message);
      this.settle(task, error);
    } else if (!task) {
      this.log(`worker ${slot.index} exited with code ${code}${why}`);
    }
    if (restart) {
      // Someone asked for this worker while it was exiting (start() / runOnAll): start its replacement now.
      slot.ready = restart;
      void this.spawn(slot).catch(() => undefined);
    }
    this.dispatch();
  }

  /**
   * A worker could not start: fail the jobs that were waiting for it (jobs pinned to it, and unpinned jobs when no
   * other worker is up or starting), so callers get the reason instead of waiting forever.
   */
  private failStart(slot: Slot, error: Error): void {
    this.log(error.message);
    const othersAlive = this.slots.some((s) => s !== slot && s.state !== 'stopped');
    for (let i = this.queue.length - 1; i >= 0; i--) {
      const task = this.queue[i];
      if (task.pinned === slot.index || (task.pinned === undefined && !othersAlive)) {
        this.queue.splice(i, 1);
        this.settle(task, error);
      }
    }
  }
}
