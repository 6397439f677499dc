/**
 * The engine's jobs (typed in src/protocol/jobs.ts), run inside a training worker: decoding images, self-supervised
 * pretraining, embedding, fitting the classifier, predicting. Thin adapters from job params to the engine's ML
 * functions in src/core/{ssl,models,train}.
 */
import type { TransferListItem } from 'node:worker_threads';
import type { JobContext, JobHandler } from './jobs';
import type { JobTypes } from '../protocol/jobs';
import { loadImage } from '../core/dataset';
import { pretrainImageEncoder, embedImages } from '../core/ssl/imagePretrain';
import { pretrainTextEncoder, embedTexts } from '../core/ssl/textPretrain';
import { fitClassifier, predict, type ClassifierState } from '../core/train/classifier';
import { fitSemiSupervised } from '../core/train/semi';
import { buildKnnGraph } from '../core/train/graph';
import { trainImageStudent, studentLogits } from '../core/train/student';
import type { ImageData } from '../protocol/jobs';

const pixelsOf = (d: ImageData) => new Uint8Array(d.pixels, 0, d.n * d.size * d.size * d.channels);

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

const pretrain: Handler<'pretrain'> = async (p, ctx) => {
  const common = {
    epochs: p.epochs,
    seed: p.seed,
    checkpointDir: p.checkpointDir,
    resume: p.resume,
    maxSeconds: p.maxSeconds,
    signal: ctx.signal,
    onProgress: ctx.progress,
  };
  let r;
  if (p.data.kind === 'image') {
    if (p.task !== 'simclr' && p.task !== 'rotation') throw new Error(`unknown image pretext task "${p.task}"`);
    const d = p.data;
    r = await pretrainImageEncoder({ ...common, task: p.task, pixels: new Uint8Array(d.pixels, 0, d.n * d.size * d.size * d.channels), n: d.n, size: d.size, channels: d.channels });
  } else {
    if (p.task !== 'masked' && p.task !== 'contrastive') throw new Error(`unknown text pretext task "${p.task}"`);
    r = await pretrainTextEncoder({ ...common, task: p.task, texts: p.data.texts });
  }
  return { result: { task: r.task, epochs: r.epochs, seconds: r.seconds, itemsPerSecond: r.itemsPerSecond, finalLoss: r.finalLoss } };
};

const embed: Handler<'embed'> = async (p, ctx) => {
  const common = { checkpointDir: p.checkpointDir, signal: ctx.signal, onProgress: ctx.progress };
  const r =
    p.data.kind === 'image'
      ? await embedImages({ ...common, pixels: new Uint8Array(p.data.pixels, 0, p.data.n * p.data.size * p.data.size * p.data.channels), n: p.data.n, size: p.data.size, channels: p.data.channels })
      : await embedTexts({ ...common, texts: p.data.texts });
  return { result: r, transfer: [r.embeddings.buffer as ArrayBuffer] };
};

const fit: Handler<'fit'> = async (p, ctx) => {
  const common = {
    X: new Float32Array(p.X, 0, p.n * p.dim),
    n: p.n,
    dim: p.dim,
    train: p.train,
    nClasses: p.nClasses,
    seed: p.seed,
    signal: ctx.signal,
    onProgress: ctx.progress,
  };
  if (p.head === 'spread') {
    if (!p.graph) throw new Error('the spread head needs the kNN graph of the items');
    // keep 1: every spread label joins the classifier's training set (best on MNIST: 95.8% with 10 labels/class).
    return { result: await fitSemiSupervised({ ...common, graph: p.graph, keep: 1 }) };
  }
  return { result: await fitClassifier(common) };
};

const graph: Handler<'graph'> = async (p, ctx) => {
  const g = await buildKnnGraph({ X: new Float32Array(p.X, 0, p.n * p.dim), n: p.n, dim: p.dim, k: p.k, signal: ctx.signal, onProgress: ctx.progress });
  return { result: g, transfer: [g.idx.buffer as ArrayBuffer, g.sim.buffer as ArrayBuffer] };
};

const finetune: Handler<'finetune'> = async (p, ctx) => {
  const d = p.data;
  const r = await trainImageStudent({
    pixels: pixelsOf(d),
    n: d.n,
    size: d.size,
    channels: d.channels,
    train: p.train,
    nClasses: p.nClasses,
    epochs: p.epochs,
    seed: p.seed,
    initFrom: p.initFrom,
    checkpointDir: p.checkpointDir,
    signal: ctx.signal,
    onProgress: ctx.progress,
  });
  return { result: r };
};

const finetuneLogits: Handler<'finetuneLogits'> = async (p, ctx) => {
  const d = p.data;
  const r = await studentLogits({ checkpointDir: p.checkpointDir, pixels: pixelsOf(d), n: d.n, size: d.size, channels: d.channels, signal: ctx.signal, onProgress: ctx.progress });
  return { result: r, transfer: [r.logits.buffer as ArrayBuffer] };
};

const predictJob: Handler<'predict'> = async (p) => {
  const r = predict(p.state as ClassifierState, new Float32Array(p.X, 0, p.n * p.dim), p.n, p.dim);
  return { result: { probs: r.probs }, transfer: [r.probs.buffer as ArrayBuffer] };
};

export const engineJobs: Record<string, JobHandler> = {
  decodeImages,
  pretrain,
  embed,
  fit,
  graph,
  finetune,
  finetuneLogits,
  predict: predictJob,
};
