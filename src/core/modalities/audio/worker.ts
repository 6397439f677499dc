/**
 * The audio modality's worker face: pretext tasks (contrastive views, masked frames) and embedding on the
 * spectrogram encoder, and the audio job — decoding clips to log-mel spectrograms in shared memory.
 */
import type { ModalityWorker } from '../types';
import type { AudioData, JobHandlers, JobTypes } from '../../../protocol/jobs';
import { embedAudio, pretrainAudioEncoder } from './pretrain';
import { audioFeatureRows } from './features';
import { trainAudioSupervised } from './supervised';
import { fitAudioHead, fitAudioStudent, judgeAudioStudentHalf, predictAudioHead } from './head';
import { isAudioHeadState } from './headState';
import { audioPreviewBytes } from './preview';
import { VOICE_DIM } from './voice';

const specOf = (d: AudioData) => ({
  spec: new Float32Array(d.spec, 0, d.n * d.frames * d.mels),
  n: d.n,
  frames: d.frames,
  mels: d.mels,
  ...(d.voice ? { voice: new Float32Array(d.voice, 0, d.n * VOICE_DIM) } : {}),
});

export const audioWorker: ModalityWorker<'audio'> = {
  name: 'audio',
  pretextTasks: ['contrastive', 'masked'],
  async pretrain(task, data, o) {
    if (task !== 'contrastive' && task !== 'masked') throw new Error(`unknown audio pretext task "${task}"`);
    const r = await pretrainAudioEncoder({ ...o, task, ...specOf(data) });
    return { task: r.task, epochs: r.epochs, seconds: r.seconds, itemsPerSecond: r.itemsPerSecond, finalLoss: r.finalLoss };
  },
  embed: (data, o) => embedAudio({ ...o, ...specOf(data) }),
};

type AudioJobs = Pick<
  JobTypes,
  'audioFeatures' | 'audioSupervised' | 'fitAudio' | 'fitAudioStudent' | 'judgeAudioStudent' | 'predictAudio' | 'audioPreview'
>;

export const audioJobs: JobHandlers<AudioJobs> = {
  async audioFeatures(p, ctx) {
    const t0 = Date.now();
    const failed = await audioFeatureRows(
      p.root,
      p.items,
      {
        seconds: p.seconds,
        frames: p.frames,
        mels: p.mels,
        out: new Float32Array(p.out),
        offset: p.offset,
        signal: ctx.signal,
        ...(p.voice ? { voice: new Float32Array(p.voice) } : {}),
      },
      (done) => {
        const rate = done / Math.max(1e-3, (Date.now() - t0) / 1000);
        ctx.progress({
          stage: 'embed',
          done,
          total: p.items.length,
          etaSeconds: (p.items.length - done) / rate,
          message: 'decoding audio',
        });
      },
    );
    return { result: { failed } };
  },
  async audioSupervised(p, ctx) {
    const d = specOf(p.data);
    for (const o of p.others)
      if (o.frames !== d.frames || o.mels !== d.mels) throw new Error('audioSupervised: every set must have the same frames and mels');
    const r = await trainAudioSupervised({
      pool: d,
      others: p.others.map((o) => specOf(o)),
      frames: d.frames,
      mels: d.mels,
      train: p.train,
      nClasses: p.nClasses,
      epochs: p.epochs,
      seed: p.seed,
      signal: ctx.signal,
    });
    return { result: r, transfer: r.logits.map((l) => l.buffer as ArrayBuffer) };
  },
  async fitAudio(p, ctx) {
    const state = await fitAudioHead({
      ...specOf(p.data),
      train: p.train,
      nClasses: p.nClasses,
      seed: p.seed,
      encoders: p.encoders,
      signal: ctx.signal,
      onProgress: ctx.progress,
    });
    return { result: state };
  },
  async fitAudioStudent(p, ctx) {
    if (!isAudioHeadState(p.teacher)) throw new Error('fitAudioStudent needs an audio-head state (kind "audio-head")');
    const state = await fitAudioStudent({
      ...specOf(p.data),
      teacher: p.teacher,
      train: p.train,
      nClasses: p.nClasses,
      seed: p.seed,
      dir: p.dir,
      initFrom: p.initFrom,
      signal: ctx.signal,
      onProgress: ctx.progress,
    });
    return { result: state };
  },
  async judgeAudioStudent(p, ctx) {
    if (!isAudioHeadState(p.teacher)) throw new Error('judgeAudioStudent needs an audio-head state (kind "audio-head")');
    if (p.half !== 0 && p.half !== 1) throw new Error(`judgeAudioStudent: half must be 0 or 1, got ${String(p.half)}`);
    if (!Number.isSafeInteger(p.count) || p.count < 1)
      throw new Error(`judgeAudioStudent: count must be a positive integer, got ${String(p.count)}`);
    if (p.saveTo !== undefined && (typeof p.saveTo !== 'string' || !p.saveTo))
      throw new Error('judgeAudioStudent: saveTo must be a folder path when given');
    const r = await judgeAudioStudentHalf({
      ...specOf(p.data),
      teacher: p.teacher,
      train: p.train,
      nClasses: p.nClasses,
      seed: p.seed,
      half: p.half,
      count: p.count,
      saveTo: p.saveTo,
      signal: ctx.signal,
      onProgress: ctx.progress,
    });
    return { result: r, transfer: r ? [r.teacher.buffer as ArrayBuffer, r.student.buffer as ArrayBuffer] : [] };
  },
  async predictAudio(p, ctx) {
    if (!isAudioHeadState(p.state)) throw new Error('predictAudio needs an audio-head state (kind "audio-head")');
    const probs = await predictAudioHead(p.state, specOf(p.data), { signal: ctx.signal });
    return { result: { probs }, transfer: [probs.buffer as ArrayBuffer] };
  },
  async audioPreview(p, ctx) {
    const r = await audioPreviewBytes(p.file, p.item, p.want, p.maxSeconds, ctx.signal);
    return { result: r, transfer: [r.bytes.buffer as ArrayBuffer] };
  },
};
