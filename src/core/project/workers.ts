/**
 * The project's job runner, made on first use from the factory the door gave (the CLI, the bench and the extension
 * pass the worker pool; the engine never imports it), started once, restarted on demand after dispose().
 */
import type { JobName, JobParams, JobResult, JobRunner, JobRunnerFactory, JobRunOptions } from '../../protocol/jobs';
import type { ProjectConfig } from '../config';
import { ProjectError } from './errors';

export class Workers implements JobRunner {
  private runner: JobRunner | undefined;
  private started: Promise<{ name: string }> | undefined;
  private backendName: string | undefined;

  constructor(
    private readonly config: ProjectConfig,
    private readonly factory: JobRunnerFactory | undefined,
  ) {}

  get size(): number {
    return this.config.workers;
  }

  /** The backend the workers loaded, once they started. */
  get backend(): string | undefined {
    return this.backendName;
  }

  start(): Promise<{ name: string }> {
    if (!this.factory)
      throw new ProjectError('no-runner', 'this project was opened without a job runner: it can read and label, not train');
    if (!this.runner) {
      const runner = this.factory({ size: this.config.workers, backend: this.config.backend });
      this.runner = runner;
      this.started = runner.start().then((b) => {
        this.backendName = b.name;
        return b;
      });
    }
    return this.started as Promise<{ name: string }>;
  }

  async run<K extends JobName>(job: K, params: JobParams<K>, opts: JobRunOptions = {}): Promise<JobResult<K>> {
    await this.start();
    return (this.runner as JobRunner).run(job, params, opts);
  }

  /** Stops the worker threads; they restart on the next job. */
  async dispose(): Promise<void> {
    const r = this.runner;
    this.runner = undefined;
    this.started = undefined;
    if (r) await r.dispose();
  }
}
