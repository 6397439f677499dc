/**
 * What the worker runtime (src/worker/runtime.ts) serves: a registry of job handlers. The handler types are part of
 * the job protocol (src/protocol/jobs.ts); this file adds the untyped view the runtime dispatches on.
 */
import type { TransferListItem } from 'node:worker_threads';
import type { JobContext } from '../protocol/jobs';

export type { JobContext, JobHandler, JobHandlers } from '../protocol/jobs';

/** A registry as the runtime sees it: any job name, params checked by the handler itself. */
export type AnyJobHandlers = Record<
  string,
  (params: never, ctx: JobContext) => Promise<{ result: unknown; transfer?: TransferListItem[] }>
>;
