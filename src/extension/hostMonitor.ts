/**
 * Diagnostics of the extension host's event loop while a stage runs, for benchmarks (scripts/bench-ui.mjs) and for
 * finding what blocks it. Off unless the environment variable `SELFLABEL_HOST_DIAGNOSTICS` names a folder: then
 * each stage records an event-loop delay histogram (`perf_hooks.monitorEventLoopDelay`) and, with
 * `SELFLABEL_HOST_PROFILE=1`, a CPU profile of the host's main thread (node:inspector), and writes
 * `<folder>/<n>-<stage>.json` (+ `.cpuprofile`) when the stage ends. No `vscode` import.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';

export interface LoopDelayStats {
  stage: string;
  seconds: number;
  /** Event-loop delay percentiles in ms (the histogram's resolution is 10 ms). */
  p50: number;
  p95: number;
  p99: number;
  max: number;
  /** Stalls: the longest gaps seen by a 20 ms timer, in ms, with when they happened (s from the start). */
  stalls: { atSeconds: number; ms: number }[];
}

let counter = 0;

/** Starts recording if diagnostics are on; `stop()` writes the files and returns the stats (undefined when off). */
export function startStageMonitor(stage: string, env: NodeJS.ProcessEnv = process.env): { stop(): Promise<LoopDelayStats | undefined> } {
  const dir = env.SELFLABEL_HOST_DIAGNOSTICS;
  if (!dir) return { stop: async () => undefined };
  const n = ++counter;
  const t0 = performance.now();
  const h: IntervalHistogram = monitorEventLoopDelay({ resolution: 10 });
  h.enable();
  const stalls: { atSeconds: number; ms: number }[] = [];
  let last = performance.now();
  const timer = setInterval(() => {
    const now = performance.now();
    const gap = now - last - 20;
    last = now;
    if (gap > 50) stalls.push({ atSeconds: (now - t0) / 1000, ms: Math.round(gap) });
  }, 20);
  timer.unref?.();
  let profiler: { post: (m: string, p?: object) => Promise<unknown>; disconnect(): void } | undefined;
  if (env.SELFLABEL_HOST_PROFILE) {
    const inspector = require('node:inspector') as typeof import('node:inspector');
    const session = new inspector.Session();
    session.connect();
    const post = (m: string, p?: object) =>
      new Promise<unknown>((resolve, reject) =>
        session.post(m, p ?? {}, (err: Error | null, r?: unknown) => (err ? reject(err) : resolve(r))),
      );
    profiler = { post, disconnect: () => session.disconnect() };
    void post('Profiler.enable')
      .then(() => post('Profiler.setSamplingInterval', { interval: 1000 }))
      .then(() => post('Profiler.start'))
      .catch(() => undefined);
  }
  return {
    async stop() {
      clearInterval(timer);
      h.disable();
      const ms = (x: number) => Math.round(x / 1e5) / 10;
      const stats: LoopDelayStats = {
        stage,
        seconds: (performance.now() - t0) / 1000,
        p50: ms(h.percentile(50)),
        p95: ms(h.percentile(95)),
        p99: ms(h.percentile(99)),
        max: ms(h.max),
        stalls: stalls.sort((a, b) => b.ms - a.ms).slice(0, 50),
      };
      try {
        fs.mkdirSync(dir, { recursive: true });
        const base = path.join(dir, `${n}-${stage}`);
        if (profiler) {
          const r = (await profiler.post('Profiler.stop').catch(() => undefined)) as { profile?: unknown } | undefined;
          profiler.disconnect();
          if (r?.profile) fs.writeFileSync(`${base}.cpuprofile`, JSON.stringify(r.profile));
        }
        fs.writeFileSync(`${base}.json`, JSON.stringify(stats, null, 2));
      } catch {
        // Diagnostics never fail a stage.
      }
      return stats;
    },
  };
}
