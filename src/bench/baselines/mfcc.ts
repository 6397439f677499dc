/**
 * The audio features of baseline `mfcc-logreg`: per clip, 20 MFCCs of the same log-mel spectrogram SelfLabel's
 * encoder sees (the same clip length, 40 mels, 25 ms / 10 ms), summarised by their mean and standard deviation over
 * the frames (40 numbers), each standardised over the pool. The logistic regression on top is the shared one
 * (./linear.ts, in ./index.ts).
 */
import type { Item } from '../../core/types';
import { AUDIO_MELS, audioFeatureRows, audioFrames, clipSecondsOf } from '../../core/modalities/audio/features';
import { mfcc, mfccStats } from '../../core/modalities/audio/mfcc';

export const MFCC_COEFFS = 20;

export interface MfccRows {
  /** n × 2·MFCC_COEFFS (mean, std), standardised with the pool's statistics. */
  X: Float32Array;
  n: number;
  ids: string[];
}

async function readRows(root: string, items: readonly Item[], seconds: number, signal?: AbortSignal): Promise<MfccRows> {
  const frames = audioFrames(seconds);
  const per = frames * AUDIO_MELS;
  const spec = new Float32Array(items.length * per);
  const failed = new Set(
    (await audioFeatureRows(root, items, { seconds, frames, mels: AUDIO_MELS, out: spec, offset: 0, signal })).map((f) => f.index),
  );
  const dim = 2 * MFCC_COEFFS;
  const X = new Float32Array(items.length * dim);
  const ids: string[] = [];
  items.forEach((it, i) => {
    if (failed.has(i)) return;
    const m = mfcc({ data: spec.subarray(i * per, (i + 1) * per), frames, nMels: AUDIO_MELS }, MFCC_COEFFS);
    X.set(mfccStats(m), ids.length * dim);
    ids.push(it.id);
  });
  return { X: X.subarray(0, ids.length * dim), n: ids.length, ids };
}

/** MFCC mean+std rows of the pool and test clips, standardised with the pool's mean and std per column. */
export async function mfccFeatures(
  poolRoot: string,
  poolItems: readonly Item[],
  test: { root: string; items: readonly Item[] } | undefined,
  o: { clipSeconds?: number | 'auto'; signal?: AbortSignal },
): Promise<{ pool: MfccRows; test: MfccRows | null; dim: number; seconds: number }> {
  const seconds = clipSecondsOf(o.clipSeconds ?? 'auto', poolItems);
  const pool = await readRows(poolRoot, poolItems, seconds, o.signal);
  const t = test ? await readRows(test.root, test.items, seconds, o.signal) : null;
  const dim = 2 * MFCC_COEFFS;
  for (let j = 0; j < dim; j++) {
    let s = 0;
    let s2 = 0;
    for (let i = 0; i < pool.n; i++) {
      const v = pool.X[i * dim + j];
      s += v;
      s2 += v * v;
    }
    const mean = pool.n ? s / pool.n : 0;
    const sd = Math.sqrt(Math.max(1e-12, pool.n ? s2 / pool.n - mean * mean : 1));
    for (const r of t ? [pool, t] : [pool]) for (let i = 0; i < r.n; i++) r.X[i * dim + j] = (r.X[i * dim + j] - mean) / sd;
  }
  return { pool, test: t, dim, seconds };
}
