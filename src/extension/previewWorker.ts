/**
 * Where the review grid's and the map's previews are decoded: a small dedicated job runner (one worker thread of the
 * worker pool), started on the first preview and stopped after a minute without one, so that the extension host
 * never decodes (FLAC, MP3 and Ogg are decoded whole). Not the project's pool: its jobs run in order, one per worker,
 * so a preview would wait behind a training job of minutes; and a preview should not start a pool of training
 * workers. A runner that fails to start or crashes is dropped, and the next preview starts a fresh one.
 * No `vscode` import: tested under Node (test/unit/audio-preview-worker.test.ts).
 */
import type { JobRunner, JobRunOptions, JobTypes } from '../protocol/jobs';
import { loadEngine } from './session';

/** The part of a job runner the previews use (PreviewOptions.runner of src/core/modalities/types.ts). */
export type PreviewRunner = Pick<JobRunner, 'run'>;

export interface PreviewWorkerOptions {
  /** Makes the runner on first use (the extension: the engine's `workerRunner({ size: 1, backend: 'cpu' })`). */
  create: () => JobRunner | Promise<JobRunner>;
  /** Stops the runner after this long without a job, in ms (default 60 s). */
  idleMs?: number;
  /** Receives errors of stopping the runner. */
  log?: (message: string, e: unknown) => void;
}

export class PreviewWorker implements PreviewRunner {
  private runner: Promise<JobRunner> | undefined;
  private running = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private disposed = false;
  /** Runners made so far (for tests and the log). */
  started = 0;

  constructor(private readonly o: PreviewWorkerOptions) {}

  get isDisposed(): boolean {
    return this.disposed;
  }

  /** True while a runner exists (started or starting). */
  get alive(): boolean {
    return this.runner !== undefined;
  }

  async run<K extends keyof JobTypes & string>(
    job: K,
    params: JobTypes[K]['params'],
    opts?: JobRunOptions,
  ): Promise<JobTypes[K]['result']> {
    if (this.disposed) throw new Error('the preview worker is stopped');
    this.clearTimer();
    this.running++;
    const made = (this.runner ??= this.make());
    try {
      let r: JobRunner;
      try {
        r = await made;
      } catch (e) {
        if (this.runner === made) this.runner = undefined; // could not be made: the next preview tries again
        throw e;
      }
      try {
        return await r.run(job, params, opts);
      } catch (e) {
        // A runner whose worker died is not reused (the job's own errors — a bad file — keep it).
        if (isCrash(e) && this.runner === made) this.drop(made);
        throw e;
      }
    } finally {
      this.running--;
      this.armTimer();
    }
  }

  /** Stops the runner; later previews are refused. */
  async dispose(): Promise<void> {
    this.disposed = true;
    this.clearTimer();
    const r = this.runner;
    this.runner = undefined;
    if (r) await stop(r);
  }

  private async make(): Promise<JobRunner> {
    this.started++;
    return this.o.create();
  }

  private drop(r: Promise<JobRunner>): void {
    this.runner = undefined;
    void stop(r).catch((e) => this.o.log?.('stopping the preview worker failed', e));
  }

  private armTimer(): void {
    if (this.running > 0 || !this.runner || this.disposed) return;
    const r = this.runner;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (this.running === 0 && this.runner === r) this.drop(r);
    }, this.o.idleMs ?? 60_000);
    this.timer.unref?.();
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}

async function stop(r: Promise<JobRunner>): Promise<void> {
  const runner = await r.catch(() => undefined);
  if (runner) await runner.dispose();
}

/** A worker that died or never started (WorkerCrashedError of src/worker/pool.ts), not a job's own error. */
function isCrash(e: unknown): boolean {
  return e instanceof Error && e.name === 'WorkerCrashedError';
}

let shared: PreviewWorker | undefined;

/** The extension's preview worker: one thread of the engine's worker pool (cpu backend), made on the first preview. */
export function previewWorker(): PreviewWorker {
  if (!shared || shared.isDisposed) {
    shared = new PreviewWorker({
      create: async () => (await loadEngine()).workerRunner({ size: 1, backend: 'cpu' }),
    });
  }
  return shared;
}

/** Stops the extension's preview worker (on deactivation). */
export async function disposePreviewWorker(): Promise<void> {
  const w = shared;
  shared = undefined;
  if (w) await w.dispose();
}
