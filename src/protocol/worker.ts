/**
 * The messages between the WorkerPool (host side, src/worker/pool.ts) and a training worker
 * (src/worker/trainWorker.ts), with runtime validators used at both ends: anything that does not validate is
 * dropped and logged, never acted on.
 *
 *   host → worker   { type: 'run', id, job, params }      run job `job` (see src/protocol/jobs.ts for what is inside)
 *                   { type: 'cancel', id }                 abort job `id` (its AbortSignal fires)
 *   worker → host   { type: 'ready', backend }             handshake, once, after the tfjs backend is initialised
 *                   { type: 'progress', id, progress }      any number of times while job `id` runs
 *                   { type: 'result', id, result }          job `id` finished (ArrayBuffers may be transferred)
 *                   { type: 'error', id, error }            job `id` failed; id null = the worker itself failed
 *                                                          (backend init, uncaught error) and is about to exit
 *
 * A worker runs one job at a time. Params and results are structured-cloned: SharedArrayBuffers are shared.
 */
import type { BackendInfo } from '../core/backend/info';
import type { Progress, Stage } from '../core/types';
import { STAGES as STAGE_NAMES } from '../shared/enums';
import {
  hasShape,
  isBoolean,
  isFiniteNumber,
  isLiteral,
  isNonEmptyString,
  isNonNegativeInteger,
  isNullable,
  isObject,
  isOneOf,
  isOptional,
  isString,
  type Guard,
} from './validate';

export type { BackendInfo } from '../core/backend/info';

/** An Error flattened for postMessage. */
export interface SerializedError {
  message: string;
  name: string;
  stack?: string;
  /** Node-style error code (e.g. ERR_WORKER_OUT_OF_MEMORY), when there is one. */
  code?: string;
}

export interface RunMessage {
  type: 'run';
  id: number;
  job: string;
  params: unknown;
}
export interface CancelMessage {
  type: 'cancel';
  id: number;
}
export interface ReadyMessage {
  type: 'ready';
  backend: BackendInfo;
}
export interface ProgressMessage {
  type: 'progress';
  id: number;
  progress: Progress;
}
export interface ResultMessage {
  type: 'result';
  id: number;
  result: unknown;
}
export interface ErrorMessage {
  type: 'error';
  /** The job that failed, or null when the worker itself failed. */
  id: number | null;
  error: SerializedError;
}

export type ToWorkerMessage = RunMessage | CancelMessage;
export type FromWorkerMessage = ReadyMessage | ProgressMessage | ResultMessage | ErrorMessage;
export type WorkerMessage = ToWorkerMessage | FromWorkerMessage;

/** What the worker receives as `workerData`. */
export interface TrainWorkerData {
  backend: 'auto' | 'tensorflow' | 'wasm' | 'cpu';
}

// ---------------------------------------------------------------------------------------------------------------
// Validators

const STAGES: readonly Stage[] = STAGE_NAMES;

export const isSerializedError: Guard<SerializedError> = hasShape<SerializedError>({
  message: isString,
  name: isString,
  stack: isOptional(isString),
  code: isOptional(isString),
});

export const isBackendInfo: Guard<BackendInfo> = hasShape<BackendInfo>({
  name: isOneOf(['tensorflow', 'wasm', 'cpu'] as const),
  simd: isOptional(isBoolean),
  reason: isOptional(isString),
});

export const isProgress: Guard<Progress> = hasShape<Progress>({
  stage: isOneOf(STAGES),
  done: isFiniteNumber,
  total: isOptional(isFiniteNumber),
  etaSeconds: isOptional(isFiniteNumber),
  message: isOptional(isString),
  loss: isOptional(isFiniteNumber),
});

const isId = isNonNegativeInteger;

/** Has a `params` / `result` key (its value may be anything structured-cloneable, including undefined). */
const hasKey =
  (key: string) =>
  (v: unknown): boolean =>
    isObject(v) && key in v;

const isRun = hasShape<Omit<RunMessage, 'params'>>({ type: isLiteral('run'), id: isId, job: isNonEmptyString });
const isCancel = hasShape<CancelMessage>({ type: isLiteral('cancel'), id: isId });
const isReady = hasShape<ReadyMessage>({ type: isLiteral('ready'), backend: isBackendInfo });
const isProgressMessage = hasShape<ProgressMessage>({ type: isLiteral('progress'), id: isId, progress: isProgress });
const isResult = hasShape<Omit<ResultMessage, 'result'>>({ type: isLiteral('result'), id: isId });
const isError = hasShape<ErrorMessage>({ type: isLiteral('error'), id: isNullable(isId), error: isSerializedError });

/** A valid host → worker message. */
export function isToWorkerMessage(x: unknown): x is ToWorkerMessage {
  return (isRun(x) && hasKey('params')(x)) || isCancel(x);
}

/** A valid worker → host message. */
export function isFromWorkerMessage(x: unknown): x is FromWorkerMessage {
  return isReady(x) || isProgressMessage(x) || (isResult(x) && hasKey('result')(x)) || isError(x);
}

/** A valid message in either direction. */
export function isWorkerMessage(x: unknown): x is WorkerMessage {
  return isToWorkerMessage(x) || isFromWorkerMessage(x);
}

/** Flattens any thrown value into a SerializedError. */
export function serializeError(e: unknown): SerializedError {
  if (e instanceof Error) {
    const out: SerializedError = { message: e.message, name: e.name || 'Error' };
    if (typeof e.stack === 'string') out.stack = e.stack;
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') out.code = code;
    return out;
  }
  if (isObject(e) && typeof e.message === 'string') {
    return { message: e.message, name: typeof e.name === 'string' ? e.name : 'Error' };
  }
  return { message: typeof e === 'string' ? e : `non-Error value thrown: ${String(e)}`, name: 'Error' };
}

/** Rebuilds an Error from a SerializedError (name, message, code kept; the worker's stack is kept as the stack). */
export function deserializeError(s: SerializedError): Error {
  const e = new Error(s.message);
  e.name = s.name;
  if (s.stack !== undefined) e.stack = s.stack;
  if (s.code !== undefined) (e as Error & { code?: string }).code = s.code;
  return e;
}
