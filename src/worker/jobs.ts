/**
 * The jobs a training worker can run, by name. Each handler runs inside a worker thread (src/worker/trainWorker.ts),
 * gets its params as sent by WorkerPool.run (structured clone; SharedArrayBuffers are shared, not copied) and returns
 * its result plus an optional transfer list. Handlers must check ctx.signal between batches so a cancel is prompt.
 */
import type { Progress } from '../core/types';
import { engineJobs } from './engineJobs';

export interface JobContext {
  signal: AbortSignal;
  progress(p: Progress): void;
  backend: string;
}
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type JobHandler = (params: any, ctx: JobContext) => Promise<{ result: unknown; transfer?: Transferable[] }>;

export const jobs: Record<string, JobHandler> = {
  ...engineJobs,
};
