/**
 * Baseline (a), `supervised-encoder`, for images (for audio: runAudioSupervisedBaseline below): SelfLabel's own image encoder (the default architecture for the
 * pool's size and channels) trained from random initialisation, supervised, on the run's human labels only — no
 * pretraining, no pseudo-labels. It runs the engine's `finetune` job with no checkpoint to start from
 * (`initFrom: ''`) in a worker pool of its own (tfjs stays in the worker bundle), then `finetuneLogits` on the pool
 * and test images.
 *
 * Epochs: the `finetune` job takes ⌊labels / 128⌋ (at least one) batches per epoch, so with the few labels of a
 * bench run the engine's finetuneEpochs (2) would be a couple of gradient steps. Here the epochs are chosen so the
 * network sees about `itemsSeen` (default 10,000) augmented labelled images, at most 300 epochs.
 */
import { argmaxRow } from '../../core/util/math';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Item } from '../../core/types';
import { loadImage, scanWorkspace } from '../../core/dataset';
import type { AudioData, ImageData } from '../../protocol/jobs';
import { AUDIO_MELS, audioFeatureRows, audioFrames, clipSecondsOf } from '../../core/modalities/audio/features';
import { WorkerPool } from '../../worker/pool';
import type { BackendPreference } from '../../core/backend';
import { score } from '../metrics';
import type { BaselineInput, BaselineResult } from './index';
import { inputGeometry } from '../../core/modalities/image/geometry';
import { scratchEpochs } from '../../core/modalities/image/finetune';

export interface SupervisedInput extends BaselineInput {
  backend?: BackendPreference;
  /** Labelled images the network sees in training, summed over epochs (default 10,000). */
  itemsSeen?: number;
}

/** Epochs for `labels` human labels so the network sees about `itemsSeen` images: the engine's rule. */
export const supervisedEpochs = scratchEpochs;

async function pixels(
  root: string,
  items: readonly Item[],
  size: number,
  channels: 1 | 3,
  signal?: AbortSignal,
): Promise<{ data: ImageData; ids: string[] }> {
  const per = size * size * channels;
  const sab = new SharedArrayBuffer(Math.max(1, items.length * per));
  const view = new Uint8Array(sab);
  const ids: string[] = [];
  for (const it of items) {
    if (signal?.aborted) throw Object.assign(new Error('cancelled'), { name: 'AbortError' });
    try {
      view.set(await loadImage(root, it, size, channels), ids.length * per);
      ids.push(it.id);
    } catch {
      // unreadable: left out (a pool item counts as wrong, a test item as not predicted)
    }
  }
  return { data: { kind: 'image', pixels: sab, n: ids.length, size, channels }, ids };
}

/** Trains the encoder from scratch on the human labels and scores it (see the module comment). */
export async function runSupervisedBaseline(inp: SupervisedInput): Promise<BaselineResult> {
  const t0 = Date.now();
  const { size, channels } = inputGeometry(inp.poolItems, inp.imageSize, inp.channels);
  const pool = await pixels(inp.poolRoot, inp.poolItems, size, channels, inp.signal);
  let test: { data: ImageData; ids: string[] } | null = null;
  if (inp.test) {
    const res = await scanWorkspace(inp.test.root, { signal: inp.signal });
    test = await pixels(
      inp.test.root,
      res.items.filter((it) => it.modality === 'image'),
      size,
      channels,
      inp.signal,
    );
  }
  const row = new Map(pool.ids.map((id, i) => [id, i]));
  const cls = new Map(inp.classes.map((c, i) => [c, i]));
  const index: number[] = [];
  const y: number[] = [];
  for (const [id, l] of inp.human) {
    const r = row.get(id);
    const c = cls.get(l);
    if (r === undefined || c === undefined) continue;
    index.push(r);
    y.push(c);
  }
  if (index.length < 2) throw new Error(`the supervised encoder needs at least 2 readable human labels, got ${index.length}`);
  const C = inp.classes.length;
  const epochs = supervisedEpochs(index.length, inp.itemsSeen);
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'selflabel-supervised-'));
  const workers = new WorkerPool({ size: 1, backend: inp.backend ?? 'auto', log: () => undefined });
  try {
    await workers.start();
    const trained = await workers.run(
      'finetune',
      {
        data: pool.data,
        train: { index: Int32Array.from(index), y: Int32Array.from(y), weight: new Float32Array(index.length).fill(1) },
        nClasses: C,
        epochs,
        seed: inp.seed + 211,
        initFrom: '',
        checkpointDir: path.join(dir, 'net'),
      },
      { signal: inp.signal },
    );
    inp.log?.(
      `[bench] supervised encoder: ${index.length} labels, ${trained.epochs} epochs in ${trained.seconds.toFixed(0)} s (${trained.itemsPerSecond.toFixed(0)} items/s)`,
    );
    const logitsOf = async (data: ImageData) =>
      data.n
        ? (await workers.run('finetuneLogits', { checkpointDir: path.join(dir, 'net'), data }, { signal: inp.signal })).logits
        : new Float32Array(0);
    const poolLogits = await logitsOf(pool.data);
    const labels = new Map<string, string>();
    pool.ids.forEach((id, i) => labels.set(id, inp.classes[argmaxRow(poolLogits, i, C)]));
    for (const [id, l] of inp.human) labels.set(id, l);
    let testAccuracy: number | null = null;
    if (test && inp.test) {
      const t = test;
      const logits = await logitsOf(t.data);
      const preds = new Map(t.ids.map((id, i) => [id, inp.classes[argmaxRow(logits, i, C)]]));
      testAccuracy = score(inp.test.truth, preds).accuracy;
    }
    return {
      name: 'supervised-encoder',
      description: `SelfLabel's ${size}×${size}×${channels} encoder from random init, supervised on the run's ${index.length} human labels only (${epochs} epochs, ~${epochs * index.length} images seen)`,
      labels: index.length,
      testAccuracy,
      datasetLabelAccuracy: score(inp.poolTruth, labels).accuracy,
      seconds: (Date.now() - t0) / 1000,
    };
  } finally {
    await workers.dispose().catch(() => undefined);
    await fs.rm(dir, { recursive: true, force: true });
  }
}

async function spectrograms(
  root: string,
  items: readonly Item[],
  seconds: number,
  signal?: AbortSignal,
): Promise<{ data: AudioData; ids: string[] }> {
  const frames = audioFrames(seconds);
  const per = frames * AUDIO_MELS;
  const all = new Float32Array(items.length * per);
  const failed = new Set(
    (await audioFeatureRows(root, items, { seconds, frames, mels: AUDIO_MELS, out: all, offset: 0, signal })).map((f) => f.index),
  );
  const ids: string[] = [];
  const sab = new SharedArrayBuffer(Math.max(4, (items.length - failed.size) * per * 4));
  const view = new Float32Array(sab);
  items.forEach((it, i) => {
    if (failed.has(i)) return;
    view.set(all.subarray(i * per, (i + 1) * per), ids.length * per);
    ids.push(it.id);
  });
  return { data: { kind: 'audio', spec: sab, n: ids.length, frames, mels: AUDIO_MELS }, ids };
}

/**
 * Baseline (a) for audio, `supervised-encoder`: SelfLabel's spectrogram encoder from random initialisation trained on
 * the run's human labels only (the `audioSupervised` job in a worker pool of its own), about `itemsSeen` augmented
 * labelled clips, then scored on the pool and the test clips like the image one.
 */
export async function runAudioSupervisedBaseline(
  inp: SupervisedInput & { audioClipSeconds?: number | 'auto'; audioWindows?: { maxItemSeconds?: number; windowSeconds?: number } },
): Promise<BaselineResult> {
  const t0 = Date.now();
  const seconds = clipSecondsOf(inp.audioClipSeconds ?? 'auto', inp.poolItems);
  const pool = await spectrograms(inp.poolRoot, inp.poolItems, seconds, inp.signal);
  let test: { data: AudioData; ids: string[] } | null = null;
  if (inp.test) {
    const res = await scanWorkspace(inp.test.root, { audioWindows: inp.audioWindows, signal: inp.signal });
    test = await spectrograms(
      inp.test.root,
      res.items.filter((it) => it.modality === 'audio'),
      seconds,
      inp.signal,
    );
  }
  const row = new Map(pool.ids.map((id, i) => [id, i]));
  const cls = new Map(inp.classes.map((c, i) => [c, i]));
  const index: number[] = [];
  const y: number[] = [];
  for (const [id, l] of inp.human) {
    const r = row.get(id);
    const c = cls.get(l);
    if (r === undefined || c === undefined) continue;
    index.push(r);
    y.push(c);
  }
  if (index.length < 2) throw new Error(`the supervised encoder needs at least 2 readable human labels, got ${index.length}`);
  const C = inp.classes.length;
  const epochs = supervisedEpochs(index.length, inp.itemsSeen);
  const workers = new WorkerPool({ size: 1, backend: inp.backend ?? 'auto', log: () => undefined });
  try {
    await workers.start();
    const r = await workers.run(
      'audioSupervised',
      {
        data: pool.data,
        others: test ? [test.data] : [],
        train: { index: Int32Array.from(index), y: Int32Array.from(y), weight: new Float32Array(index.length).fill(1) },
        nClasses: C,
        epochs,
        seed: inp.seed + 211,
      },
      { signal: inp.signal },
    );
    inp.log?.(
      `[bench] supervised audio encoder: ${index.length} labels, ${epochs} epochs in ${r.seconds.toFixed(0)} s (${r.itemsPerSecond.toFixed(0)} clips/s)`,
    );
    const labels = new Map<string, string>();
    pool.ids.forEach((id, i) => labels.set(id, inp.classes[argmaxRow(r.logits[0], i, C)]));
    for (const [id, l] of inp.human) labels.set(id, l);
    let testAccuracy: number | null = null;
    if (test && inp.test) {
      const t = test;
      const preds = new Map(t.ids.map((id, i) => [id, inp.classes[argmaxRow(r.logits[1], i, C)]]));
      testAccuracy = score(inp.test.truth, preds).accuracy;
    }
    return {
      name: 'supervised-encoder',
      description: `SelfLabel's spectrogram encoder (${pool.data.frames}×${AUDIO_MELS}) from random init, supervised on the run's ${index.length} human labels only (${epochs} epochs, ~${epochs * index.length} clips seen)`,
      labels: index.length,
      testAccuracy,
      datasetLabelAccuracy: score(inp.poolTruth, labels).accuracy,
      seconds: (Date.now() - t0) / 1000,
    };
  } finally {
    await workers.dispose().catch(() => undefined);
  }
}
