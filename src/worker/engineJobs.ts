/**
 * The engine's jobs (typed in src/protocol/jobs.ts), run inside a training worker: decoding images, self-supervised
 * pretraining, embedding, fitting the classifier, predicting. Thin adapters from job params to the engine's ML
 * functions in src/core/{ssl,models,train}.
 */
import type { TransferListItem } from 'node:worker_threads';
import type { JobContext, JobHandler } from './jobs';
import type { JobTypes } from '../protocol/jobs';
import { loadImage } from '../core/dataset';

type Handler<K extends keyof JobTypes> = (
  params: JobTypes[K]['params'],
  ctx: JobContext,
) => Promise<{ result: JobTypes[K]['result']; transfer?: TransferListItem[] }>;

const decodeImages: Handler<'decodeImages'> = async (p, ctx) => {
  const per = p.size * p.size * p.channels;
  const out = new Uint8Array(p.out);
  const failed: { index: number; reason: string }[] = [];
  const t0 = Date.now();
  for (let i = 0; i < p.items.length; i++) {
    if (ctx.signal.aborted) throw Object.assign(new Error('cancelled'), { name: 'AbortError' });
    try {
      const px = await loadImage(p.root, p.items[i], p.size, p.channels);
      out.set(px, (p.offset + i) * per);
    } catch (e) {
      failed.push({ index: i, reason: (e as Error).message });
    }
    if (i % 500 === 499) {
      const rate = (i + 1) / ((Date.now() - t0) / 1000);
      ctx.progress({ stage: 'embed', done: i + 1, total: p.items.length, etaSeconds: (p.items.length - i - 1) / rate, message: 'decoding images' });
    }
  }
  return { result: { failed } };
};

export const engineJobs: Record<string, JobHandler> = {
  decodeImages,
};
