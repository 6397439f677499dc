/**
 * The image modality's worker face: pretext tasks (SimCLR views, rotation) and embedding on the image encoder, and
 * the image jobs — decoding into shared memory, fine-tuning the encoder end to end, the fine-tuned networks' logits.
 */
import type { ModalityWorker } from '../types';
import type { ImageData, JobHandlers, JobTypes } from '../../../protocol/jobs';
import { embedImages, pretrainImageEncoder } from './pretrain';
import { studentLogits, trainImageStudent } from './student';
import { loadImage } from '../../dataset/load';
import { AbortError } from '../../util/progress';
import { calibrateLogits, planStudent } from '../../train/selfTraining';
import { fitPixelCandidate, isPixelState, pixelProbs } from './pixels';
import { pretrainSide } from './geometry';
import { shrinkImages } from './shrink';

const pixelsOf = (d: ImageData) => new Uint8Array(d.pixels, 0, d.n * d.size * d.size * d.channels);
const geometry = (d: ImageData) => ({ pixels: pixelsOf(d), n: d.n, size: d.size, channels: d.channels });

export const imageWorker: ModalityWorker<'image'> = {
  name: 'image',
  pretextTasks: ['simclr', 'rotation'],
  async pretrain(task, data, o) {
    if (task !== 'simclr' && task !== 'rotation') throw new Error(`unknown image pretext task "${task}"`);
    // At the side the pool's size allows (geometry.ts pretrainSide); what runs the encoder later shrinks to it too.
    const g = geometry(data);
    const at = shrinkImages(g, pretrainSide(g.n, g.size, g.channels));
    const r = await pretrainImageEncoder({ ...o, task, ...at });
    return {
      task: r.task,
      epochs: r.epochs,
      seconds: r.seconds,
      itemsPerSecond: r.itemsPerSecond,
      finalLoss: r.finalLoss,
      input: `${at.size}×${at.size}×${at.channels}`,
    };
  },
  embed: (data, o) => embedImages({ ...o, ...geometry(data) }),
};

type ImageJobs = Pick<
  JobTypes,
  'decodeImages' | 'finetune' | 'finetuneLogits' | 'studentPlan' | 'calibrateLogits' | 'fitPixels' | 'predictPixels'
>;

export const imageJobs: JobHandlers<ImageJobs> = {
  async decodeImages(p, ctx) {
    const per = p.size * p.size * p.channels;
    const out = new Uint8Array(p.out);
    const failed: { index: number; reason: string }[] = [];
    const t0 = Date.now();
    for (let i = 0; i < p.items.length; i++) {
      if (ctx.signal.aborted) throw new AbortError();
      try {
        out.set(await loadImage(p.root, p.items[i], p.size, p.channels), (p.offset + i) * per);
      } catch (e) {
        failed.push({ index: i, reason: (e as Error).message });
      }
      if (i % 500 === 499) {
        const rate = (i + 1) / ((Date.now() - t0) / 1000);
        ctx.progress({
          stage: 'embed',
          done: i + 1,
          total: p.items.length,
          etaSeconds: (p.items.length - i - 1) / rate,
          message: 'decoding images',
        });
      }
    }
    return { result: { failed } };
  },
  async finetune(p, ctx) {
    const r = await trainImageStudent({
      ...geometry(p.data),
      train: p.train,
      nClasses: p.nClasses,
      epochs: p.epochs,
      seed: p.seed,
      initFrom: p.initFrom,
      checkpointDir: p.checkpointDir,
      consistency: p.consistency && { ...p.consistency, index: Int32Array.from({ length: p.data.n }, (_, i) => i) },
      signal: ctx.signal,
      onProgress: ctx.progress,
    });
    return { result: r };
  },
  async fitPixels(p) {
    const r = await fitPixelCandidate(p.data, p.train, p.nClasses, p.seed);
    return { result: r, transfer: [r.probs.buffer as ArrayBuffer] };
  },
  async predictPixels(p) {
    if (!isPixelState(p.state)) throw new Error('predictPixels needs a pixel-candidate state (kind "pixels")');
    const probs = pixelProbs(p.state, p.data);
    return { result: { probs }, transfer: [probs.buffer as ArrayBuffer] };
  },
  async studentPlan(p) {
    return { result: planStudent(p) };
  },
  async calibrateLogits(p) {
    const r = calibrateLogits(p);
    return { result: r, transfer: [r.probs.buffer as ArrayBuffer] };
  },
  async finetuneLogits(p, ctx) {
    const r = await studentLogits({ checkpointDir: p.checkpointDir, ...geometry(p.data), signal: ctx.signal, onProgress: ctx.progress });
    return { result: r, transfer: [r.logits.buffer as ArrayBuffer] };
  },
};
