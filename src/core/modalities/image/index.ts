/**
 * The image modality's host face: pretext tasks SimCLR and rotation; images decoded in the workers straight into
 * shared memory at the model's input size, cached by content hash under .selflabel/cache; refinement by fine-tuning
 * the encoder end to end (./finetune.ts). The worker face is ./worker.ts.
 */
import type { Item } from '../../types';
import type { ImageData } from '../../../protocol/jobs';
import type { ModalityContext, ModalityPlugin, FailedItem, StageOptions } from '../types';
import { readArrayFile, writeArrayFile } from '../../util/files';
import { decodeInWorkers } from '../workerRows';
import { imageFinetune } from './finetune';
import { imageThumbnail } from './thumbnail';
import { inputGeometry, type ImageGeometry } from './geometry';

const TASKS = ['simclr', 'rotation'] as const;

/** How the cached pixel rows were fitted into the square (./decode.ts); rows written any other way are decoded again. */
const PIXEL_FIT = 'letterbox';

/** Side and channels of the model's input: from the settings, or from the pool and a time budget (./geometry.ts). */
export function imageGeometry(ctx: Pick<ModalityContext, 'config' | 'pool'>): ImageGeometry {
  return inputGeometry(ctx.pool, ctx.config.imageSize, ctx.config.channels);
}

/**
 * Pixels of `items` as one SharedArrayBuffer, decoded in the workers and (with `cache`) cached by content hash in
 * .selflabel/cache. Items that fail to decode are reported in `failed` (their rows stay zero).
 */
async function loadPixels(
  ctx: ModalityContext,
  root: string,
  items: readonly Item[],
  opts: StageOptions & { cache: boolean },
): Promise<{ data: ImageData; failed: FailedItem[] }> {
  const { size, channels } = imageGeometry(ctx);
  const per = size * size * channels;
  const n = items.length;
  const sab = new SharedArrayBuffer(Math.max(1, n * per));
  const out = new Uint8Array(sab);
  const base = ctx.paths.pixels(size, channels);
  const missing: number[] = [];
  if (opts.cache) {
    const cached = await readArrayFile<{ hashes: string[]; per: number; fit?: string }>(base);
    const rowOf = new Map<string, number>();
    // Rows written before the letterbox (stretched non-square images) are decoded again.
    if (cached && cached.meta.per === per && cached.meta.fit === PIXEL_FIT) cached.meta.hashes.forEach((h, i) => rowOf.set(h, i));
    // This runs on the extension host's thread: copy in slices and let other events in between.
    for (let i = 0; i < n; i++) {
      if (i % 5000 === 4999) await new Promise<void>((r) => setImmediate(r));
      const r = rowOf.get(items[i].hash);
      if (r !== undefined && cached) out.set(cached.bytes.subarray(r * per, (r + 1) * per), i * per);
      else missing.push(i);
    }
  } else {
    for (let i = 0; i < n; i++) missing.push(i);
  }
  let failed: FailedItem[] = [];
  if (missing.length) {
    // Decode the missing rows in contiguous scratch space, split across the workers.
    const scratch = new SharedArrayBuffer(missing.length * per);
    failed = await decodeInWorkers(
      ctx,
      items,
      missing,
      { signal: opts.signal, onProgress: opts.onProgress, minRows: 256 },
      (part, offset, run) => ctx.runner.run('decodeImages', { root, items: part, size, channels, out: scratch, offset }, run),
    );
    const src = new Uint8Array(scratch);
    missing.forEach((i, k) => out.set(src.subarray(k * per, (k + 1) * per), i * per));
    if (opts.cache && root === ctx.root) {
      const bad = new Set(failed.map((f) => f.id));
      await writeArrayFile(base, out, {
        hashes: items.map((it) => (bad.has(it.id) ? '' : it.hash)),
        per,
        size,
        channels,
        fit: PIXEL_FIT,
      });
    }
  }
  return { data: { kind: 'image', pixels: sab, n, size, channels }, failed };
}

export const imagePlugin: ModalityPlugin<'image'> = {
  name: 'image',
  files: { extensions: ['.png', '.jpg', '.jpeg', '.bmp'], unreadable: ['.gif', '.webp', '.tif', '.tiff', '.heic', '.heif', '.avif'] },
  pretextTasks: TASKS,
  preview: 'thumbnail',
  thumbnail: imageThumbnail,
  load: loadPixels,
  refinement: imageFinetune(TASKS),
};
