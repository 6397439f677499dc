/**
 * Text-head jobs (typed in src/protocol/jobs.ts), run inside a training worker: fitting the semi-supervised text
 * head on the pool's texts (src/core/text/head.ts) and predicting texts with it.
 */
import type { TransferListItem } from 'node:worker_threads';
import type { JobContext, JobHandler } from './jobs';
import type { JobTypes } from '../protocol/jobs';
import { fitTextHead, predictTextHead, isTextHeadState } from '../core/text/head';

type Handler<K extends keyof JobTypes> = (
  params: JobTypes[K]['params'],
  ctx: JobContext,
) => Promise<{ result: JobTypes[K]['result']; transfer?: TransferListItem[] }>;

const fitText: Handler<'fitText'> = async (p, ctx) => {
  const state = await fitTextHead({
    texts: p.texts,
    train: p.train,
    nClasses: p.nClasses,
    seed: p.seed,
    signal: ctx.signal,
    onProgress: ctx.progress,
  });
  return { result: state };
};

const predictText: Handler<'predictText'> = async (p) => {
  if (!isTextHeadState(p.state)) throw new Error('predictText needs a text-head state (kind "text-spread-nb")');
  const probs = predictTextHead(p.state, p.texts);
  return { result: { probs }, transfer: [probs.buffer as ArrayBuffer] };
};

export const textJobs: Record<string, JobHandler> = { fitText, predictText };
