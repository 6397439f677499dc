/**
 * Picks and initialises the tfjs backend for the current thread (main thread or a training worker).
 *
 * Order for 'auto': `@tensorflow/tfjs-node` (native libtensorflow, only present on users' machines where its
 * install could download libtensorflow), then the wasm backend with SelfLabel's training kernels
 * (./wasmKernels.ts — the stock wasm backend cannot train a CNN), then the pure-JS cpu backend.
 * An explicit preference is tried first and falls back down the same chain, recording why in `reason`.
 *
 * Engine code imports `@tensorflow/tfjs` directly; tfjs-node registers its backend in the same tfjs-core engine
 * (tfjs keeps its engine and kernel registry on the global object), so no code needs to know which one runs.
 * Safe to call many times and from every worker: results are memoised per preference, calls are serialised.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import type { BackendName } from '../types';
import { isBackendPreference, type BackendInfo, type BackendPreference } from './info';
import { registerFastGradients } from './gradients';
import { registerWasmKernels } from './wasmKernels';

export type { BackendInfo, BackendPreference } from './info';
export { isBackendPreference } from './info';
export { registerWasmKernels } from './wasmKernels';
export { registerFastGradients } from './gradients';

/** The wasm binaries the wasm backend may load (it picks one by feature detection). */
const WASM_FILES = ['tfjs-backend-wasm.wasm', 'tfjs-backend-wasm-simd.wasm'];

const cache = new Map<BackendPreference, BackendInfo>();
let chain: Promise<unknown> = Promise.resolve();
let active: BackendInfo | undefined;
/** Why each backend failed to load in this thread (a failed wasm init cannot be retried: tfjs keeps its state). */
const failures = new Map<BackendName, string>();

/**
 * Selects the best available backend (or `pref`) and makes it the active tfjs backend of this thread.
 * Never throws for a backend that fails to load: it falls back and says why in `reason`. Throws only if not even
 * the cpu backend works (a broken install).
 */
export function initBackend(pref: BackendPreference = 'auto'): Promise<BackendInfo> {
  if (!isBackendPreference(pref)) {
    return Promise.reject(new TypeError(`Unknown backend preference ${JSON.stringify(pref)}: use auto, tensorflow, wasm or cpu.`));
  }
  const run = chain.then(() => init(pref));
  chain = run.catch(() => undefined);
  return run;
}

/** The backend made active by the last successful `initBackend` in this thread, if any. */
export function getBackendInfo(): BackendInfo | undefined {
  return active;
}

async function init(pref: BackendPreference): Promise<BackendInfo> {
  const cached = cache.get(pref);
  if (cached) {
    if (tf.getBackend() !== cached.name) await tf.setBackend(cached.name);
    active = cached;
    return cached;
  }
  const order: BackendName[] =
    pref === 'auto' || pref === 'tensorflow' ? ['tensorflow', 'wasm', 'cpu'] : pref === 'wasm' ? ['wasm', 'cpu'] : ['cpu'];
  registerFastGradients();
  const reasons: string[] = [];
  for (const name of order) {
    const failure = await tryBackend(name);
    if (failure === undefined) {
      const info: BackendInfo = { name };
      if (name === 'wasm') info.simd = Boolean(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT'));
      if (reasons.length > 0) info.reason = reasons.join('; ');
      cache.set(pref, info);
      active = info;
      return info;
    }
    reasons.push(failure);
  }
  throw new Error(`No tfjs backend could be initialised: ${reasons.join('; ')}`);
}

/** Makes `name` the active backend. Returns undefined on success, or why it failed. */
async function tryBackend(name: BackendName): Promise<string | undefined> {
  const earlier = failures.get(name);
  if (earlier !== undefined) return earlier;
  let failure: string | undefined;
  try {
    if (name === 'tensorflow') {
      failure = loadTfjsNode();
      if (failure === undefined && !(await tf.setBackend('tensorflow'))) failure = 'tensorflow: the tfjs-node backend did not initialise';
    } else if (name === 'wasm') {
      failure = prepareWasm();
      if (failure === undefined && !(await withoutNewProcessHandlers(() => tf.setBackend('wasm')))) {
        failure = 'wasm: the wasm backend did not initialise';
      }
    } else if (!(await tf.setBackend('cpu'))) {
      failure = 'cpu: the cpu backend did not initialise';
    }
  } catch (e) {
    failure = `${name}: ${errorText(e)}`;
  }
  if (failure === undefined) {
    try {
      await tf.ready();
      // A tiny op proves the backend really computes (a wasm binary that loads but aborts shows up here).
      const sum = tf.tidy(() => tf.add(tf.tensor1d([1, 2]), tf.tensor1d([3, 4])).dataSync());
      if (sum[0] !== 4 || sum[1] !== 6) failure = `${name}: the backend computes wrong results`;
    } catch (e) {
      failure = `${name}: ${errorText(e)}`;
    }
  }
  if (failure !== undefined) failures.set(name, failure);
  return failure;
}

const PROCESS_EVENTS = ['uncaughtException', 'unhandledRejection'] as const;

/**
 * Runs `f` and then removes any 'uncaughtException' / 'unhandledRejection' listeners it added to `process`.
 * The wasm backend's Emscripten runtime installs listeners that re-throw every uncaught error and unhandled
 * rejection of the whole process; inside a VS Code extension host (shared with other extensions) or a worker that
 * reports its own errors, that is not ours to decide. Node's default handling is left in place.
 */
async function withoutNewProcessHandlers<T>(f: () => Promise<T>): Promise<T> {
  const emitter: NodeJS.EventEmitter = process;
  const before = new Map(PROCESS_EVENTS.map((e) => [e, new Set(emitter.listeners(e))]));
  try {
    return await f();
  } finally {
    for (const event of PROCESS_EVENTS) {
      for (const listener of emitter.listeners(event)) {
        if (!before.get(event)?.has(listener)) emitter.removeListener(event, listener as (...args: unknown[]) => void);
      }
    }
  }
}

/** Requires @tensorflow/tfjs-node (an optional dependency that registers the 'tensorflow' backend). */
function loadTfjsNode(): string | undefined {
  if (tf.findBackend('tensorflow') !== null || tf.engine().registryFactory['tensorflow'] !== undefined) return undefined;
  try {
    const moduleName = '@tensorflow/tfjs-node';
    require(moduleName);
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    if (code === 'MODULE_NOT_FOUND') {
      return 'tensorflow: @tensorflow/tfjs-node is not installed (optional; it needs to download libtensorflow when installed)';
    }
    return `tensorflow: @tensorflow/tfjs-node failed to load: ${errorText(e)}`;
  }
  if (tf.engine().registryFactory['tensorflow'] === undefined) {
    return 'tensorflow: @tensorflow/tfjs-node loaded but registered no backend (two different tfjs-core copies?)';
  }
  return undefined;
}

let wasmPathsSet = false;

/** Points the wasm backend at its .wasm files and registers the training kernels. */
function prepareWasm(): string | undefined {
  if (!wasmPathsSet) {
    const dir = findWasmDir();
    if (dir === undefined) return 'wasm: the tfjs-backend-wasm .wasm files were not found next to the bundle or in node_modules';
    setWasmPaths(dir + path.sep);
    wasmPathsSet = true;
  }
  registerWasmKernels();
  return undefined;
}

/** The folder holding the wasm binaries: beside the running bundle (dist/), else the npm package's dist/. */
export function findWasmDir(): string | undefined {
  const candidates = [__dirname];
  try {
    candidates.push(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm')));
  } catch {
    // not resolvable: only the bundle folder is left
  }
  return candidates.find((dir) => WASM_FILES.every((f) => fs.existsSync(path.join(dir, f))));
}

function errorText(e: unknown): string {
  if (e instanceof Error) return e.message;
  if (typeof e === 'object' && e !== null && typeof (e as { message?: unknown }).message === 'string') {
    return (e as { message: string }).message;
  }
  return String(e);
}
