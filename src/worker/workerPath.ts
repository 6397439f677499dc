/**
 * Where the training worker's entry script is, and how to start it.
 *
 * - Running from source under tsx (this file is a .ts file): src/worker/trainWorker.ts, started with
 *   `--require <tsx/cjs>` so the worker can load TypeScript too. (`--import tsx` does not work for a worker's entry
 *   on Node 20: its ESM hooks are not applied to the worker's main module — "Unknown file extension .ts".)
 * - Running from the esbuild bundle (dist/extension.js, dist/cli.js): scripts/build.mjs writes the worker bundle
 *   to dist/worker.js, next to this code's bundle.
 * - Running from a plain tsc build (out/…/workerPath.js): the sibling trainWorker.js.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

export interface WorkerScript {
  /** Absolute path of the script to pass to `new Worker`. */
  file: string;
  /** `execArgv` for the worker (replaces the parent's, so debugger flags are not inherited). */
  execArgv: string[];
}

/** Resolves the worker entry for the way this code is running. `dir`/`self` are for tests. */
export function resolveWorkerScript(dir: string = __dirname, self: string = __filename): WorkerScript {
  if (self.endsWith('.ts')) {
    return { file: path.join(dir, 'trainWorker.ts'), execArgv: tsxExecArgv() };
  }
  const bundled = path.join(dir, 'worker.js');
  if (fs.existsSync(bundled)) return { file: bundled, execArgv: [] };
  const compiled = path.join(dir, 'trainWorker.js');
  if (fs.existsSync(compiled)) return { file: compiled, execArgv: [] };
  // Report the bundle path: that is the layout a user runs, so its absence is the interesting fact.
  return { file: bundled, execArgv: [] };
}

/** Node flags that let a worker thread load .ts files through tsx's CommonJS hook. */
export function tsxExecArgv(): string[] {
  try {
    return ['--require', require.resolve('tsx/cjs')];
  } catch {
    return ['--import', 'tsx'];
  }
}
