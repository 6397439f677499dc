/**
 * The message loop of a worker thread, for any registry of jobs: the product's (src/worker/trainWorker.ts) or a
 * test's (test/fixtures/worker/testWorker.ts).
 *
 * On start it reads `workerData.backend` (a backend preference), initialises tfjs (src/core/backend), and posts
 * `{type:'ready', backend}`. Then it runs the jobs one at a time, in the order they arrive: each gets an AbortSignal
 * (fired by a 'cancel' message), a progress callback and the backend name; its result is posted with its transfer
 * list, a thrown error is posted serialised. Messages that do not validate are dropped and logged. An uncaught
 * exception or unhandled rejection is reported as an error (of the running job, if any) and the worker exits with
 * code 1, so the pool rejects and replaces it instead of waiting forever.
 */
import * as os from 'node:os';
import { parentPort, workerData, type TransferListItem } from 'node:worker_threads';
import { initBackend, isBackendPreference, type BackendInfo, type BackendPreference } from '../core/backend';
import type { Progress } from '../core/types';
import { isToWorkerMessage, serializeError, type FromWorkerMessage, type RunMessage } from '../protocol/worker';
import { describe } from '../protocol/validate';
import type { AnyJobHandlers, JobContext } from './handler';

interface Running {
  id: number;
  controller: AbortController;
}

const port = parentPort;
let jobs: AnyJobHandlers = {};

/**
 * Lowers this thread's scheduling priority by `nice` (0-19; the VS Code extension sets 10, the CLI leaves it at 0).
 * On Linux a thread's nice value is its own (setpriority on the calling thread), so training keeps every idle core
 * but yields to the extension host's event loop and the editor when they need the CPU. Elsewhere this may lower the
 * whole process or fail; failures are ignored.
 */
function lowerPriority(value: string | undefined): void {
  const nice = Math.min(19, Math.max(0, Math.floor(Number(value))));
  if (!Number.isFinite(nice) || nice <= 0 || process.platform !== 'linux') return;
  try {
    os.setPriority(0, Math.min(19, os.getPriority(0) + nice));
  } catch {
    // Not allowed here (e.g. a sandbox): train at normal priority.
  }
}
const queue: RunMessage[] = [];
let running: Running | undefined;
let backend: BackendInfo | undefined;
let fatal = false;

function post(message: FromWorkerMessage, transfer?: readonly TransferListItem[]): void {
  port?.postMessage(message, transfer as TransferListItem[] | undefined);
}

function log(message: string): void {
  console.warn(`[selflabel worker] ${message}`);
}

/**
 * Reports an error nobody caught and ends the worker (its state can no longer be trusted). The report has id null
 * (the worker failed, not just a job): the pool rejects the running job, if any, when the exit follows.
 */
function die(error: unknown): void {
  if (fatal) return;
  fatal = true;
  if (!port) console.error(error);
  try {
    post({ type: 'error', id: null, error: serializeError(error) });
  } finally {
    // Let the message leave before the thread stops.
    setImmediate(() => process.exit(1));
  }
}

function abortError(id: number): Error {
  const e = new Error(`job ${id} was cancelled`);
  e.name = 'AbortError';
  return e;
}

async function runJob(message: RunMessage): Promise<void> {
  const controller = new AbortController();
  running = { id: message.id, controller };
  const handler = Object.prototype.hasOwnProperty.call(jobs, message.job) ? jobs[message.job] : undefined;
  try {
    if (!handler) throw new Error(`unknown job "${message.job}" (known: ${Object.keys(jobs).join(', ') || 'none'})`);
    const ctx: JobContext = {
      signal: controller.signal,
      backend: backend?.name ?? 'unknown',
      progress(p: Progress) {
        if (!controller.signal.aborted) post({ type: 'progress', id: message.id, progress: p });
      },
    };
    const out = await handler(message.params as never, ctx);
    if (controller.signal.aborted) throw abortError(message.id);
    const transfer = (out?.transfer ?? []) as unknown as TransferListItem[];
    try {
      post({ type: 'result', id: message.id, result: out?.result }, transfer);
    } catch (e) {
      throw new Error(`job "${message.job}" returned a result that cannot be sent to the host: ${serializeError(e).message}`);
    }
  } catch (e) {
    const error = controller.signal.aborted && !(e instanceof Error && e.name === 'AbortError') ? abortError(message.id) : e;
    post({ type: 'error', id: message.id, error: serializeError(error) });
  } finally {
    running = undefined;
  }
}

async function drain(): Promise<void> {
  while (!running && !fatal && queue.length > 0) {
    const next = queue.shift() as RunMessage;
    await runJob(next);
  }
}

function onMessage(message: unknown): void {
  if (!isToWorkerMessage(message)) {
    log(`dropped a malformed message from the host: ${describe(message)}`);
    return;
  }
  if (message.type === 'cancel') {
    if (running?.id === message.id) {
      running.controller.abort();
      return;
    }
    const i = queue.findIndex((m) => m.id === message.id);
    if (i >= 0) {
      queue.splice(i, 1);
      post({ type: 'error', id: message.id, error: serializeError(abortError(message.id)) });
    }
    return;
  }
  queue.push(message);
  // Jobs that arrive before the backend is ready wait in the queue (main() drains it after 'ready').
  if (backend) void drain().catch(die);
}

/**
 * Serves `registry` on this worker thread until it is terminated. A registry still loading (the product's: the
 * modalities' worker faces load first) is awaited before the worker says it is ready; if it fails, the worker dies
 * with that error.
 */
export function serveJobs(registry: AnyJobHandlers | Promise<AnyJobHandlers>): void {
  lowerPriority(process.env.SELFLABEL_WORKER_NICE);
  main(registry).catch(die);
}

async function main(registry: AnyJobHandlers | Promise<AnyJobHandlers>): Promise<void> {
  if (!port) throw new Error('a worker script must be started as a worker thread (new Worker), not run directly');
  process.on('uncaughtException', die);
  process.on('unhandledRejection', die);
  const data: unknown = workerData;
  const requested = (data as { backend?: unknown } | null)?.backend;
  let pref: BackendPreference = 'auto';
  if (isBackendPreference(requested)) pref = requested;
  else if (requested !== undefined) log(`unknown backend preference ${describe(requested)}; using auto`);
  port.on('message', onMessage);
  port.on('messageerror', (e) => log(`a message from the host could not be deserialised: ${serializeError(e).message}`));
  jobs = await registry;
  backend = await initBackend(pref);
  post({ type: 'ready', backend });
  await drain();
}
