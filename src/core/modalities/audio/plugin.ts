/**
 * The audio modality's host face (no tfjs): the scan's reader of .wav .flac .mp3 .ogg .opus files (./scan.ts), and
 * `load`: log-mel spectrograms of the clips computed in the workers (decoding and resampling there too), straight into
 * shared memory, cached by content hash under .selflabel/cache. Pretext tasks: contrastive views and masked-frame
 * reconstruction, one worker each (./pretrain.ts). The worker face is ./worker.ts; ./index.ts is the library.
 */
import * as path from 'node:path';
import type { Item } from '../../types';
import type { AudioData } from '../../../protocol/jobs';
import type { FailedItem, ModalityContext, ModalityPlugin, StageOptions } from '../types';
import { readArrayFile, writeArrayFile } from '../../util/files';
import { decodeInWorkers } from '../workerRows';
import { AUDIO_MELS, audioFrames, clipSecondsOf } from './features';
import { AUDIO_EXTENSIONS, scanAudioFile } from './scan';
import { audioMedia, audioThumbnail } from './preview';

export const AUDIO_TASKS = ['contrastive', 'masked'] as const;

/** The encoder's input: clip seconds (setting or median clip), frames and mel bands. */
export function audioGeometry(ctx: Pick<ModalityContext, 'config' | 'pool'>): { seconds: number; frames: number; mels: number } {
  const seconds = clipSecondsOf(ctx.config.audioClipSeconds, ctx.pool);
  return { seconds, frames: audioFrames(seconds), mels: AUDIO_MELS };
}

async function loadSpectrograms(
  ctx: ModalityContext,
  root: string,
  items: readonly Item[],
  opts: StageOptions & { cache: boolean },
): Promise<{ data: AudioData; failed: FailedItem[] }> {
  const { seconds, frames, mels } = audioGeometry(ctx);
  const per = frames * mels;
  const n = items.length;
  const sab = new SharedArrayBuffer(Math.max(4, n * per * 4));
  const out = new Float32Array(sab);
  const base = path.join(ctx.paths.cache, `audio-mel-${seconds}s-${mels}`);
  const missing: number[] = [];
  if (opts.cache) {
    const cached = await readArrayFile<{ hashes: string[]; per: number }>(base);
    const rowOf = new Map<string, number>();
    if (cached && cached.meta.per === per) cached.meta.hashes.forEach((h, i) => h && rowOf.set(h, i));
    const src = cached ? new Float32Array(cached.bytes.buffer, cached.bytes.byteOffset, cached.bytes.byteLength / 4) : undefined;
    for (let i = 0; i < n; i++) {
      if (i % 5000 === 4999) await new Promise<void>((r) => setImmediate(r));
      const r = rowOf.get(items[i].hash);
      if (r !== undefined && src) out.set(src.subarray(r * per, (r + 1) * per), i * per);
      else missing.push(i);
    }
  } else {
    for (let i = 0; i < n; i++) missing.push(i);
  }
  let failed: FailedItem[] = [];
  if (missing.length) {
    const scratch = new SharedArrayBuffer(missing.length * per * 4);
    failed = await decodeInWorkers(
      ctx,
      items,
      missing,
      { signal: opts.signal, onProgress: opts.onProgress, minRows: 64 },
      (part, offset, run) => ctx.runner.run('audioFeatures', { root, items: part, seconds, frames, mels, out: scratch, offset }, run),
    );
    const src = new Float32Array(scratch);
    missing.forEach((i, k) => out.set(src.subarray(k * per, (k + 1) * per), i * per));
    if (opts.cache && root === ctx.root) {
      const bad = new Set(failed.map((f) => f.id));
      await writeArrayFile(base, out, { hashes: items.map((it) => (bad.has(it.id) ? '' : it.hash)), per, seconds, frames, mels });
    }
  }
  return { data: { kind: 'audio', spec: sab, n, frames, mels }, failed };
}

export const audioPlugin: ModalityPlugin<'audio'> = {
  name: 'audio',
  files: { extensions: AUDIO_EXTENSIONS, read: scanAudioFile, maxFileBytes: 4 * 1024 ** 3 },
  pretextTasks: AUDIO_TASKS,
  preview: 'audio',
  thumbnail: audioThumbnail,
  media: audioMedia,
  load: loadSpectrograms,
};
