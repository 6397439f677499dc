/** The job runner the doors (CLI, bench, extension) give the engine: the worker pool, one thread per worker. */
import type { JobRunnerFactory } from '../protocol/jobs';
import { WorkerPool } from './pool';

export const workerRunner: JobRunnerFactory = (o) => new WorkerPool({ size: o.size, backend: o.backend });
