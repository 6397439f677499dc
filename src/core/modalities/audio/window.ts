/**
 * Splitting long recordings into windows that are items of their own, named like rows: `talk.wav#3` is the third
 * window (1-based). A recording up to `maxItemSeconds` is one item with no `#`.
 */
import type { AudioWindow, WindowOptions } from './types';

export const WINDOW_DEFAULTS: Required<WindowOptions> = {
  maxItemSeconds: 30,
  windowSeconds: 10,
  hopSeconds: 10,
  minLastSeconds: 1,
};

export function resolveWindowOptions(o: WindowOptions = {}): Required<WindowOptions> {
  const windowSeconds = o.windowSeconds ?? WINDOW_DEFAULTS.windowSeconds;
  const r = {
    maxItemSeconds: o.maxItemSeconds ?? WINDOW_DEFAULTS.maxItemSeconds,
    windowSeconds,
    hopSeconds: o.hopSeconds ?? windowSeconds,
    minLastSeconds: o.minLastSeconds ?? WINDOW_DEFAULTS.minLastSeconds,
  };
  for (const [k, v] of Object.entries(r)) {
    if (!Number.isFinite(v) || v < 0 || (k !== 'minLastSeconds' && v === 0))
      throw new RangeError(`audio window option ${k} must be a positive number (got ${v})`);
  }
  return r;
}

/** The clips of a recording of `duration` seconds. */
export function planWindows(duration: number, opts: WindowOptions = {}): AudioWindow[] {
  const o = resolveWindowOptions(opts);
  if (!(duration > 0)) return [];
  if (duration <= o.maxItemSeconds) return [{ start: 0, duration }];
  const out: AudioWindow[] = [];
  const eps = 1e-9;
  for (let k = 0; ; k++) {
    const start = k * o.hopSeconds;
    if (start >= duration - eps) break;
    const len = Math.min(o.windowSeconds, duration - start);
    if (len < o.windowSeconds - eps && len < o.minLastSeconds && out.length) break;
    out.push({ index: k + 1, start, duration: len });
    if (start + len >= duration - eps) break;
  }
  return out;
}

/** The item id of a window: `file#index`, or `file` for a whole-file clip. */
export function windowId(fileId: string, w: AudioWindow): string {
  return w.index === undefined ? fileId : `${fileId}#${w.index}`;
}

/** Parses `file#3` into the file id and window index (undefined for a whole file). */
export function parseWindowId(id: string): { file: string; index?: number } {
  const m = /^(.*)#(\d+)$/.exec(id);
  return m ? { file: m[1], index: Number(m[2]) } : { file: id };
}
