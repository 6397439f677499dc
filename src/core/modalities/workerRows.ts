/**
 * What the modalities' `load` shares: the items missing from the cache, decoded in the workers. The rows are split in
 * contiguous parts of at least `minRows` (at most one part per worker), each part one job on its own worker writing
 * rows `offset…` of the caller's scratch buffer; progress of the parts is merged into one. The modality says which
 * job decodes a part (image: `decodeImages` into pixels, audio: `audioFeatures` into log-mel rows).
 */
import type { Item } from '../types';
import type { JobRunOptions } from '../../protocol/jobs';
import type { FailedItem, ModalityContext, StageOptions } from './types';
import { combineProgress } from '../util/progress';

/** A part of the missing rows, decoded by one job: its items, the first scratch row it writes, and the job's options. */
export type DecodePart = (
  items: Item[],
  offset: number,
  run: JobRunOptions,
) => Promise<{ failed: readonly { index: number; reason: string }[] }>;

/**
 * Decodes `items[missing[k]]` into scratch row k over the workers with `decode`; returns the items that failed, by id
 * (in the order of the rows).
 */
export async function decodeInWorkers(
  ctx: Pick<ModalityContext, 'config'>,
  items: readonly Item[],
  missing: readonly number[],
  o: StageOptions & { minRows: number },
  decode: DecodePart,
): Promise<FailedItem[]> {
  const parts = Math.min(ctx.config.workers, Math.max(1, Math.ceil(missing.length / o.minRows)));
  const chunk = Math.ceil(missing.length / parts);
  const slices = Array.from({ length: parts }, (_, p) => missing.slice(p * chunk, (p + 1) * chunk));
  // Each part reports its items decoded out of its own count.
  const merge = combineProgress(
    'embed',
    slices.map((s) => s.length),
    o.onProgress,
  );
  const jobs: Promise<FailedItem[]>[] = [];
  for (let p = 0; p < parts; p++) {
    const slice = slices[p];
    if (!slice.length) continue;
    jobs.push(
      decode(
        slice.map((i) => items[i]),
        p * chunk,
        { signal: o.signal, worker: p, onProgress: merge(p) },
      ).then((r) => r.failed.map((f) => ({ id: items[slice[f.index]].id, reason: f.reason }))),
    );
  }
  return (await Promise.all(jobs)).flat();
}
