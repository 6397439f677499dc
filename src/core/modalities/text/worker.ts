/**
 * The text modality's worker face: pretext tasks (masked words, contrastive views) and embedding on the text
 * encoder, and the lexical head's jobs (fitting it on the pool's texts, predicting texts with it).
 */
import type { ModalityWorker } from '../types';
import type { JobHandlers, JobTypes } from '../../../protocol/jobs';
import { embedTexts, pretrainTextEncoder } from './pretrain';
import { fitTextHead, predictTextHead, isTextHeadState } from './lexical/head';

export const textWorker: ModalityWorker<'text'> = {
  name: 'text',
  pretextTasks: ['masked', 'contrastive'],
  async pretrain(task, data, o) {
    if (task !== 'masked' && task !== 'contrastive') throw new Error(`unknown text pretext task "${task}"`);
    const r = await pretrainTextEncoder({ ...o, task, texts: data.texts });
    return { task: r.task, epochs: r.epochs, seconds: r.seconds, itemsPerSecond: r.itemsPerSecond, finalLoss: r.finalLoss };
  },
  embed: (data, o) => embedTexts({ ...o, texts: data.texts }),
};

type TextJobs = Pick<JobTypes, 'fitText' | 'predictText'>;

export const textJobs: JobHandlers<TextJobs> = {
  async fitText(p, ctx) {
    const state = await fitTextHead({
      texts: p.texts,
      train: p.train,
      nClasses: p.nClasses,
      seed: p.seed,
      signal: ctx.signal,
      onProgress: ctx.progress,
    });
    return { result: state };
  },
  async predictText(p) {
    if (!isTextHeadState(p.state))
      throw new Error('predictText needs a text-head state (kind "text-spread-nb", "text-linear" or "text-ensemble")');
    const probs = predictTextHead(p.state, p.texts);
    return { result: { probs }, transfer: [probs.buffer as ArrayBuffer] };
  },
};
